import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { createMemoStore } from '../../src/entries/cas.ts';
import { memoize, openBackend } from '../../src/index.ts';
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
