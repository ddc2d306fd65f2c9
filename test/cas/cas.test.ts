import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { callDigest, createMemoStore, digestOf } from '../../src/entries/cas.ts';
import { memoize, openBackend, ValueStore } from '../../src/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { runCasSuite } from './cas-suite.ts';

afterAll(removeTempDirs);

runCasSuite('memory', async () => new MemoryBackend());
runCasSuite('fs', () => FsBackend.open({ root: tempDir('cas-fs'), fsync: false }));
runCasSuite('sqlite', () => SqliteBackend.open({ path: join(tempDir('cas-sqlite'), 'c.sqlite') }));

describe('void backend', () => {
  it('turns memoisation off without code changes', async () => {
    const store = createMemoStore(await openBackend('void://'));
    let runs = 0;
    const f = memoize(async (x: number) => ++runs + x, { store, name: 'f' });
    await f(1);
    await f(1);
    expect(runs).toBe(2);
    expect(await store.backend.get('anything')).toBeUndefined();
    expect((await store.backend.info()).entries).toBe(0);
  });
});

describe('memoize call ids', () => {
  it('are the call digest of the named argument digests, whatever was asked before', async () => {
    const store = createMemoStore(new MemoryBackend());
    // Names that concatenate alike ('a' + 'b1' and 'ab' + '1') must not share a remembered id.
    const f = memoize(async (a: unknown, b: unknown) => [a, b], { store, name: 'f', key: (a, b) => ({ a, b1: b }) });
    const g = memoize(async (a: unknown, b: unknown) => [a, b], { store, name: 'f', key: (a, b) => ({ ab: a, 1: b }) });
    for (let round = 0; round < 2; round++) {
      expect(f.callId(1, 2)).toBe(callDigest('f', '1', { a: digestOf(1), b1: digestOf(2) }));
      expect(g.callId(1, 2)).toBe(callDigest('f', '1', { ab: digestOf(1), 1: digestOf(2) }));
      expect(f.callId(2, 1)).not.toBe(f.callId(1, 2));
    }
    expect(await f(1, 2)).toEqual([1, 2]);
    expect(await store.calls.get('f', f.callId(1, 2))).toMatchObject({ args: { a: digestOf(1), b1: digestOf(2) } });
  });

  it('name positional arguments as an object of them would: a repeated name takes the last', () => {
    const store = createMemoStore(new MemoryBackend());
    const f = memoize(async (_a: unknown, _b: unknown, _c: unknown) => 0, {
      store,
      name: 'f',
      params: ['x', 'x'],
      ignore: ['2'],
    });
    // The first x is never digested: a function there is not refused.
    expect(f.callId(() => 0, 2, 3)).toBe(callDigest('f', '1', { x: digestOf(2) }));
  });

  it('share one computation while it runs, and compute again once it has failed', async () => {
    const store = createMemoStore(new MemoryBackend());
    let runs = 0;
    const f = memoize(
      async (x: number) => {
        runs++;
        await new Promise((r) => setTimeout(r, 5));
        if (runs === 1) throw new Error('first run fails');
        return x;
      },
      { store, name: 'f', params: ['x'] },
    );
    const [a, b] = await Promise.allSettled([f(1), f(1)]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(runs).toBe(1);
    expect(await f(1)).toBe(1);
    expect(runs).toBe(2);
  });
});

// A gc racing a put in another process that reuses an existing node: the node must survive
// until the record referring to it is written (the classic way content-addressed stores lose
// data). Here the "other process" is a second ValueStore over the same backend.
describe('ValueStore.gc beside a concurrent put that reuses a node', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('keeps a node a put just reused, although no root names it yet', async () => {
    const backend = new MemoryBackend();
    const writer = new ValueStore({ backend, gcGraceMs: 200 });
    const collector = new ValueStore({ backend, gcGraceMs: 200 });
    const value = { big: 'x'.repeat(1000), list: Array.from({ length: 20 }, (_, i) => `item-${i}`) };
    const digest = await writer.put(value);
    await sleep(300); // every node is now older than the grace
    expect(await writer.put(value)).toBe(digest); // reused, before its record is written
    const report = await collector.gc({ roots: [] });
    expect(report.removed).toBe(0);
    expect(await writer.get(digest)).toEqual(value);
    await sleep(300);
    expect((await collector.gc({ roots: [] })).removed).toBeGreaterThan(0); // unreferenced and old: collected
  });

  it('keeps a node rewritten between the listing and the delete (the delete is conditional on its ETag)', async () => {
    const backend = new MemoryBackend();
    const writer = new ValueStore({ backend, gcGraceMs: 0 });
    const digest = await writer.put({ a: 'y'.repeat(600) });
    let reused = false;
    // The put lands exactly between gc's listing and its deletes.
    const racing = new Proxy(backend, {
      get(target, name, receiver) {
        if (name === 'delete' && !reused) {
          reused = true;
          return async (...args: Parameters<MemoryBackend['delete']>) => {
            await sleep(5); // past the (zero) grace, so the put rewrites the node it reuses
            await new ValueStore({ backend, gcGraceMs: 0 }).put({ a: 'y'.repeat(600) });
            return target.delete(...args);
          };
        }
        const member = Reflect.get(target, name, receiver);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    await new ValueStore({ backend: racing, gcGraceMs: 0 }).gc({ roots: [] });
    expect(await writer.get(digest)).toEqual({ a: 'y'.repeat(600) });
  });

  // Found by reading (crash-layer test work): stowage gc read every call record before gc
  // started its grace clock, so a put that reused a node (young, so not rewritten) and
  // saved its record behind a long query lost the node. Roots are now read after the clock starts.
  it('keeps the nodes of a put that finished while slow roots were being read', async () => {
    const backend = new MemoryBackend();
    const writer = new ValueStore({ backend, gcGraceMs: 200 });
    const value = { big: 'z'.repeat(1000) };
    const digest = await writer.put(value);
    await sleep(60); // younger than half the grace: a reuse does not rewrite the node
    const slowQuery = (async function* () {
      expect(await writer.put(value)).toBe(digest); // reused; its record lands after the query passed it
      await sleep(250); // the query goes on past the grace
      yield* [];
    })();
    const report = await new ValueStore({ backend, gcGraceMs: 200 }).gc({ roots: slowQuery });
    expect(report.removed).toBe(0);
    expect(await writer.get(digest)).toEqual(value);
  });

  it('refuses a negative grace', () => {
    expect(() => new ValueStore({ backend: new MemoryBackend(), gcGraceMs: -1 })).toThrow(/gcGraceMs/);
  });
});
