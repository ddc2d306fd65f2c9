import { FsBackend } from '../../src/backends/fs/index.ts';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { RedisBackend } from '../../src/backends/redis.ts';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { PostgresBackend } from '../../src/backends/sql/postgres.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import type { Backend } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A backend to torture, with how to drop what it created. */
export interface Target {
  name: string;
  skip?: string | undefined;
  open(): Promise<Backend & { drop?(): Promise<void> }>;
}

/** Every backend that claims atomic conditional writes across processes. */
export async function multiProcessTargets(): Promise<Target[]> {
  const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
  const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
  const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);
  const table = uniqueName('rel');
  return [
    { name: 'fs', open: () => FsBackend.open({ root: tempDir('rel-fs'), fsync: false }) },
    { name: 'sqlite', open: () => SqliteBackend.open({ path: `${tempDir('rel-sqlite')}/r.sqlite` }) },
    { name: 'lmdb', open: () => LmdbBackend.open({ path: tempDir('rel-lmdb') }) },
    {
      name: 'postgres',
      skip: pg,
      open: () => PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test', table }),
    },
    {
      name: 'mysql',
      skip: my,
      open: () => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table }),
    },
    { name: 'redis', skip: rd, open: () => RedisBackend.open({ host: '127.0.0.1', prefix: table }) },
  ];
}
