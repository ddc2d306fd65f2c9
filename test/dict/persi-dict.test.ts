import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { runPersiDictSuite } from './persi-dict-suite.ts';

afterAll(removeTempDirs);

runPersiDictSuite('memory', async () => new MemoryBackend({ name: `dict-${Math.random()}` }));
runPersiDictSuite('fs', () => FsBackend.open({ root: tempDir('dict-fs'), fsync: false }));
runPersiDictSuite('sqlite', () => SqliteBackend.open({ path: join(tempDir('dict-sqlite'), 'd.sqlite') }));
