import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { createDatabaseStorage, createFilesystemStorage, createStorageManager } from '../../src/entries/results.ts';
import type { SecondaryFailure } from '../../src/entries/tiered.ts';
import {
  type Backend,
  ConnectionError,
  openBackend,
  PersiDict,
  StorageManager,
  TieredBackend,
} from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { faulty } from '../helpers/faulty-backend.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { sampleResult } from '../results/result-store-suite.ts';

afterAll(removeTempDirs);

runConformanceSuite({
  name: 'tiered (memory + memory, lru cache)',
  open: async () =>
    new TieredBackend({ primary: new MemoryBackend(), secondary: new MemoryBackend(), cache: { maxBytes: 1 << 20 } }),
  missing: () => ({ type: 'tiered', primary: { type: 'memory' }, secondary: { type: 'memory' } }),
});
runConformanceSuite({
  name: 'tiered (sqlite + fs, no cache)',
  open: async () =>
    new TieredBackend({
      primary: await SqliteBackend.open({ path: join(tempDir('tiered-sqlite'), 't.sqlite') }),
      secondary: await FsBackend.open({ root: tempDir('tiered-fs'), fsync: false }),
    }),
  missing: () => ({
    type: 'tiered',
    primary: { type: 'sqlite', path: join(tempDir('tiered-missing'), 'typo.sqlite') },
    secondary: { type: 'fs', root: join(tempDir('tiered-missing'), 'typo'), fsync: false },
  }),
});

async function all(store: Backend, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.list(prefix)) keys.push(e.key.join('/'));
  return keys;
}

