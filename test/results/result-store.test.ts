import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { OptimizationResult, ResultSet } from '../../src/index.ts';
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
