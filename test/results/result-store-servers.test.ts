import { afterAll } from 'vitest';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { PostgresBackend } from '../../src/backends/sql/postgres.ts';
import type { Backend } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { runResultStoreSuite } from './result-store-suite.ts';

const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const tables: { open: () => Promise<PostgresBackend | MysqlBackend> }[] = [];

afterAll(async () => {
  for (const { open } of tables) {
    const again = await open();
    await again.drop();
    await again.close();
  }
  removeTempDirs();
});

// A fresh table per test, dropped at the end of the file.
function fresh(open: (table: string) => Promise<PostgresBackend | MysqlBackend>): () => Promise<Backend> {
  return () => {
    const table = uniqueName('results');
    tables.push({ open: () => open(table) });
    return open(table);
  };
}

runResultStoreSuite(
  'postgres',
  fresh((table) => PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test', table })),
  pg,
);
runResultStoreSuite(
  'mysql',
  fresh((table) => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table })),
  my,
);
