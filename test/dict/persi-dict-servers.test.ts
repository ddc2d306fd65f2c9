import { afterAll } from 'vitest';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { RedisBackend } from '../../src/backends/redis.ts';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { PostgresBackend } from '../../src/backends/sql/postgres.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { runPersiDictSuite } from './persi-dict-suite.ts';

const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of cleanups) await c();
  removeTempDirs();
});

function dropLater<B extends { drop(): Promise<void>; toConfig(): object }>(open: (name: string) => Promise<B>) {
  return async () => {
    const name = uniqueName('dict');
    const backend = await open(name);
    cleanups.push(async () => {
      const again = await open(name);
      await again.drop();
      await (again as unknown as { close(): Promise<void> }).close();
    });
    return backend as unknown as import('../../src/index.ts').Backend;
  };
}

runPersiDictSuite('lmdb', () => LmdbBackend.open({ path: tempDir('dict-lmdb') }));
runPersiDictSuite(
  'postgres',
  dropLater((table) => PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test', table })),
  pg,
);
runPersiDictSuite(
  'mysql',
  dropLater((table) => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table })),
  my,
);
runPersiDictSuite(
  'redis',
  dropLater((prefix) => RedisBackend.open({ host: '127.0.0.1', prefix })),
  rd,
);
