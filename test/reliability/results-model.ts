// The in-memory model of ResultStore (results holding named sets, with custom metadata)
// and the random commands run against it, through a `binary` and a `columns` store on one
// backend and prefix, so sets written in one format are read, replaced and sliced by the other.
import fc from 'fast-check';
import { expect } from 'vitest';
import { compareKeyPaths } from '../../src/core/keys.ts';
import {
  type Backend,
  ConditionFailedError,
  type JsonObject,
  NotFoundError,
  OperationError,
  OptimizationResult,
  openBackend,
  ResultSet,
} from '../../src/index.ts';
import { ResultStore } from '../../src/results/index.ts';
import { expectDone, expectRefused, outcome } from './step-outcomes.ts';

type Via = 'binary' | 'columns' | 'session';
/** The keys of the `session` store live under this key of the others. */
const SESSION = 'run_1';
type Row = [number, number, string, number];
const COLUMNS = ['f1', 'f2', 'label', 'n'] as const;

/** A set to build: which columns it has and its rows (f1 Float64Array, f2 Int32Array, label strings, n plain numbers). */
interface SetSpec {
  name: string;
  columns: (typeof COLUMNS)[number][];
  rows: Row[];
  metadata: JsonObject;
}
interface ResultSpec {
  id: string;
  sets: SetSpec[];
  metadata: JsonObject;
}

/** One random command of a ResultStore sequence. */
export type ResultsOp =
  | {
      op: 'save';
      via: Via;
      key: string;
      result: ResultSpec;
      overwrite: boolean | undefined;
      metadata: JsonObject | undefined;
      merge: boolean;
    }
  | { op: 'saveSet'; via: Via; key: string; name: string; set: SetSpec }
  | { op: 'deleteSet'; via: Via; key: string; name: string }
  | {
      op: 'loadSet';
      via: Via;
      key: string;
      name: string;
      columns: string[] | undefined;
      rows: [number, number] | undefined;
    }
  | { op: 'rename'; via: Via; from: string; to: string }
  | { op: 'delete' | 'load' | 'getMetadata' | 'exists' | 'listSets'; via: Via; key: string }
  | { op: 'updateMetadata'; via: Via; key: string; patch: JsonObject }
  | { op: 'clear' | 'list'; via: Via; prefix: string }
  | { op: 'reopen' };

