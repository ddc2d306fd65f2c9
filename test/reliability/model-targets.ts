import { FsBackend } from '../../src/backends/fs/index.ts';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { RedisBackend } from '../../src/backends/redis.ts';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { PostgresBackend } from '../../src/backends/sql/postgres.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import type { Backend } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A backend the model tests run against; `drop` removes what it created on a server. */
export interface ModelTarget {
  name: string;
  skip?: string | undefined;
  /** Whether close-and-reopen keeps the data (a named memory store does, within the process). */
  reopens: boolean;
  open(): Promise<Backend & { drop?(): Promise<void> }>;
}

/** Every backend of the model tests: the embedded ones first, then the servers. */
export async function modelTargets(): Promise<ModelTarget[]> {
  const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
  const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
  const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);
  const table = uniqueName('model');
  return [
    { name: 'memory', reopens: true, open: async () => new MemoryBackend({ name: uniqueName('model') }) },
    { name: 'fs', reopens: true, open: () => FsBackend.open({ root: tempDir('model-fs'), fsync: false }) },
    { name: 'sqlite', reopens: true, open: () => SqliteBackend.open({ path: `${tempDir('model-sqlite')}/m.sqlite` }) },
    { name: 'lmdb', reopens: true, open: () => LmdbBackend.open({ path: tempDir('model-lmdb') }) },
    {
      name: 'postgres',
      skip: pg,
      reopens: true,
      open: () => PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test', table }),
    },
    {
      name: 'mysql',
      skip: my,
      reopens: true,
      open: () => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table }),
    },
    { name: 'redis', skip: rd, reopens: true, open: () => RedisBackend.open({ host: '127.0.0.1', prefix: table }) },
  ];
}
