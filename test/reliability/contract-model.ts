// The in-memory model of the backend contract and the random operations run against it.
import fc from 'fast-check';
import { expect } from 'vitest';
import { compareKeyPaths } from '../../src/core/keys.ts';
import { type Backend, ConditionFailedError, type JsonObject, openBackend } from '../../src/index.ts';

type Attrs = JsonObject | undefined;
type Where = Record<string, string | number> | undefined;
type Condition = { kind: 'none' } | { kind: 'ifAbsent' } | { kind: 'ifMatch'; which: 'current' | 'stale' | 'bogus' };

/** One random operation of a sequence. */
export type Op =
  | { op: 'put'; key: string; value: number[]; attrs: Attrs; cond: Condition }
  | { op: 'get'; key: string }
  | { op: 'stat'; key: string }
  | { op: 'delete'; key: string; ifMatch: 'none' | 'current' | 'stale' }
  | {
      op: 'list';
      prefix: string;
      recursive: boolean;
      after: string | undefined;
      limit: number | undefined;
      where: Where;
      keysOnly: boolean;
    }
  | { op: 'getMany'; keys: string[] }
  | { op: 'putMany'; entries: { key: string; value: number[]; attrs: Attrs }[] }
  | { op: 'deleteMany'; keys: string[] }
  | { op: 'clear'; prefix: string }
  | { op: 'reopen' };

// A small key space, so that operations meet: segments that escape (space, %, é) and keys
// that are both a value and a prefix.
const segment = fc.constantFrom('a', 'b', 'c d', 'é', 'x%');
const keyArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const prefixArb = fc.oneof(
  fc.constant(''),
  fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/')),
);
const valueArb = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 });
const attrsArb: fc.Arbitrary<Attrs> = fc.option(
  fc.record({ color: fc.constantFrom('red', 'blue'), n: fc.constantFrom(1, 2) }, { requiredKeys: ['color'] }),
  { nil: undefined },
);
const whereArb: fc.Arbitrary<Where> = fc.option(
  fc.oneof(fc.record({ color: fc.constantFrom('red', 'blue') }), fc.record({ n: fc.constantFrom(1, 2) })),
  { nil: undefined },
);
const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.constant({ kind: 'ifAbsent' as const }),
  fc.record({ kind: fc.constant('ifMatch' as const), which: fc.constantFrom('current', 'stale', 'bogus') }),
);

/** Random operations; `reopen` only where the store keeps its data across close and open. */
export function opArb(reopens: boolean): fc.Arbitrary<Op> {
  const ops: fc.Arbitrary<Op>[] = [
    fc.record({ op: fc.constant('put' as const), key: keyArb, value: valueArb, attrs: attrsArb, cond: conditionArb }),
    fc.record({ op: fc.constant('put' as const), key: keyArb, value: valueArb, attrs: attrsArb, cond: conditionArb }),
    fc.record({ op: fc.constant('get' as const), key: keyArb }),
    fc.record({ op: fc.constant('stat' as const), key: keyArb }),
    fc.record({
      op: fc.constant('delete' as const),
      key: keyArb,
      ifMatch: fc.constantFrom('none', 'current', 'stale'),
    }),
    fc.record({
      op: fc.constant('list' as const),
      prefix: prefixArb,
      recursive: fc.boolean(),
      after: fc.option(keyArb, { nil: undefined }),
      limit: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      where: whereArb,
      keysOnly: fc.boolean(),
    }),
    fc.record({ op: fc.constant('getMany' as const), keys: fc.array(keyArb, { maxLength: 4, size: 'max' }) }),
    fc.record({
      op: fc.constant('putMany' as const),
      entries: fc.array(fc.record({ key: keyArb, value: valueArb, attrs: attrsArb }), { maxLength: 4, size: 'max' }),
    }),
    fc.record({ op: fc.constant('deleteMany' as const), keys: fc.array(keyArb, { maxLength: 4, size: 'max' }) }),
    fc.record({ op: fc.constant('clear' as const), prefix: prefixArb }),
  ];
  if (reopens) ops.push(fc.constant({ op: 'reopen' as const }));
  return fc.oneof(...ops);
}

interface ModelEntry {
  value: Uint8Array;
  attrs: JsonObject;
  etag: string;
}

const isUnder = (path: string, prefix: string) => prefix === '' || path.startsWith(`${prefix}/`);
const depth = (path: string) => path.split('/').length;

/**
 * Runs `ops` against `open.store` and the model side by side. A reopened store replaces it
 * there at once, so a sequence that fails after a reopen leaves the next one (and each
 * shrinking step) an open store, not the closed one.
 */
