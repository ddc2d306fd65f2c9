// The in-memory model of PersiDict and the random commands run against it: a Map per
// codec namespace, shared by a plain dict and an append-only dict on the same prefix.
import fc from 'fast-check';
import { expect } from 'vitest';
import { compareKeyPaths } from '../../src/core/keys.ts';
import { DELETE_CURRENT, KEEP_CURRENT, PersiDict } from '../../src/dict/index.ts';
import {
  type Backend,
  ConditionFailedError,
  type JsonValue,
  MutationPolicyError,
  NotFoundError,
} from '../../src/index.ts';
import { expectDone, expectRefused, outcome } from './step-outcomes.ts';

/** Which dict a command goes through: `frozen` is append-only on `main`'s keys, `packed` is msgpack beside them. */
type Via = 'main' | 'frozen' | 'packed';
type Write = { kind: 'value'; value: JsonValue } | { kind: 'keep' } | { kind: 'delete' };
/** What the function given to `update` does with the current value. */
type UpdateFn = 'bump' | 'keep' | 'delete' | 'initOnly' | { set: JsonValue };

/** One random command of a PersiDict sequence. */
export type DictOp =
  | { op: 'set'; via: Via; key: string; write: Write }
  | { op: 'get' | 'getOrDefault' | 'has' | 'etag'; via: Via; key: string }
  | { op: 'delete'; via: Via; key: string; discard: boolean }
  | { op: 'pop'; via: Via; key: string; fallback: boolean }
  | { op: 'setDefault' | 'setIfAbsent'; via: Via; key: string; value: JsonValue }
  | { op: 'setIfMatch'; via: Via; key: string; value: JsonValue; etag: 'current' | 'stale' }
  | { op: 'deleteIfMatch'; via: Via; key: string; etag: 'current' | 'stale' }
  | { op: 'update'; via: Via; key: string; fn: UpdateFn }
  | { op: 'list'; via: Via; what: 'keys' | 'values' | 'entries' | 'size'; prefix: string; sorted: boolean }
  | { op: 'ages'; via: Via; which: 'newest' | 'oldest'; n: number; values: boolean }
  | { op: 'clear'; via: Via }
  | { op: 'reopen' };

// A small key space, so that commands meet: a key that is also a prefix, escaped segments,
// and a segment ending in the json codec's suffix (stored as `p.json.json` or `p.json.msgpack`).
const segment = fc.constantFrom('a', 'b', 'c d', 'é', 'p.json');
const keyArb = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));
const valueArb: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.constantFrom('x', 'é', null),
  fc.record({ n: fc.integer({ min: 0, max: 9 }) }),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
);
const viaArb: fc.Arbitrary<Via> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('main' as const) },
  { weight: 2, arbitrary: fc.constant('frozen' as const) },
  { weight: 1, arbitrary: fc.constant('packed' as const) },
);
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('value' as const), value: valueArb }) },
  fc.constant({ kind: 'keep' as const }),
  fc.constant({ kind: 'delete' as const }),
);
const updateFnArb: fc.Arbitrary<UpdateFn> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('bump' as const) },
  fc.constantFrom('keep' as const, 'delete' as const, 'initOnly' as const),
  fc.record({ set: valueArb }),
);

/** Random PersiDict commands; `reopen` only where the backend keeps its data across close and open. */
export function dictOpArb(reopens: boolean): fc.Arbitrary<DictOp> {
  const at = { via: viaArb, key: keyArb };
  const ops: fc.Arbitrary<DictOp>[] = [
    fc.record({ op: fc.constant('set' as const), ...at, write: writeArb }),
    fc.record({ op: fc.constant('set' as const), ...at, write: writeArb }),
    fc.record({ op: fc.constantFrom('get' as const, 'getOrDefault' as const, 'has' as const, 'etag' as const), ...at }),
    fc.record({ op: fc.constant('delete' as const), ...at, discard: fc.boolean() }),
    fc.record({ op: fc.constant('pop' as const), ...at, fallback: fc.boolean() }),
    fc.record({ op: fc.constantFrom('setDefault' as const, 'setIfAbsent' as const), ...at, value: valueArb }),
    fc.record({
      op: fc.constant('setIfMatch' as const),
      ...at,
      value: valueArb,
      etag: fc.constantFrom('current' as const, 'stale' as const),
    }),
    fc.record({ op: fc.constant('deleteIfMatch' as const), ...at, etag: fc.constantFrom('current', 'stale') }),
    fc.record({ op: fc.constant('update' as const), ...at, fn: updateFnArb }),
    fc.record({ op: fc.constant('update' as const), ...at, fn: updateFnArb }),
    fc.record({
      op: fc.constant('list' as const),
      via: viaArb,
      what: fc.constantFrom('keys' as const, 'values' as const, 'entries' as const, 'size' as const),
      prefix: fc.constantFrom('', 'a', 'é'),
      sorted: fc.boolean(),
    }),
    fc.record({
      op: fc.constant('ages' as const),
      via: viaArb,
      which: fc.constantFrom('newest' as const, 'oldest' as const),
      n: fc.integer({ min: 0, max: 4 }),
      values: fc.boolean(),
    }),
    fc.record({ op: fc.constant('clear' as const), via: viaArb }),
  ];
  if (reopens) ops.push(fc.constant({ op: 'reopen' as const }));
  return fc.oneof(...ops);
}

