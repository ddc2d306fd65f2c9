import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { createFilesystemStorage, createMemoryStorage } from '../../src/entries/results.ts';
import { CapacityError, NotFoundError, OperationError, OptimizationResult, ResultSet } from '../../src/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { runResultStoreSuite } from './result-store-suite.ts';

afterAll(removeTempDirs);

runResultStoreSuite('memory', async () => new MemoryBackend());
runResultStoreSuite('fs', () => FsBackend.open({ root: tempDir('results-fs'), fsync: false }));
runResultStoreSuite('sqlite', () => SqliteBackend.open({ path: join(tempDir('results-sqlite'), 'r.sqlite') }));

describe('data model', () => {
  it('manages sets and round-trips through JSON', () => {
    const result = new OptimizationResult({ id: 'x' });
    result.addSet(new ResultSet('a', { v: new Float32Array([1, 2]) }));
    expect(() => result.addSet(new ResultSet('a'))).toThrow(/already has a set/);
    result.renameSet('a', 'b');
    expect(result.listSets()).toEqual(['b']);
    expect(result.getSet('b').name).toBe('b');
    const back = OptimizationResult.fromJSON(JSON.parse(JSON.stringify(result.toJSON())));
    expect(back.getSet('b').columns.v).toEqual(new Float32Array([1, 2]));
    expect(back.removeSet('b')).toBe(true);
    expect(() => new ResultSet('bad', { a: [1], b: [1, 2] })).toThrow(/different lengths/);
  });
});

describe('bounded memory result stores', () => {
  const big = (id: string, points: number) =>
    new OptimizationResult({
      id,
      sets: ['a', 'b', 'c'].map((name) => new ResultSet(name, { f: new Float64Array(points).fill(1) })),
    });

  for (const evictionPolicy of ['lru', 'fifo'] as const) {
    it(`evicts whole results (${evictionPolicy}): every listed result loads`, async () => {
      // Each result is about 3 x 8 KB: a 0.1 MB store holds about four of them.
      const store = await createMemoryStorage({ maxMemoryMb: 0.1, evictionPolicy });
      for (let i = 0; i < 4; i++) await store.save(`r${i}`, big(`r${i}`, 1000));
      await store.load('r0'); // a use: under lru r0 becomes the newest
      for (let i = 4; i < 12; i++) await store.save(`r${i}`, big(`r${i}`, 1000));
      const listed = await store.list();
      expect(listed.length).toBeGreaterThan(1);
      expect(listed.length).toBeLessThan(12);
      for (const key of listed) expect((await store.load(key)).listSets()).toEqual(['a', 'b', 'c']);
      expect(listed).toContain('r11');
      const info = await store.info();
      expect(info.backend.entries).toBe(listed.length * 4);
      await store.close();
    });
  }

  it('keeps a recently read result under lru and drops it under fifo', async () => {
    for (const [policy, kept] of [
      ['lru', true],
      ['fifo', false],
    ] as const) {
      const store = await createMemoryStorage({ maxMemoryMb: 0.1, evictionPolicy: policy });
      for (let i = 0; i < 4; i++) await store.save(`r${i}`, big(`r${i}`, 1000));
      await store.loadSet('r0', 'a');
      await store.save('r4', big('r4', 1000));
      expect(await store.exists('r0')).toBe(kept);
      await store.close();
    }
  });

  it('refuses one result larger than the whole store, writing nothing', async () => {
    const store = await createMemoryStorage({ maxMemoryMb: 0.01 });
    await expect(store.save('huge', big('huge', 5000))).rejects.toBeInstanceOf(CapacityError);
    expect(await store.list()).toEqual([]);
    await expect(createMemoryStorage({ maxMemoryMB: 1 } as never)).rejects.toThrow(/Unknown option 'maxMemoryMB'/);
  });
});

describe('references to stored results (memory stores)', () => {
  it('returns the stored object itself, whose changes later loads see', async () => {
    const store = await createMemoryStorage();
    await store.save(
      'r',
      new OptimizationResult({ id: 'r', sets: [new ResultSet('s', { a: new Float64Array([1]) })] }),
    );
    const ref = await store.getResultReference('r');
    expect(await store.getResultReference('r')).toBe(ref);
    ref.metadata.note = 'changed in place';
    ref.addSet(new ResultSet('added', { b: [2] }));
    const loaded = await store.load('r');
    expect(loaded).not.toBe(ref);
    expect(loaded.metadata.note).toBe('changed in place');
    expect(loaded.listSets()).toEqual(['added', 's']);
    expect((await store.loadSet('r', 'added')).columns.b).toEqual([2]);
    loaded.metadata.note = 'a copy';
    expect(ref.metadata.note).toBe('changed in place');
    // Saving again makes the saved object the truth; the old reference is let go.
    await store.save('r', new OptimizationResult({ id: 'r2' }));
    expect((await store.getResultReference('r')).id).toBe('r2');
    await expect(store.getResultReference('missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('is refused on stores that keep only bytes', async () => {
    const store = await createFilesystemStorage(tempDir('no-refs'));
    await expect(store.getResultReference('r')).rejects.toBeInstanceOf(OperationError);
    await store.close();
  });
});

describe('result store factories', () => {
  it('closes what they opened, with await using', async () => {
    const dir = tempDir('results-close');
    let backend: import('../../src/index.ts').Backend | undefined;
    {
      await using store = await createFilesystemStorage(dir, { format: 'csv' });
      backend = store.backend;
      await store.save('x', new OptimizationResult({ id: 'x', sets: [new ResultSet('s', { a: [1] })] }));
      expect(store.format).toBe('csv');
    }
    await expect(backend.get('anything')).rejects.toThrow(/closed/);
  });

  it('refuses a missing folder with createIfMissing: false, and unknown options', async () => {
    const dir = join(tempDir('results-missing'), 'not-there');
    await expect(createFilesystemStorage(dir, { createIfMissing: false })).rejects.toBeInstanceOf(NotFoundError);
    await expect(createFilesystemStorage(dir, { formt: 'csv' } as never)).rejects.toBeInstanceOf(OperationError);
    await expect(createFilesystemStorage(dir, { format: 'xml' as never })).rejects.toBeInstanceOf(OperationError);
  });
});