describe('TieredBackend', () => {
  it('serves repeated reads from the cache and evicts by bytes', async () => {
    const primary = new MemoryBackend();
    const tiered = new TieredBackend({ primary, cache: { maxBytes: 8, policy: 'fifo' } });
    await tiered.put('a', bytes('1234'));
    await tiered.put('b', bytes('5678'));
    await primary.delete('a');
    expect(text((await tiered.get('a'))?.value)).toBe('1234');
    expect(await tiered.view({ useCache: false }).get('a')).toBeUndefined();
    await tiered.put('c', bytes('9999'));
    expect(await tiered.whereIs('a')).toEqual([]);
    expect(await tiered.whereIs('c')).toEqual(['cache', 'primary']);
  });

  it('never loses a write when the secondary fails or hangs, reports it, and sync repairs it', async () => {
    const primary = new MemoryBackend();
    const secondaryStore = new MemoryBackend();
    let down: 'fail' | 'hang' | undefined = 'fail';
    const failures: SecondaryFailure[] = [];
    const tiered = new TieredBackend({
      primary,
      secondary: faulty(secondaryStore, () => down),
      onSecondaryError: (f) => failures.push(f),
      secondaryTimeoutMs: 200,
    });
    await tiered.put('x/1', bytes('one'));
    down = 'hang';
    await tiered.put('x/2', bytes('two'));
    down = undefined;
    await tiered.put('x/3', bytes('three'));
    expect(await all(primary)).toEqual(['x/1', 'x/2', 'x/3']);
    expect(await all(secondaryStore)).toEqual(['x/3']);
    expect(failures.map((f) => [f.operation, f.keys[0], f.error instanceof ConnectionError])).toEqual([
      ['put', 'x/1', true],
      ['put', 'x/2', true],
    ]);
    expect(tiered.secondaryFailures).toHaveLength(2);
    const report = await tiered.sync();
    expect(report).toMatchObject({ copied: 2, skipped: 1, conflicts: 0, errors: 0 });
    expect(await all(secondaryStore)).toEqual(['x/1', 'x/2', 'x/3']);
    expect(tiered.secondaryFailures).toHaveLength(0);
  });

  it('falls back to the secondary when the primary misses (repairing the primary) or is down', async () => {
    const primaryStore = new MemoryBackend();
    const secondary = new MemoryBackend();
    let primaryDown = false;
    const tiered = new TieredBackend({
      primary: faulty(primaryStore, (op) => (primaryDown && op !== 'put' ? 'fail' : undefined)),
      secondary,
      cache: { maxBytes: 1 << 20 },
    });
    await secondary.put('only/secondary', bytes('s'));
    const repaired = await tiered.get('only/secondary');
    expect(text(repaired?.value)).toBe('s');
    // Read repair: the copy now lives on the primary, with the primary's ETag.
    expect(await tiered.whereIs('only/secondary')).toEqual(['cache', 'primary', 'secondary']);
    expect((await primaryStore.stat('only/secondary'))?.etag).toBe(repaired?.meta.etag);
    await tiered.put('only/secondary', bytes('s2'), { ifMatch: repaired?.meta.etag });
    await tiered.put('both', bytes('b'));
    tiered.clearCache();
    primaryDown = true;
    expect(text((await tiered.get('both'))?.value)).toBe('b');
    expect((await tiered.getMany(['both', 'only/secondary'])).map((g) => text(g?.value))).toEqual(['b', 's2']);
    await expect(tiered.view({ readFrom: 'primary' }).put('new', bytes('n'))).resolves.toBeDefined();
  });

  it('syncs in all three directions with counts, dry runs and progress', async () => {
    const primary = new MemoryBackend();
    const secondary = new MemoryBackend();
    const tiered = new TieredBackend({ primary, secondary });
    await primary.put('p-only', bytes('p'));
    await secondary.put('s-only', bytes('s'));
    await primary.put('same', bytes('='));
    await secondary.put('same', bytes('='));
    await secondary.put('both', bytes('old'));
    await new Promise((r) => setTimeout(r, 5));
    await primary.put('both', bytes('newer-on-primary'));

    const dry = await tiered.sync({ direction: 'bidirectional', dryRun: true });
    expect(dry).toMatchObject({ copied: 3, skipped: 1, conflicts: 1 });
    expect(await all(primary)).toEqual(['both', 'p-only', 'same']);

    const toPrimary = await tiered.sync({ direction: 'secondaryToPrimary' });
    expect(toPrimary).toMatchObject({ copied: 2, skipped: 2, conflicts: 1, errors: 0 });
    expect(text((await primary.get('both'))?.value)).toBe('old');

    await new Promise((r) => setTimeout(r, 5));
    await primary.put('both', bytes('edited'));
    const progress: number[] = [];
    const both = await tiered.sync({ direction: 'bidirectional', onProgress: (p) => progress.push(p.processed) });
    expect(both).toMatchObject({ copied: 2, conflicts: 1 });
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(text((await secondary.get('both'))?.value)).toBe('edited');
    expect(text((await secondary.get('p-only'))?.value)).toBe('p');

    const again = await tiered.sync({ direction: 'primaryToSecondary' });
    expect(again).toMatchObject({ copied: 0, skipped: 4 });
  });

  it('migrates entries between tiers and lists each tier', async () => {
    const tiered = new TieredBackend({
      primary: new MemoryBackend(),
      secondary: new MemoryBackend(),
      cache: { maxBytes: 1000 },
    });
    await tiered.view({ replicate: false }).put('m', bytes('v'), { attrs: { a: 1 } });
    expect(await tiered.whereIs('m')).toEqual(['cache', 'primary']);
    expect(await tiered.migrate('m', 'primary', 'secondary')).toBe(true);
    expect((await tiered.secondary?.stat('m'))?.attrs).toEqual({ a: 1 });
    expect(await all(tiered.view({ readFrom: 'secondary' }))).toEqual(['m']);
    expect(await all(tiered.view({ readFrom: 'cache' }))).toEqual(['m']);
    expect(await tiered.migrate('nothing', 'primary', 'secondary')).toBe(false);
  });

  it('migrates from the cache to the primary and from the secondary into the cache', async () => {
    const primary = new MemoryBackend();
    const secondary = new MemoryBackend();
    const tiered = new TieredBackend({ primary, secondary, cache: { maxBytes: 1000 } });
    await tiered.view({ replicate: false }).put('c', bytes('cached'), { attrs: { a: 1 } });
    await primary.delete('c');
    expect(await tiered.migrate('c', 'cache', 'primary')).toBe(true);
    expect(text((await primary.get('c'))?.value)).toBe('cached');
    expect((await primary.stat('c'))?.attrs).toEqual({ a: 1 });
    // The cached copy carried the old ETag: it leaves the cache, the next read refills it.
    expect((await tiered.get('c'))?.meta.etag).toBe((await primary.stat('c'))?.etag);

    await secondary.put('s', bytes('second'));
    expect(await tiered.migrateMany(['s', 'absent'], 'secondary', 'cache')).toBe(1);
    expect(await tiered.whereIs('s')).toEqual(['cache', 'secondary']);
    await expect(new TieredBackend({ primary }).migrate('c', 'primary', 'cache')).rejects.toThrow(/no cache tier/);
  });

  it('carries a PersiDict unchanged and reopens from its config', async () => {
    const dir = tempDir('tiered-cfg');
    const tiered = new TieredBackend({
      primary: await openBackend(`sqlite:${dir}/p.sqlite`),
      secondary: await openBackend(`file:${dir}/s`),
      cache: { maxBytes: 1 << 20 },
    });
    const dict = new PersiDict<number>({ backend: tiered });
    await dict.set('n', 1);
    await dict.update('n', (n) => (n ?? 0) + 1);
    expect(await dict.get('n')).toBe(2);
    const config = JSON.parse(JSON.stringify(tiered.toConfig()));
    await tiered.close();
    const again = await openBackend(config);
    expect(await new PersiDict<number>({ backend: again }).get('n')).toBe(2);
    expect(await (again as TieredBackend).whereIs('n.json')).toEqual(['cache', 'primary', 'secondary']);
    await again.close();
  });
});