interface ModelEntry {
  value: JsonValue;
  etag: string;
  /** Write order within the sequence: write times never run backwards against it. */
  seq: number;
}

const DICT_PREFIX = 'model-dict';

function openDicts(backend: Backend): Record<Via, PersiDict<JsonValue>> {
  return {
    main: new PersiDict<JsonValue>({ backend, prefix: DICT_PREFIX }),
    frozen: new PersiDict<JsonValue>({ backend, prefix: DICT_PREFIX, appendOnly: true }),
    packed: new PersiDict<JsonValue>({ backend, prefix: DICT_PREFIX, codec: 'msgpack' }),
  };
}

const isUnder = (path: string, prefix: string) => prefix === '' || path.startsWith(`${prefix}/`);
const text = (v: unknown) => JSON.stringify(v);

/**
 * Runs `ops` against the dicts on `target.backend` and the model side by side; a reopened
 * backend replaces it there at once, so a sequence that fails after a reopen leaves the
 * open one for the next. Counts the append-only refusals it checked in `refusals`.
 */
export async function runDictAgainstModel(
  target: { backend: Backend },
  ops: readonly DictOp[],
  refusals: { count: number },
): Promise<void> {
  let dicts = openDicts(target.backend);
  const models: Record<'json' | 'msgpack', Map<string, ModelEntry>> = { json: new Map(), msgpack: new Map() };
  const seenEtags: string[] = [];
  let seq = 0;
  for (const [step, o] of ops.entries()) {
    const where = `step ${step}: ${text(o)}`;
    if (o.op === 'reopen') {
      const config = dicts.main.toConfig();
      await target.backend.close();
      target.backend = (await PersiDict.fromConfig<JsonValue>(config)).backend;
      dicts = openDicts(target.backend);
      continue;
    }
    const dict = dicts[o.via];
    const model = models[o.via === 'packed' ? 'msgpack' : 'json'];
    const frozen = o.via === 'frozen';
    const remember = (key: string, value: JsonValue, etag: string | undefined) => {
      expect(typeof etag, `${where}: an ETag`).toBe('string');
      model.set(key, { value, etag: etag as string, seq: seq++ });
      seenEtags.push(etag as string);
    };
    const stale = (key: string) => seenEtags.find((e) => e !== model.get(key)?.etag) ?? 'never-an-etag';
    const refuse = async (promise: Promise<unknown>, key?: string) => {
      expectRefused(await outcome(promise), MutationPolicyError, where, key);
      refusals.count++;
    };
    switch (o.op) {
      case 'set': {
        const current = model.get(o.key);
        if (o.write.kind === 'keep') {
          expect(await dict.set(o.key, KEEP_CURRENT), where).toBeUndefined();
        } else if (o.write.kind === 'delete') {
          if (frozen) await refuse(dict.set(o.key, DELETE_CURRENT), o.key);
          else {
            expect(await dict.set(o.key, DELETE_CURRENT), where).toBeUndefined();
            model.delete(o.key);
          }
        } else if (frozen && current) {
          await refuse(dict.set(o.key, o.write.value), o.key);
        } else {
          remember(o.key, o.write.value, await dict.set(o.key, o.write.value));
        }
        break;
      }
      case 'get': {
        const got = await outcome(dict.get(o.key));
        const want = model.get(o.key);
        if (want) expect(got, where).toEqual(want.value);
        else expectRefused(got, NotFoundError, where, o.key);
        break;
      }
      case 'getOrDefault': {
        // A stored null is a value, not an absent key.
        const want = model.get(o.key);
        expect(await dict.getOrDefault(o.key, 'fallback'), where).toEqual(want ? want.value : 'fallback');
        break;
      }
      case 'has':
        expect(await dict.has(o.key), where).toBe(model.has(o.key));
        break;
      case 'etag': {
        const got = await outcome(dict.etag(o.key));
        const want = model.get(o.key);
        if (want) expect(got, where).toBe(want.etag);
        else expectRefused(got, NotFoundError, where, o.key);
        break;
      }
      case 'delete': {
        const call = o.discard ? dict.discard(o.key) : dict.delete(o.key);
        if (frozen) await refuse(call, o.key);
        else {
          expect(await call, where).toBe(model.has(o.key));
          model.delete(o.key);
        }
        break;
      }
      case 'pop': {
        const call = o.fallback ? dict.pop(o.key, 'fallback') : dict.pop(o.key);
        const want = model.get(o.key);
        if (frozen) await refuse(call, o.key);
        else if (want) {
          expect(await call, where).toEqual(want.value);
          model.delete(o.key);
        } else if (o.fallback) expect(await call, where).toBe('fallback');
        else expectRefused(await outcome(call), NotFoundError, where, o.key);
        break;
      }
      case 'setDefault': {
        const want = model.get(o.key);
        expect(await dict.setDefault(o.key, o.value), where).toEqual(want ? want.value : o.value);
        if (!want) remember(o.key, o.value, await dict.etag(o.key));
        break;
      }
      case 'setIfAbsent': {
        const absent = !model.has(o.key);
        expect(await dict.setIfAbsent(o.key, o.value), where).toBe(absent);
        if (absent) remember(o.key, o.value, await dict.etag(o.key));
        break;
      }
      case 'setIfMatch': {
        const current = model.get(o.key);
        const etag = o.etag === 'current' ? (current?.etag ?? 'never-an-etag') : stale(o.key);
        const got = await outcome(dict.setIfMatch(o.key, o.value, etag));
        if (frozen) {
          expectRefused(got, MutationPolicyError, where, o.key);
          refusals.count++;
        } else if (current && current.etag === etag) {
          expectDone(got, where);
          remember(o.key, o.value, got as string);
        } else expectRefused(got, ConditionFailedError, where);
        break;
      }
      case 'deleteIfMatch': {
        const current = model.get(o.key);
        const etag = o.etag === 'current' ? (current?.etag ?? 'never-an-etag') : stale(o.key);
        const got = await outcome(dict.deleteIfMatch(o.key, etag));
        if (frozen) {
          expectRefused(got, MutationPolicyError, where, o.key);
          refusals.count++;
        } else if (current && current.etag === etag) {
          expectDone(got, where);
          model.delete(o.key);
        } else expectRefused(got, ConditionFailedError, where);
        break;
      }
      case 'update':
        await checkUpdate(dict, model, o, frozen, where, remember, refusals);
        break;
      case 'list':
        await checkListing(dict, model, o, where);
        break;
      case 'ages':
        await checkAges(dict, model, o, where);
        break;
      case 'clear': {
        if (frozen) await refuse(dict.clear());
        else {
          expect(await dict.clear(), where).toBe(model.size);
          model.clear();
        }
        break;
      }
    }
  }
  // The end state, whole: every key of each namespace with its value, and nothing else.
  for (const via of ['main', 'packed'] as const) {
    const model = models[via === 'main' ? 'json' : 'msgpack'];
    const got: [string, JsonValue][] = [];
    for await (const [key, value] of dicts[via].entries({ sorted: true })) got.push([key.join('/'), value]);
    const want = [...model]
      .sort(([a], [b]) => compareKeyPaths(a, b))
      .map(([k, e]): [string, JsonValue] => [k, e.value]);
    expect(got, `final ${via}`).toEqual(want);
  }
}

