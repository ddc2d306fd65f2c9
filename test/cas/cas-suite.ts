import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callDigest, createMemoStore } from '../../src/entries/cas.ts';
import {
  AmbiguousDigestError,
  type Backend,
  CallStore,
  CorruptValueError,
  getCodec,
  memoize,
  NotFoundError,
  OperationError,
  SerializationError,
  ValueStore,
} from '../../src/index.ts';
import { runWorkers } from '../conformance/run-workers.ts';
import { type CallLog, faulty } from '../helpers/faulty-backend.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Runs the ValueStore, CallStore and memoize tests on stores opened by `open`. */
export function runCasSuite(name: string, open: () => Promise<Backend>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`content-addressed store on ${name}`, () => {
    let backend: Backend;
    let values: ValueStore;
    beforeEach(async () => {
      backend = await open();
      values = new ValueStore({ backend, inlineThreshold: 64 });
    });
    afterEach(async () => {
      await backend.close();
    });

    it('gives one digest per logical value, whatever the key order', async () => {
      const a = await values.put({ x: 1, y: [1, 2, { z: 'q' }], m: new Map([['k', 1]]) });
      const b = await values.put({ m: new Map([['k', 1]]), y: [1, 2, { z: 'q' }], x: 1 });
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(b).toBe(a);
      expect(await values.put({ x: 2 })).not.toBe(a);
      expect(values.digest([1, 2])).toBe(await values.put([1, 2]));
      expect(await values.get(a)).toEqual({ m: new Map([['k', 1]]), x: 1, y: [1, 2, { z: 'q' }] });
      expect(await values.has(a)).toBe(true);
      await expect(values.get('0'.repeat(64))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('destructures containers and stores shared children once', async () => {
      const shared = Array.from({ length: 40 }, (_, i) => `shared-item-${i}`);
      const first = await values.put({ a: shared, tag: 'first' });
      const second = await values.put({ b: shared, tag: 'second' });
      const sharedDigest = values.digest(shared);
      expect(await values.children(first)).toContain(sharedDigest);
      expect(await values.children(second)).toContain(sharedDigest);
      expect(await values.reuses(sharedDigest)).toBe(2);
      expect((await values.countReuses()).get(sharedDigest)).toBe(2);
      expect(await values.get(second)).toEqual({ b: shared, tag: 'second' });
      const typed = { big: new Float64Array(100).fill(1.5), when: new Date(0), set: new Set([1, 2]), n: 2n ** 70n };
      expect(await values.get(await values.put(typed))).toEqual(typed);
    });

    it('expands and shrinks short digests through ordered range reads', async () => {
      const digests = await Promise.all(Array.from({ length: 40 }, (_, i) => values.put({ i, pad: 'x'.repeat(80) })));
      const d = digests[0] as string;
      expect(await values.expand(d.slice(0, 12))).toBe(d);
      const short = await values.shrink(d);
      expect(short.length).toBeGreaterThanOrEqual(4);
      expect(await values.expand(short)).toBe(d);
      // 40 digests over 16 first characters: some first character is shared.
      const listed = await all(values.list());
      const first = listed.map((x) => x[0]).find((c, i, arr) => arr.indexOf(c) !== i) as string;
      const error = await values.expand(first).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmbiguousDigestError);
      expect((error as AmbiguousDigestError).candidates.length).toBeGreaterThan(1);
      await expect(values.expand('fffffffffffffff0')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('collects garbage unreachable from the roots, with a dry run first', async () => {
      const keep = await values.put({ keep: Array.from({ length: 30 }, (_, i) => `k${i}`) });
      const drop = await values.put({ drop: Array.from({ length: 30 }, (_, i) => `d${i}`) });
      const dry = await values.gc({ roots: [keep], dryRun: true, graceMs: 0 });
      expect(dry.removed).toBeGreaterThan(0);
      expect(await values.has(drop)).toBe(true);
      const real = await values.gc({ roots: [keep], graceMs: 0 });
      expect(real.removed).toBe(dry.removed);
      expect(real.bytesFreed).toBeGreaterThan(0);
      expect(await values.has(drop)).toBe(false);
      expect(await values.get(keep)).toEqual({ keep: Array.from({ length: 30 }, (_, i) => `k${i}`) });
    });

    it('rebuilds equal stored children as separate objects', async () => {
      const shared = Array.from({ length: 40 }, (_, i) => `shared-item-${i}`);
      const got = (await values.get(await values.put({ a: shared, b: shared }))) as Record<string, string[]>;
      expect(got.a).toEqual(shared);
      expect(got.b).toEqual(shared);
      expect(got.a).not.toBe(got.b);
    });

    it('catches an inline leaf changed to another value it has already seen', async () => {
      const numbers = Array.from({ length: 40 }, (_, i) => i + 1);
      const d = await values.put({ numbers });
      expect(await values.get(d)).toEqual({ numbers }); // every leaf's digest is now known
      const [child] = await values.children(d);
      const key = ['cas', 'v', child as string];
      const bytes = new Uint8Array((await backend.get(key))?.value ?? []);
      // Inline children are msgpack ['i', n]: fixstr 'i' (a1 69) then the fixint n. Make 5 a 6.
      const at = bytes.findIndex((b, i) => b === 0xa1 && bytes[i + 1] === 0x69 && bytes[i + 2] === 5);
      expect(at).toBeGreaterThan(0);
      bytes[at + 2] = 6;
      await backend.put(key, bytes);
      await expect(values.get(d)).rejects.toBeInstanceOf(CorruptValueError);
    });

    it('verifies nodes on read', async () => {
      const d = await values.put({ payload: 'y'.repeat(200) });
      const [child] = await values.children(d);
      const key = ['cas', 'v', child as string];
      const hit = await backend.get(key);
      const tampered = new Uint8Array(hit?.value ?? []);
      tampered[tampered.length - 1] = 'z'.charCodeAt(0);
      await backend.put(key, tampered);
      await expect(values.get(d)).rejects.toBeInstanceOf(CorruptValueError);
    });

    it('records and queries calls with wildcards, and transforms them', async () => {
      const memo = createMemoStore(backend);
      const calls = new CallStore({ backend });
      let runs = 0;
      const f = memoize(
        async (x: number, y: number) => {
          runs++;
          return x * y;
        },
        { store: memo, name: 'mul', params: ['x', 'y'] },
      );
      expect(await f(3, 4)).toBe(12);
      expect(await f(3, 4)).toBe(12);
      expect(await f(3, 5)).toBe(15);
      expect(await f(2, 5)).toBe(10);
      expect(runs).toBe(3);
      expect((await all(calls.query({ fn: 'mul', args: { x: 3, y: undefined } }))).length).toBe(2);
      expect((await all(calls.query({ args: { y: 5 } }))).length).toBe(2);
      const [one] = await all(calls.query({ fn: 'mul', args: { x: 2 } }));
      expect(await memo.values.get(one?.result as string)).toBe(10);
      expect(one?.durationMs).toBeGreaterThanOrEqual(0);
      expect(await calls.transform((r) => ({ ...r, fn: 'multiply' }))).toBe(3);
      expect((await all(calls.query({ fn: 'mul' }))).length).toBe(0);
      expect((await all(calls.query({ fn: 'multiply', version: '1' }))).length).toBe(3);
    });

    it('stores a value under a key of the caller’s as fleche’s save(value, key) does', async () => {
      const key = 'ab'.repeat(32);
      expect(await values.put({ big: [1, 2, 3] }, { key })).toBe(key);
      expect(await values.get(key)).toEqual({ big: [1, 2, 3] });
      expect(await values.get(key.slice(0, 8))).toEqual({ big: [1, 2, 3] });
      expect(await values.has(key)).toBe(true);
      expect(await values.has(key.slice(0, 6))).toBe(true);
      expect(await all(values.listKeys())).toEqual([key]);
      const digest = await values.put({ big: [1, 2, 3] });
      expect(digest).not.toBe(key);
      expect(await values.gc({ roots: [] })).toMatchObject({ removed: 0 });
      expect(await values.get(key)).toEqual({ big: [1, 2, 3] });
      expect(await values.delete(key)).toBe(true);
      expect(await values.has(key)).toBe(false);
      expect(await values.has(digest)).toBe(true);
      await expect(values.put(1, { key: 'not-hex' })).rejects.toBeInstanceOf(OperationError);
    });

    it('answers has() for short digests as get() takes them', async () => {
      const digest = await values.put(['short', 'digests']);
      expect(await values.has(digest.slice(0, 6))).toBe(true);
      expect(await values.has(digest)).toBe(true);
      expect(await values.has('f'.repeat(64))).toBe(false);
      expect(await values.has('not hex')).toBe(false);
    });

    it('answers a hit on a small result from its call record alone (one read), a large one from the value store', async () => {
      const log: CallLog = [];
      const memo = createMemoStore(faulty(backend, () => undefined, log));
      let runs = 0;
      const f = memoize(
        async (n: number) => {
          runs++;
          return { n, items: Array.from({ length: n }, (_, i) => `item-${i}`), at: new Map([['k', n]]) };
        },
        { store: memo, name: 'items', params: ['n'] },
      );
      const small = await f(3);
      log.length = 0;
      expect(await f(3)).toEqual(small);
      expect(log.filter((c) => c.operation === 'get' || c.operation === 'getMany')).toHaveLength(1);
      expect((await memo.calls.get(f.callId(3)))?.inlineResult?.value).toEqual(small);
      const large = await f(2000); // ~20 KB encoded: the record names it, the value store holds it
      log.length = 0;
      expect(await f(2000)).toEqual(large);
      expect(log.filter((c) => c.operation === 'get').length).toBeGreaterThan(1);
      expect((await memo.calls.get(f.callId(2000)))?.inlineResult).toBeUndefined();
      expect(runs).toBe(2);
      // A transform that points a record at another result drops the stale inline copy.
      const other = await memo.values.put({ replaced: true });
      await memo.calls.transform((r) => (r.fn === 'items' ? { ...r, result: other } : r));
      expect(await f(3)).toEqual({ replaced: true });
      expect(runs).toBe(2);
    });

    it('keeps an argument named __proto__ in the call id like any other', async () => {
      const memo = createMemoStore(backend);
      let runs = 0;
      const f = memoize(
        async (x: number) => {
          runs++;
          return x * 10;
        },
        { store: memo, name: 'proto-arg', params: ['__proto__'] },
      );
      expect(f.callId(1)).not.toBe(f.callId(2));
      expect(await f(1)).toBe(10);
      expect(await f(2)).toBe(20);
      expect(runs).toBe(2);
    });

    it('finds call records by id alone, full or short, as fleche does for calls', async () => {
      const memo = createMemoStore(backend);
      const f = memoize(async (x: number) => x + 1, { store: memo, name: 'inc', params: ['x'] });
      await f(1);
      await f(2);
      const id = f.callId(1);
      const short = await memo.calls.shrink(id);
      expect(short.length).toBeLessThan(64);
      expect(await memo.calls.expand(short)).toBe(id);
      expect((await memo.calls.get(short))?.id).toBe(id);
      expect((await memo.calls.get(id))?.fn).toBe('inc');
      expect(await memo.calls.get('inc', short)).toMatchObject({ id, fn: 'inc' });
      expect(await memo.calls.get('other', id)).toBeUndefined();
      expect(await memo.calls.has(short)).toBe(true);
      expect(await memo.calls.has('0'.repeat(64))).toBe(false);
      expect((await all(memo.calls.list())).sort()).toEqual([id, f.callId(2)].sort());
      expect(await memo.calls.delete(short)).toBe(true);
      expect(await memo.calls.get(id)).toBeUndefined();
      await expect(memo.calls.expand('xyz')).rejects.toBeInstanceOf(OperationError);
    });

    it('queries calls by result and by metadata, and refuses unknown query fields', async () => {
      const memo = createMemoStore(backend);
      const f = memoize(async (x: number) => (x % 2 === 0 ? { e: 12 } : { e: x }), {
        store: memo,
        name: 'energy',
        params: ['x'],
        metadata: ({ args }) => ({ solver: 'rk4', parity: (args.x as number) % 2, tags: { run: 'a' } }),
      });
      for (const x of [1, 2, 3, 4]) await f(x);
      const byResult = await all(memo.calls.query({ result: { e: 12 } }));
      expect(byResult.map((c) => c.id).sort()).toEqual([f.callId(2), f.callId(4)].sort());
      const digest = byResult[0]?.result as string;
      expect((await all(memo.calls.query({ resultDigest: digest }))).length).toBe(2);
      expect((await all(memo.calls.query({ metadata: { parity: 1 } }))).length).toBe(2);
      expect((await all(memo.calls.query({ metadata: { solver: 'rk4', tags: { run: 'a' } } }))).length).toBe(4);
      expect((await all(memo.calls.query({ metadata: { tags: { run: 'b' } } }))).length).toBe(0);
      expect((await memo.calls.get(f.callId(1)))?.metadata).toEqual({ solver: 'rk4', parity: 1, tags: { run: 'a' } });
      await expect(all(memo.calls.query({ reslt: 1 } as never))).rejects.toThrow(/Unknown option 'reslt'/);
    });

    it('leaves ignored arguments out of the call id, and names an argument that cannot be stored', async () => {
      const memo = createMemoStore(backend);
      let runs = 0;
      const f = memoize(
        async (x: number, _log: (m: string) => void) => {
          runs++;
          return x;
        },
        { store: memo, name: 'logged', params: ['x', 'log'], ignore: ['log'] },
      );
      await f(1, () => undefined);
      await f(1, console.log);
      expect(runs).toBe(1);
      const g = memoize(async (x: number, _cb: () => void) => x, { store: memo, name: 'unsafe', params: ['x', 'cb'] });
      const error = await g(1, () => undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SerializationError);
      expect(String(error)).toMatch(/Argument 'cb' of the memoized function 'unsafe'/);
      const h = memoize(async (_tag: symbol) => 1, { store: memo, name: 'tagged', params: ['tag'] });
      const symbolError = await h(Symbol('t')).catch((e: unknown) => e);
      expect(symbolError).toBeInstanceOf(SerializationError);
      expect(String(symbolError)).toMatch(/Argument 'tag' of the memoized function 'tagged'/);
      expect(() => memoize(async () => 1, { store: memo, name: 'x', ignored: ['a'] } as never)).toThrow(OperationError);
    });

    it('reads call records written by the first layout (cas/c/<fn>/<id>)', async () => {
      const memo = createMemoStore(backend);
      const record = {
        fn: 'old',
        version: '1',
        args: {},
        result: await memo.values.put(7),
        startedAt: 1,
        durationMs: 2,
      };
      const id = callDigest('old', '1', {});
      await backend.put(['cas', 'c', 'old', id], getCodec('msgpack').encode(record), { attrs: { fn: 'old' } });
      const fresh = new CallStore({ backend });
      expect(await fresh.get(id)).toMatchObject({ fn: 'old', id });
      expect(await all(backend.keys(['cas', 'c']))).toEqual([]);
      const old = memoize(async () => 99, { store: createMemoStore(backend), name: 'old' });
      expect(await old()).toBe(7);
    });

    it('computes concurrent identical calls once and does not cache errors by default', async () => {
      const memo = createMemoStore(backend);
      let runs = 0;
      const slow = memoize(
        async (x: number) => {
          runs++;
          await new Promise((r) => setTimeout(r, 30));
          if (x < 0) throw new Error('negative');
          return { x };
        },
        { store: memo, name: 'slow' },
      );
      const results = await Promise.all(Array.from({ length: 10 }, () => slow(1)));
      expect(runs).toBe(1);
      expect(results.every((r) => r.x === 1)).toBe(true);
      await expect(slow(-1)).rejects.toThrow('negative');
      await expect(slow(-1)).rejects.toThrow('negative');
      expect(runs).toBe(3);
      const cached = memoize(
        async () => {
          runs++;
          throw new TypeError('always');
        },
        { store: memo, name: 'cached-errors', cacheErrors: true },
      );
      await expect(cached()).rejects.toThrow('always');
      await expect(cached()).rejects.toThrow('always');
      expect(runs).toBe(4);
    });

    it('computes once across 4 processes (when the backend is multi-process)', async () => {
      if (!(backend.capabilities.multiProcess && backend.capabilities.atomicConditionalWrite)) return;
      const log = join(tempDir('memo-log'), 'runs.log');
      writeFileSync(log, '');
      const results = (await runWorkers('../cas/memo-worker.ts', [JSON.stringify(backend.toConfig()), log], 4)) as {
        sum: number;
      }[];
      expect(results.map((r) => r.sum)).toEqual([42, 42, 42, 42]);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    }, 120_000);
  });
}