describe('StorageManager', () => {
  it('stores a result through cache + sqlite primary + fs secondary', async () => {
    const dir = tempDir('manager');
    const manager = await createStorageManager({
      primary: `sqlite:${dir}/results.sqlite`,
      secondary: `file:${dir}/backup`,
      useCache: true,
      cacheSizeMb: 16,
    });
    await manager.save('exp/1', sampleResult());
    expect(await manager.whereIs('exp/1')).toEqual(['cache', 'primary', 'secondary']);
    expect((await manager.load('exp/1')).toJSON()).toEqual(sampleResult().toJSON());
    expect((await manager.loadSet('exp/1', 'pareto')).nPoints).toBe(1);
    expect(await manager.list()).toEqual(['exp/1']);
    expect(await manager.list(undefined, { from: 'secondary' })).toEqual(['exp/1']);
    expect((await manager.getMetadata('exp/1')).nSets).toBe(2);

    await manager.save('exp/2', sampleResult('2'), { replicate: false });
    expect(await manager.whereIs('exp/2')).toEqual(['cache', 'primary']);
    expect(await manager.migrate('exp/2', 'primary', 'secondary')).toBe(true);
    expect((await manager.results.withBackend(manager.tiered.view({ readFrom: 'secondary' })).load('exp/2')).id).toBe(
      '2',
    );

    await manager.rename('exp/2', 'exp/3');
    expect(await manager.list(undefined, { from: 'secondary' })).toEqual(['exp/1', 'exp/3']);

    await manager.delete('exp/1', { fromAll: false });
    // Gone from the primary, still on the secondary: exists falls back, as every read does.
    expect(await manager.whereIs('exp/1')).toEqual(['secondary']);
    expect(await manager.exists('exp/1')).toBe(true);
    expect(await manager.exists('exp/1', { checkAll: true })).toBe(true);
    const sync = await manager.sync({ direction: 'secondaryToPrimary' });
    expect(sync.copied).toBeGreaterThan(0);
    expect(await manager.exists('exp/1')).toBe(true);

    const config = JSON.parse(JSON.stringify(manager.toConfig()));
    await manager.close();
    const again = await StorageManager.fromConfig(config);
    expect(await again.list()).toEqual(['exp/1', 'exp/3']);
    expect(await again.clearAll()).toBe(2);
    expect(await again.list(undefined, { from: 'secondary' })).toEqual([]);
    await again.close();
  });

  it('keeps saving when the secondary is down, and reports it', async () => {
    const failures: SecondaryFailure[] = [];
    const manager = new StorageManager({
      primary: new MemoryBackend(),
      secondary: faulty(new MemoryBackend(), () => 'fail'),
      onSecondaryError: (f) => failures.push(f),
    });
    await manager.save('r', sampleResult());
    expect((await manager.load('r', { useCache: false })).id).toBe('exp-1');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.error instanceof ConnectionError)).toBe(true);
  });

  it('falls back to the secondary for every read while the primary is down', async () => {
    let down = false;
    const dir = tempDir('manager-down');
    const primary = faulty(await SqliteBackend.open({ path: join(dir, 'p.sqlite') }), () =>
      down ? 'fail' : undefined,
    );
    const manager = new StorageManager({
      primary,
      secondary: await FsBackend.open({ root: join(dir, 'backup'), fsync: false }),
      useCache: false,
    });
    await manager.save('run_1', sampleResult(), { metadata: { note: 'kept' } });
    down = true;
    expect((await manager.load('run_1')).id).toBe('exp-1');
    expect((await manager.loadSet('run_1', 'pareto')).nPoints).toBe(1);
    expect(await manager.listSets('run_1')).toEqual(['all', 'pareto']);
    expect((await manager.getMetadata('run_1')).custom).toEqual({ note: 'kept' });
    expect(await manager.exists('run_1')).toBe(true);
    expect(await manager.list('run_')).toEqual(['run_1']);
    expect(await manager.whereIs('run_1')).toEqual(['secondary']);
    await manager.close();
  });

  it('takes the result stores the factories return as tiers, and lists by string prefix', async () => {
    const dir = tempDir('manager-stores');
    const manager = await createStorageManager({
      primary: await createDatabaseStorage(`sqlite:${dir}/r.sqlite`),
      secondary: await createFilesystemStorage(join(dir, 'backup')),
    });
    for (const key of ['run_001', 'run_002', 'run_01x', 'other']) await manager.save(key, sampleResult(key));
    expect(await manager.list('run_0')).toEqual(['run_001', 'run_002', 'run_01x']);
    expect(await manager.list('run_00', { from: 'secondary' })).toEqual(['run_001', 'run_002']);
    await manager.close();
    const optiScopeStyle = await createStorageManager({
      primaryType: 'filesystem',
      primaryConfig: { base_path: join(dir, 'fs-style') },
      cacheSizeMb: 1,
    });
    await optiScopeStyle.save('a', sampleResult());
    expect(await optiScopeStyle.list()).toEqual(['a']);
    await optiScopeStyle.close();
    await expect(createStorageManager({ primary: 'memory://', cacheSizeMB: 1 } as never)).rejects.toThrow(
      /Unknown option 'cacheSizeMB'/,
    );
  });

  it('clearAll({ fromAll }) empties every tier, results only the secondary holds included', async () => {
    const manager = new StorageManager({ primary: new MemoryBackend(), secondary: new MemoryBackend() });
    await manager.save('both', sampleResult());
    await manager.save('primary-only', sampleResult(), { replicate: false });
    await manager.migrate('primary-only', 'primary', 'secondary');
    await manager.delete('primary-only', { fromAll: false });
    expect(await manager.whereIs('primary-only')).toEqual(['secondary']);
    expect(await manager.clearAll()).toBe(2);
    expect(await manager.list(undefined, { from: 'secondary' })).toEqual([]);
    expect(await manager.list()).toEqual([]);
    expect(await manager.whereIs('both')).toEqual([]);
  });
});
