import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { type CopyProgress, copyEntries, sameEntry } from '../../src/entries/tiered.ts';
import { type Backend, ConnectionError, type Meta, OperationError } from '../../src/index.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { type CallLog, faulty } from '../helpers/faulty-backend.ts';

async function contents(store: Backend, prefix = ''): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for await (const { key } of store.list(prefix)) out[key.join('/')] = text((await store.get(key))?.value);
  return out;
}

async function filled(n: number, prefix = 'k'): Promise<MemoryBackend> {
  const store = new MemoryBackend();
  await store.putMany(
    Array.from({ length: n }, (_, i) => ({
      key: `${prefix}/${String(i).padStart(3, '0')}`,
      value: bytes(`v${i}`),
      attrs: { i },
    })),
  );
  return store;
}

describe('copyEntries', () => {
  it('copies values and attrs in batches of getMany and putMany, and skips what the target holds equal', async () => {
    const source = await filled(25);
    const log: CallLog = [];
    const target = faulty(new MemoryBackend(), () => undefined, log);
    const report = await copyEntries(source, target, { batchSize: 10 });
    expect(report).toMatchObject({ copied: 25, skipped: 0, conflicts: 0, onlyInTarget: 0, errors: 0 });
    expect(report.bytes).toBe(Array.from({ length: 25 }, (_, i) => `v${i}`.length).reduce((a, b) => a + b));
    expect(log.filter((c) => c.operation === 'putMany').map((c) => c.key.split(',').length)).toEqual([10, 10, 5]);
    expect(log.some((c) => c.operation === 'put')).toBe(false);
    expect((await target.stat('k/024'))?.attrs).toEqual({ i: 24 });
    expect(await contents(target)).toEqual(await contents(source));

    log.length = 0;
    const again = await copyEntries(source, target, { batchSize: 10 });
    expect(again).toMatchObject({ copied: 0, skipped: 25 });
    expect(log.filter((c) => c.operation !== 'list')).toEqual([]);
  });

  it('streams values larger than a chunk one at a time, and batches the rest', async () => {
    const source = await filled(3);
    const big = new Uint8Array(9 * 1024 * 1024 + 3).map((_, i) => (i * 7) & 0xff);
    await source.putStream('k/big', [big], { attrs: { kind: 'trace' } });
    const log: CallLog = [];
    const target = faulty(new MemoryBackend(), () => undefined, log);
    const report = await copyEntries(source, target);
    expect(report).toMatchObject({ copied: 4, errors: 0 });
    expect(report.bytes).toBe(big.byteLength + 6);
    const batched = log.filter((c) => c.operation === 'putMany').flatMap((c) => c.key.split(','));
    expect(batched).toEqual(['k/000', 'k/001', 'k/002']);
    expect(log.filter((c) => c.operation === 'putStream').map((c) => c.key)).toEqual(['k/big']);
    const copied = await target.get('k/big');
    expect(Buffer.from(copied?.value ?? []).equals(big)).toBe(true);
    expect(copied?.meta.attrs).toEqual({ kind: 'trace' });
  });

  it('copies nothing in a dry run, but counts what it would copy', async () => {
    const source = await filled(5);
    const target = new MemoryBackend();
    await target.put('k/000', bytes('v0'), { attrs: { i: 0 } });
    await target.put('k/001', bytes('changed'), { attrs: { i: 1 } });
    await target.put('only-here', bytes('t'));
    const before = await contents(target);
    const report = await copyEntries(source, target, { dryRun: true });
    expect(report).toMatchObject({ copied: 4, skipped: 1, conflicts: 1, onlyInTarget: 1, errors: 0 });
    expect(report.bytes).toBe(8);
    expect(await contents(target)).toEqual(before);
    const both = await copyEntries(source, target, { dryRun: true, bothWays: true });
    expect(both).toMatchObject({ copied: 5, skipped: 1, onlyInTarget: 0 });
    expect(await contents(target)).toEqual(before);
    expect(await contents(source)).not.toHaveProperty('only-here');
  });

  it('stops cleanly when aborted, and a second run resumes where it stopped', async () => {
    const source = await filled(100);
    const target = new MemoryBackend();
    const stop = new AbortController();
    const first = await copyEntries(source, target, {
      batchSize: 10,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.processed === 35) stop.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    // The batch being written when the signal came is finished, nothing after it starts.
    expect(first.copied).toBe(40);
    const copied = await contents(target);
    expect(Object.keys(copied)).toHaveLength(40);
    for (const [key, value] of Object.entries(copied)) expect(value).toBe(text((await source.get(key))?.value));

    const second = await copyEntries(source, target, { batchSize: 10 });
    expect(second).toMatchObject({ copied: 60, skipped: 40, interrupted: false });
    expect(await contents(target)).toEqual(await contents(source));
  });

  it('does not start when the signal is already aborted', async () => {
    const source = await filled(3);
    const target = new MemoryBackend();
    const report = await copyEntries(source, target, { signal: AbortSignal.abort() });
    expect(report).toMatchObject({ copied: 0, interrupted: true });
    expect(await contents(target)).toEqual({});
  });

  it('copies an entry whose attrs alone differ, and ignores the order of attrs', async () => {
    const source = new MemoryBackend();
    const target = new MemoryBackend();
    await source.put('a', bytes('same'), { attrs: { owner: 'x', tags: ['p'] } });
    await target.put('a', bytes('same'), { attrs: { owner: 'y', tags: ['p'] } });
    await source.put('b', bytes('same'), { attrs: { one: 1, two: { deep: [1, 2] } } });
    await target.put('b', bytes('same'), { attrs: { two: { deep: [1, 2] }, one: 1 } });
    const meta = async (store: Backend, key: string) => (await store.stat(key)) as Meta;
    expect(sameEntry(await meta(source, 'a'), await meta(target, 'a'))).toBe(false);
    expect(sameEntry(await meta(source, 'b'), await meta(target, 'b'))).toBe(true);
    const report = await copyEntries(source, target);
    expect(report).toMatchObject({ copied: 1, skipped: 1, conflicts: 1 });
    expect((await target.stat('a'))?.attrs).toEqual({ owner: 'x', tags: ['p'] });
  });

  it('tells the progress callback about every entry, once, with running counts', async () => {
    const source = await filled(12);
    const target = await filled(3);
    await target.put('k/001', bytes('other'), { attrs: { i: 1 } });
    await target.put('zz/target-only', bytes('t'));
    const seen: CopyProgress[] = [];
    const report = await copyEntries(source, target, { batchSize: 5, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.key).sort()).toEqual([...Object.keys(await contents(source)), 'zz/target-only'].sort());
    expect(seen.map((p) => p.processed)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    const last = seen[seen.length - 1] as CopyProgress;
    expect(last).toMatchObject({ copied: 10, skipped: 2, conflicts: 1, onlyInTarget: 1, errors: 0 });
    expect(report).toMatchObject({ copied: 10, skipped: 2, conflicts: 1, onlyInTarget: 1 });
  });

  it('copies both ways with bothWays: each side gets what it lacks, the newer entry wins', async () => {
    const a = new MemoryBackend();
    const b = new MemoryBackend();
    await a.put('a-only', bytes('a'));
    await b.put('b-only', bytes('b'));
    await a.put('newer-on-b', bytes('old'));
    await b.put('newer-on-a', bytes('old'));
    await new Promise((r) => setTimeout(r, 5));
    await b.put('newer-on-b', bytes('new'));
    await a.put('newer-on-a', bytes('new'));
    const report = await copyEntries(a, b, { bothWays: true });
    expect(report).toMatchObject({ copied: 4, conflicts: 2, skipped: 0, onlyInTarget: 0 });
    const expected = { 'a-only': 'a', 'b-only': 'b', 'newer-on-a': 'new', 'newer-on-b': 'new' };
    expect(await contents(a)).toEqual(expected);
    expect(await contents(b)).toEqual(expected);
  });

  it('rewrites equal entries with overwrite, and copies exactly the given keys', async () => {
    const source = await filled(4);
    const target = new MemoryBackend();
    await copyEntries(source, target);
    const before = (await target.stat('k/000'))?.etag;
    expect(await copyEntries(source, target, { overwrite: true })).toMatchObject({
      copied: 4,
      skipped: 0,
      conflicts: 0,
    });
    expect((await target.stat('k/000'))?.etag).not.toBe(before);

    const picked = new MemoryBackend();
    const report = await copyEntries(source, picked, { keys: ['k/002', ['k', '000'], 'k/missing'] });
    expect(report).toMatchObject({ copied: 2, skipped: 0 });
    expect(Object.keys(await contents(picked))).toEqual(['k/000', 'k/002']);
    await expect(copyEntries(source, picked, { keys: ['k/000'], prefix: 'k' })).rejects.toBeInstanceOf(OperationError);
    await expect(copyEntries(source, picked, { batchSize: 0 })).rejects.toBeInstanceOf(OperationError);
  });

  it('reports an entry that cannot be written and still copies the rest of its batch', async () => {
    const source = await filled(6);
    const backing = new MemoryBackend();
    const target = faulty(backing, (operation, key) =>
      (operation === 'put' || operation === 'putMany') && key.split(',').includes('k/003') ? 'fail' : undefined,
    );
    const report = await copyEntries(source, target);
    expect(report).toMatchObject({ copied: 5, errors: 1 });
    expect(report.failures.map((f) => [f.key, f.error instanceof ConnectionError])).toEqual([['k/003', true]]);
    expect(Object.keys(await contents(backing))).toEqual(['k/000', 'k/001', 'k/002', 'k/004', 'k/005']);
  });
});