async function checkUpdate(
  dict: PersiDict<JsonValue>,
  model: Map<string, ModelEntry>,
  o: Extract<DictOp, { op: 'update' }>,
  frozen: boolean,
  where: string,
  remember: (key: string, value: JsonValue, etag: string | undefined) => void,
  refusals: { count: number },
): Promise<void> {
  const current = model.get(o.key);
  const seen: unknown[] = [];
  const fn = (c: JsonValue | undefined) => {
    seen.push(c);
    if (o.fn === 'bump') return typeof c === 'number' ? c + 1 : 0;
    if (o.fn === 'keep') return KEEP_CURRENT;
    if (o.fn === 'delete') return DELETE_CURRENT;
    if (o.fn === 'initOnly') return c === undefined ? 'init' : KEEP_CURRENT;
    return o.fn.set;
  };
  const next = fn(current?.value);
  seen.length = 0;
  const got = await outcome(dict.update(o.key, fn));
  // Nobody else writes, so the function runs once, on the value the model holds.
  expect(seen, `${where}: what update's function was given`).toEqual([current?.value]);
  if (next === KEEP_CURRENT) {
    expect(got, where).toEqual(current?.value);
  } else if (next === DELETE_CURRENT) {
    if (frozen && current) {
      expectRefused(got, MutationPolicyError, where, o.key);
      refusals.count++;
    } else {
      expect(got, where).toBeUndefined();
      model.delete(o.key);
    }
  } else if (frozen && current) {
    expectRefused(got, MutationPolicyError, where, o.key);
    refusals.count++;
  } else {
    expectDone(got, where);
    expect(got, where).toEqual(next);
    remember(o.key, next, await dict.etag(o.key));
  }
}

