import { join } from 'node:path';
import type * as Duck from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { OperationError, openBackend, StoreNotFoundError } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { openRawSqlite } from '../helpers/sqlite-drivers.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// A table of the same name that is not a stowage table, and a table that is not there:
// every SQL engine says which table, and what to do, before the first statement fails.

afterAll(removeTempDirs);

/** One engine: a URL for a table, and raw SQL on the same database. */
interface Engine {
  readonly name: string;
  readonly skip?: string | undefined;
  url(table: string): Promise<string>;
  /** Runs SQL directly on the engine's database; returns rows. */
  sql(statement: string): Promise<Record<string, unknown>[]>;
  /** Names of the tables that exist (of those given). */
  tables(names: string[]): Promise<string[]>;
  close(): Promise<void>;
}

async function sqliteEngine(): Promise<Engine> {
  const path = join(tempDir('sql-tables-sqlite'), 'theirs.sqlite');
  const db = await openRawSqlite(path);
  return {
    name: 'sqlite',
    url: async (table) => `sqlite:${path}?table=${table}`,
    sql: async (statement) => {
      if (/^\s*(select|pragma)/i.test(statement)) return db.prepare(statement).all();
      db.exec(statement);
      return [];
    },
    tables: async (names) =>
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .all()
        .map((r) => String(r.name))
        .filter((n) => names.includes(n)),
    close: async () => db.close(),
  };
}

async function duckdbEngine(): Promise<Engine> {
  const path = join(tempDir('sql-tables-duckdb'), 'theirs.duckdb');
  const duck = (await import('@duckdb/node-api')) as typeof Duck;
  // DuckDB lets one process hold a file: the raw connection lets go of it while stowage opens it.
  let held: { instance: Duck.DuckDBInstance; conn: Duck.DuckDBConnection } | undefined;
  const connection = async () => {
    if (!held) {
      const instance = await duck.DuckDBInstance.create(path);
      held = { instance, conn: await instance.connect() };
    }
    return held.conn;
  };
  const release = () => {
    held?.conn.closeSync();
    held?.instance.closeSync();
    held = undefined;
  };
  const rows = async (statement: string) =>
    (await (await connection()).runAndReadAll(statement)).getRowObjectsJS() as Record<string, unknown>[];
  return {
    name: 'duckdb',
    url: async (table) => {
      release();
      return `duckdb:${path}?table=${table}`;
    },
    sql: rows,
    tables: async (names) =>
      (await rows('SELECT table_name AS name FROM information_schema.tables'))
        .map((r) => String(r.name))
        .filter((n) => names.includes(n)),
    close: async () => release(),
  };
}

const pgSkip = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const mysqlSkip = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);

async function postgresEngine(): Promise<Engine> {
  const client = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
  await client.connect();
  return {
    name: 'postgres',
    url: async (table) => `postgres://postgres@127.0.0.1:5432/test?table=${table}`,
    sql: async (statement) => (await client.query(statement)).rows,
    tables: async (names) =>
      (
        await client.query('SELECT table_name AS name FROM information_schema.tables WHERE table_name = ANY($1)', [
          names,
        ])
      ).rows.map((r: { name: string }) => r.name),
    close: () => client.end(),
  };
}

async function mysqlEngine(): Promise<Engine> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: 'test' });
  return {
    name: 'mysql',
    url: async (table) => `mysql://root@127.0.0.1:3306/test?table=${table}`,
    sql: async (statement) => {
      const [rows] = await conn.query(statement);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    tables: async (names) => {
      const [rows] = await conn.query(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?)',
        [names],
      );
      return (rows as { name: string }[]).map((r) => r.name);
    },
    close: () => conn.end(),
  };
}

const engines: [string, string | undefined, () => Promise<Engine>][] = [
  ['sqlite', undefined, sqliteEngine],
  ['duckdb', undefined, duckdbEngine],
  ['postgres', pgSkip, postgresEngine],
  ['mysql', mysqlSkip, mysqlEngine],
];

for (const [name, skip, make] of engines) {
  describe.skipIf(skip !== undefined)(`${name}: tables that are not stowage's`, () => {
    it('refuses a table of the same name with other columns, naming it and the table option', async () => {
      const engine = await make();
      const table = uniqueName('theirs');
      try {
        await engine.sql(`CREATE TABLE ${table} (id INTEGER, name VARCHAR(20))`);
        const url = await engine.url(table);
        const error = await openBackend(url).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OperationError);
        expect(String(error)).toContain(`The table '${table}' is not a stowage table: it has the columns id, name`);
        expect(String(error)).toContain('?table=<name>');
      } finally {
        await engine.sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
        await engine.close();
      }
    });

    it('with create: false, refuses a missing table and creates none', async () => {
      const engine = await make();
      const table = uniqueName('missing');
      try {
        await expect(openBackend(await engine.url(table), { create: false })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        expect(await engine.tables([table])).toEqual([]);
      } finally {
        await engine.close();
      }
    });
  });
}

describe("someone else's SQLite file", () => {
  it('is left exactly as it was by an open with create: false (no table, no WAL)', async () => {
    const path = join(tempDir('sql-tables-foreign'), 'app.sqlite');
    const db = await openRawSqlite(path);
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    await expect(openBackend(`sqlite:${path}`, { create: false })).rejects.toBeInstanceOf(StoreNotFoundError);
    const again = await openRawSqlite(path);
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([{ name: 'people' }]);
    expect(again.prepare('PRAGMA journal_mode').all()).toEqual([{ journal_mode: 'delete' }]);
    again.close();
  });
});