export async function runAgainstModel(open: { store: Backend }, ops: readonly Op[]): Promise<void> {
  let store = open.store;
  const model = new Map<string, ModelEntry>();
  const seenEtags: string[] = [];
  const remember = (path: string, value: Uint8Array, attrs: Attrs, etag: string) => {
    model.set(path, { value, attrs: attrs ?? {}, etag });
    seenEtags.push(etag);
  };
  const staleEtag = (path: string) => seenEtags.find((e) => e !== model.get(path)?.etag) ?? 'never-an-etag';
  for (const [step, o] of ops.entries()) {
    const where = `step ${step}: ${JSON.stringify(o)}`;
    switch (o.op) {
      case 'put': {
        const current = model.get(o.key);
        const value = new Uint8Array(o.value);
        const ifMatch =
          o.cond.kind !== 'ifMatch'
            ? undefined
            : o.cond.which === 'current'
              ? (current?.etag ?? 'never-an-etag')
              : o.cond.which === 'stale'
                ? staleEtag(o.key)
                : 'never-an-etag';
        const ifAbsent = o.cond.kind === 'ifAbsent' ? true : undefined;
        const holds = ifAbsent ? current === undefined : ifMatch === undefined || current?.etag === ifMatch;
        const outcome = await store.put(o.key, value, { attrs: o.attrs, ifMatch, ifAbsent }).then(
          (meta) => meta,
          (error: unknown) => error,
        );
        if (holds) {
          if (outcome instanceof Error) throw new Error(`${where}: unexpected ${outcome.name}: ${outcome.message}`);
          const meta = outcome as { etag: string; size: number };
          expect(meta.size, where).toBe(value.byteLength);
          remember(o.key, value, o.attrs, meta.etag);
        } else {
          expect(outcome, where).toBeInstanceOf(ConditionFailedError);
        }
        break;
      }
      case 'get': {
        const hit = await store.get(o.key);
        const want = model.get(o.key);
        expect(hit === undefined, where).toBe(want === undefined);
        if (hit && want) {
          expect(hit.value, where).toEqual(want.value);
          expect(hit.meta.attrs, where).toEqual(want.attrs);
          expect(hit.meta.etag, where).toBe(want.etag);
        }
        break;
      }
      case 'stat': {
        const meta = await store.stat(o.key);
        const want = model.get(o.key);
        expect(meta === undefined, where).toBe(want === undefined);
        if (meta && want) {
          expect([meta.size, meta.etag, meta.attrs], where).toEqual([want.value.byteLength, want.etag, want.attrs]);
        }
        break;
      }
      case 'delete': {
        const current = model.get(o.key);
        const ifMatch =
          o.ifMatch === 'none' ? undefined : o.ifMatch === 'current' ? (current?.etag ?? 'never') : staleEtag(o.key);
        const holds = ifMatch === undefined || current?.etag === ifMatch;
        const outcome = await store.delete(o.key, { ifMatch }).then(
          (removed) => removed,
          (error: unknown) => error,
        );
        if (holds) {
          expect(outcome, where).toBe(current !== undefined);
          model.delete(o.key);
        } else {
          expect(outcome, where).toBeInstanceOf(ConditionFailedError);
        }
        break;
      }
      case 'list': {
        let want = [...model.entries()]
          .filter(([path, e]) => {
            if (!isUnder(path, o.prefix)) return false;
            if (!o.recursive && depth(path) !== (o.prefix === '' ? 0 : depth(o.prefix)) + 1) return false;
            if (o.after !== undefined && compareKeyPaths(path, o.after) <= 0) return false;
            return Object.entries(o.where ?? {}).every(([k, v]) => Object.hasOwn(e.attrs, k) && e.attrs[k] === v);
          })
          .map(([path]) => path)
          .sort(compareKeyPaths);
        if (o.limit !== undefined) want = want.slice(0, o.limit);
        const options = { recursive: o.recursive, after: o.after, limit: o.limit, where: o.where };
        const got: string[] = [];
        if (o.keysOnly) for await (const key of store.keys(o.prefix, options)) got.push(key.join('/'));
        else
          for await (const entry of store.list(o.prefix, options)) {
            const path = entry.key.join('/');
            got.push(path);
            expect(entry.meta.etag, `${where} (${path})`).toBe(model.get(path)?.etag);
          }
        expect(got, where).toEqual(want);
        break;
      }
      case 'getMany': {
        const hits = await store.getMany(o.keys);
        expect(
          hits.map((h) => (h ? [...h.value] : null)),
          where,
        ).toEqual(o.keys.map((k) => (model.has(k) ? [...(model.get(k) as ModelEntry).value] : null)));
        break;
      }
      case 'putMany': {
        const metas = await store.putMany(o.entries.map((e) => ({ ...e, value: new Uint8Array(e.value) })));
        expect(metas.length, where).toBe(o.entries.length);
        // Entries apply in order: of a key given twice, the last one wins.
        o.entries.forEach((e, i) => {
          remember(e.key, new Uint8Array(e.value), e.attrs, (metas[i] as { etag: string }).etag);
        });
        break;
      }
      case 'deleteMany': {
        const removed = await store.deleteMany(o.keys);
        const distinct = new Set(o.keys.filter((k) => model.has(k)));
        expect(removed, where).toBe(distinct.size);
        for (const k of distinct) model.delete(k);
        break;
      }
      case 'clear': {
        const removed = await store.clear(o.prefix);
        const doomed = [...model.keys()].filter((k) => isUnder(k, o.prefix));
        expect(removed, where).toBe(doomed.length);
        for (const k of doomed) model.delete(k);
        break;
      }
      case 'reopen': {
        const config = store.toConfig();
        await store.close();
        store = await openBackend(config);
        open.store = store;
        break;
      }
    }
  }
  // The end state, whole: every key of the model and nothing else.
  const all: string[] = [];
  for await (const key of store.keys()) all.push(key.join('/'));
  expect(all, 'final listing').toEqual([...model.keys()].sort(compareKeyPaths));
  for (const [path, entry] of model) expect((await store.get(path))?.value, `final ${path}`).toEqual(entry.value);
}