async function checkListing(
  dict: PersiDict<JsonValue>,
  model: Map<string, ModelEntry>,
  o: Extract<DictOp, { op: 'list' }>,
  where: string,
): Promise<void> {
  if (o.what === 'size') {
    expect(await dict.size(), where).toBe(model.size);
    return;
  }
  const want = [...model]
    .filter(([path]) => isUnder(path, o.prefix))
    .sort(([a], [b]) => compareKeyPaths(a, b))
    .map(([path, e]) => ({ path, value: e.value }));
  const options = { prefix: o.prefix === '' ? undefined : o.prefix, sorted: o.sorted };
  const got: { path?: string; value?: JsonValue }[] = [];
  if (o.what === 'keys') for await (const key of dict.keys(options)) got.push({ path: key.join('/') });
  if (o.what === 'values') for await (const value of dict.values(options)) got.push({ value });
  if (o.what === 'entries')
    for await (const [key, value] of dict.entries(options)) got.push({ path: key.join('/'), value });
  const expected = want.map((w) => ({
    ...(o.what !== 'values' ? { path: w.path } : {}),
    ...(o.what !== 'keys' ? { value: w.value } : {}),
  }));
  // Unsorted listings come in the backend's order: compared as multisets.
  const order = (xs: unknown[]) => (o.sorted ? xs.map(text) : xs.map(text).sort());
  expect(order(got), where).toEqual(order(expected));
}

// newestKeys / oldestKeys against the write times the dict reports, after checking that
// those times never run backwards against the order of the writes.
async function checkAges(
  dict: PersiDict<JsonValue>,
  model: Map<string, ModelEntry>,
  o: Extract<DictOp, { op: 'ages' }>,
  where: string,
): Promise<void> {
  const times = new Map<string, number>();
  for await (const [key, at] of dict.timestamps()) times.set(key.join('/'), at);
  expect([...times.keys()].sort(), `${where}: timestamps`).toEqual([...model.keys()].sort());
  const bySeq = [...model].sort(([, a], [, b]) => a.seq - b.seq);
  for (let i = 1; i < bySeq.length; i++) {
    const [before, after] = [bySeq[i - 1] as [string, ModelEntry], bySeq[i] as [string, ModelEntry]];
    expect(times.get(after[0]), `${where}: ${after[0]} written after ${before[0]}`).toBeGreaterThanOrEqual(
      times.get(before[0]) as number,
    );
  }
  const sign = o.which === 'newest' ? -1 : 1;
  const want = [...model.keys()]
    .sort((a, b) => sign * ((times.get(a) as number) - (times.get(b) as number)) || compareKeyPaths(a, b))
    .slice(0, o.n);
  if (o.values) {
    const got = o.which === 'newest' ? await dict.newestValues(o.n) : await dict.oldestValues(o.n);
    expect(got, where).toEqual(want.map((k) => model.get(k)?.value));
  } else {
    const got = o.which === 'newest' ? await dict.newestKeys(o.n) : await dict.oldestKeys(o.n);
    expect(
      got.map((k) => k.join('/')),
      where,
    ).toEqual(want);
  }
}