// Keys where one is a text prefix of another (run_1, run_10) and a key under another (run_1/a).
const keyArb = fc.constantFrom('run_1', 'run_10', 'run_2', 'run_1/a', 'x y', 'é');
const prefixArb = fc.constantFrom('', 'run_', 'run_1', 'run_1/', 'é', 'zz');
const setNameArb = fc.constantFrom('pareto', 'all', 'gen 1');
const customArb: fc.Arbitrary<JsonObject> = fc.record(
  { solver: fc.constantFrom('nsga2', 'moead'), seed: fc.integer({ min: 0, max: 3 }) },
  { requiredKeys: [] },
);
const rowArb: fc.Arbitrary<Row> = fc.tuple(
  fc.double(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom('', 'a', 'é', 'x,"y"', '\n'),
  fc.double(),
);
const setSpecArb: fc.Arbitrary<SetSpec> = fc.record({
  name: setNameArb,
  columns: fc.subarray([...COLUMNS]),
  rows: fc.array(rowArb, { maxLength: 24 }),
  metadata: fc.record({ gen: fc.integer({ min: 0, max: 9 }) }, { requiredKeys: [] }),
});
const resultSpecArb: fc.Arbitrary<ResultSpec> = fc.record({
  id: fc.constantFrom('r1', 'r2'),
  sets: fc.uniqueArray(setSpecArb, { selector: (s) => s.name, maxLength: 3 }),
  metadata: customArb,
});
const viaArb: fc.Arbitrary<Via> = fc.constantFrom('binary', 'columns', 'session');

/** Random ResultStore commands; `reopen` only where the backend keeps its data across close and open. */
export function resultsOpArb(reopens: boolean): fc.Arbitrary<ResultsOp> {
  const at = { via: viaArb, key: keyArb };
  const save = fc.record({
    op: fc.constant('save' as const),
    ...at,
    result: resultSpecArb,
    overwrite: fc.constantFrom(undefined, true, false),
    metadata: fc.option(customArb, { nil: undefined }),
    merge: fc.boolean(),
  });
  const saveSet = fc.record({ op: fc.constant('saveSet' as const), ...at, name: setNameArb, set: setSpecArb });
  // Writes weigh more, so that sequences build up results for the other commands to meet.
  const ops: fc.Arbitrary<ResultsOp>[] = [
    save,
    save,
    save,
    saveSet,
    saveSet,
    fc.record({ op: fc.constant('deleteSet' as const), ...at, name: setNameArb }),
    fc.record({
      op: fc.constant('loadSet' as const),
      ...at,
      name: setNameArb,
      columns: fc.option(fc.shuffledSubarray([...COLUMNS, 'zz']), { nil: undefined }),
      rows: fc.option(fc.tuple(fc.nat(26), fc.nat(26)), { nil: undefined }),
    }),
    fc.record({ op: fc.constant('rename' as const), via: viaArb, from: keyArb, to: keyArb }),
    fc.record({
      op: fc.constantFrom(
        'delete' as const,
        'load' as const,
        'getMetadata' as const,
        'exists' as const,
        'listSets' as const,
      ),
      ...at,
    }),
    fc.record({ op: fc.constant('updateMetadata' as const), ...at, patch: customArb }),
    fc.record({ op: fc.constantFrom('clear' as const, 'list' as const), via: viaArb, prefix: prefixArb }),
  ];
  if (reopens) ops.push(fc.constant({ op: 'reopen' as const }));
  return fc.oneof(...ops);
}

function buildSet(spec: SetSpec, name = spec.name): ResultSet {
  const columns: Record<string, Float64Array | Int32Array | string[] | number[]> = {};
  for (const column of spec.columns) {
    if (column === 'f1') columns.f1 = Float64Array.from(spec.rows.map((r) => r[0]));
    if (column === 'f2') columns.f2 = Int32Array.from(spec.rows.map((r) => r[1]));
    if (column === 'label') columns.label = spec.rows.map((r) => r[2]);
    if (column === 'n') columns.n = spec.rows.map((r) => r[3]);
  }
  return new ResultSet(name, columns, spec.metadata);
}

function buildResult(spec: ResultSpec): OptimizationResult {
  return new OptimizationResult({
    id: spec.id,
    problem: { name: 'zdt1' },
    objectives: [{ name: 'f1' }, { name: 'n', sense: 'maximize' }],
    metadata: spec.metadata,
    sets: spec.sets.map((s) => buildSet(s)),
  });
}

// Comparable forms: numbers as text (NaN, -0 and ±Infinity kept apart), column kinds and order.
const cell = (v: number | string) => (typeof v === 'string' ? `s:${v}` : Object.is(v, -0) ? '-0' : String(v));
function canonSet(set: ResultSet): unknown {
  return {
    name: set.name,
    metadata: set.metadata,
    columns: set.columnNames.map((c) => {
      const column = set.columns[c] as ArrayLike<number | string>;
      return [c, Array.isArray(column) ? 'array' : column.constructor.name, Array.from(column, cell)];
    }),
  };
}
function canonResult(result: OptimizationResult): unknown {
  return { ...result.fieldsJSON(), sets: result.listSets().map((name) => canonSet(result.getSet(name))) };
}

interface ModelEntry {
  result: OptimizationResult;
  custom: JsonObject;
}

function openStores(backend: Backend): Record<Via, ResultStore> {
  // Small chunks, so that row slices cross chunk boundaries.
  const columns = new ResultStore({ backend, format: 'columns', chunkBytes: 160 });
  return { binary: new ResultStore({ backend }), columns, session: columns.session(SESSION) };
}

// What a store keeps of a result is all it accounts for: getMetadata's sizes and counts are
// those of the model, and its sizeBytes is exactly the bytes of the entries the result has
// (header, sets, chunks), so a stale set, chunk or version left behind shows.
async function checkMetadata(store: ResultStore, key: string, want: ModelEntry, where: string): Promise<number> {
  const meta = await store.getMetadata(key);
  expect(
    { key: meta.key, nSets: meta.nSets, nPoints: meta.nPoints, custom: meta.custom },
    `${where}: metadata`,
  ).toEqual({ key, nSets: want.result.sets.size, nPoints: want.result.nPoints, custom: want.custom });
  const entries = await store.entriesOf(key);
  let bytes = 0;
  for (const entry of entries) bytes += (await store.backend.stat(entry))?.size ?? 0;
  expect(meta.sizeBytes, `${where}: sizeBytes against the ${entries.length} entries of ${key}`).toBe(bytes);
  return entries.length;
}

/**
 * Runs `ops` against the stores on `target.backend` and the model side by side; a reopened
 * backend replaces it there at once, so a sequence that fails after a reopen leaves the
 * open one for the next.
 */
export async function runResultsAgainstModel(target: { backend: Backend }, ops: readonly ResultsOp[]): Promise<void> {
  let stores = openStores(target.backend);
  const model = new Map<string, ModelEntry>();
  const sortedKeys = (prefix = '') => [...model.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeyPaths);
  for (const [step, o] of ops.entries()) {
    const where = `step ${step}: ${JSON.stringify(o)}`;
    if (o.op === 'reopen') {
      const config = target.backend.toConfig();
      await target.backend.close();
      target.backend = await openBackend(config);
      stores = openStores(target.backend);
      continue;
    }
    const store = stores[o.via];
    // A key as the model knows it: the session store's keys are under SESSION.
    const scope = o.via === 'session' ? `${SESSION}/` : '';
    const m = (key: string) => scope + key;
    switch (o.op) {
      case 'save': {
        const before = model.get(m(o.key));
        const got = await outcome(
          store.save(o.key, buildResult(o.result), {
            overwrite: o.overwrite,
            metadata: o.metadata,
            mergeMetadata: o.merge,
          }),
        );
        if (before && o.overwrite === false) expectRefused(got, ConditionFailedError, where, m(o.key));
        else {
          expectDone(got, where);
          const custom = o.merge ? { ...(before?.custom ?? {}), ...(o.metadata ?? {}) } : { ...(o.metadata ?? {}) };
          model.set(m(o.key), { result: buildResult(o.result), custom });
        }
        break;
      }
      case 'saveSet': {
        const want = model.get(m(o.key));
        const got = await outcome(store.saveSet(o.key, o.name, buildSet(o.set)));
        if (!want) expectRefused(got, NotFoundError, where, m(o.key));
        else {
          expectDone(got, where);
          want.result.addSet(buildSet(o.set, o.name), true);
        }
        break;
      }
      case 'deleteSet': {
        const want = model.get(m(o.key));
        const got = await outcome(store.deleteSet(o.key, o.name));
        if (!want?.result.sets.has(o.name)) expectRefused(got, NotFoundError, where, m(o.key));
        else {
          expectDone(got, where);
          want.result.removeSet(o.name);
        }
        break;
      }
      case 'loadSet': {
        const set = model.get(m(o.key))?.result.sets.get(o.name);
        const got = await outcome(store.loadSet(o.key, o.name, { columns: o.columns, rows: o.rows }));
        if (!set) {
          expectRefused(got, NotFoundError, where, m(o.key));
          break;
        }
        const badRows = o.rows !== undefined && o.rows[0] > o.rows[1];
        if (badRows || o.columns?.some((c) => !set.columnNames.includes(c))) {
          expectRefused(got, OperationError, where);
          break;
        }
        expectDone(got, where);
        const [start, end] = (o.rows ?? [0, set.nPoints]).map((r) => Math.min(r, set.nPoints)) as [number, number];
        const columns: Record<string, Float64Array | Int32Array | string[] | number[]> = {};
        for (const c of o.columns ?? set.columnNames) {
          columns[c] = (set.columns[c] as Float64Array | Int32Array | string[] | number[]).slice(start, end);
        }
        expect(canonSet(got as ResultSet), where).toEqual(canonSet(new ResultSet(o.name, columns, set.metadata)));
        break;
      }
      case 'rename': {
        const got = await outcome(store.rename(o.from, o.to));
        if (model.has(m(o.to))) expectRefused(got, ConditionFailedError, where, m(o.to));
        else if (!model.has(m(o.from))) expectRefused(got, NotFoundError, where, m(o.from));
        else {
          expectDone(got, where);
          model.set(m(o.to), model.get(m(o.from)) as ModelEntry);
          model.delete(m(o.from));
        }
        break;
      }
      case 'delete': {
        const got = await outcome(store.delete(o.key));
        if (!model.has(m(o.key))) expectRefused(got, NotFoundError, where, m(o.key));
        else {
          expectDone(got, where);
          model.delete(m(o.key));
        }
        break;
      }
      case 'load': {
        const want = model.get(m(o.key));
        const got = await outcome(store.load(o.key));
        if (!want) expectRefused(got, NotFoundError, where, m(o.key));
        else {
          expectDone(got, where);
          expect(canonResult(got as OptimizationResult), where).toEqual(canonResult(want.result));
        }
        break;
      }
      case 'getMetadata': {
        const want = model.get(m(o.key));
        if (want) await checkMetadata(store, o.key, want, where);
        else expectRefused(await outcome(store.getMetadata(o.key)), NotFoundError, where, m(o.key));
        break;
      }
      case 'exists':
        expect(await store.exists(o.key), where).toBe(model.has(m(o.key)));
        break;
      case 'listSets': {
        const want = model.get(m(o.key));
        const got = await outcome(store.listSets(o.key));
        if (want) expect(got, where).toEqual(want.result.listSets());
        else expectRefused(got, NotFoundError, where, m(o.key));
        break;
      }
      case 'updateMetadata': {
        const want = model.get(m(o.key));
        const got = await outcome(store.updateMetadata(o.key, o.patch));
        if (!want) expectRefused(got, NotFoundError, where, m(o.key));
        else {
          expectDone(got, where);
          want.custom = { ...want.custom, ...o.patch };
        }
        break;
      }
      case 'list':
        expect(await store.list(o.prefix), where).toEqual(sortedKeys(m(o.prefix)).map((k) => k.slice(scope.length)));
        break;
      case 'clear': {
        const doomed = sortedKeys(m(o.prefix));
        expect(await store.clear(o.prefix), where).toBe(doomed.length);
        for (const key of doomed) model.delete(key);
        break;
      }
    }
  }
  // The end state, whole: every result of the model, loaded and accounted for, and no
  // entry of the backend that belongs to none of them.
  const store = stores.binary;
  expect(await store.list(), 'final listing').toEqual(sortedKeys());
  let entries = 0;
  for (const [key, want] of model) {
    expect(canonResult(await store.load(key)), `final ${key}`).toEqual(canonResult(want.result));
    entries += await checkMetadata(store, key, want, `final ${key}`);
  }
  let stored = 0;
  for await (const _ of target.backend.keys(store.prefix)) stored++;
  expect(stored, 'entries in the backend against those of the results').toBe(entries);
}
