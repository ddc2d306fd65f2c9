import { afterAll } from 'vitest';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { RedisBackend } from '../../src/backends/redis.ts';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { PostgresBackend } from '../../src/backends/sql/postgres.ts';
import type { Backend } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { runCasSuite } from './cas-suite.ts';

const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);
const drops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const drop of drops) await drop();
  removeTempDirs();
});

function dropping<B extends Backend & { drop(): Promise<void> }>(
  open: (name: string) => Promise<B>,
): () => Promise<Backend> {
  return async () => {
    const name = uniqueName('cas');
    drops.push(async () => {
      const b = await open(name);
      await b.drop();
      await b.close();
    });
    return open(name);
  };
}

runCasSuite('lmdb', () => LmdbBackend.open({ path: tempDir('cas-lmdb') }));
runCasSuite(
  'postgres',
  dropping((table) => PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test', table })),
  pg,
);
runCasSuite(
  'mysql',
  dropping((table) => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table })),
  my,
);
runCasSuite(
  'redis',
  dropping((prefix) => RedisBackend.open({ host: '127.0.0.1', prefix })),
  rd,
);
