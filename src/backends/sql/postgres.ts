import type * as Pg from 'pg';
import type { BackendConfig, Capabilities, OpenOptions } from '../../core/backend.ts';
import { classifyDriverError, type DriverErrorTable } from '../kit/driver-errors.ts';
import { NUMBERED_HOOKS, SQL_CAPABILITIES, type SqlDialect, type SqlRow, TEXT_KEY_HOOKS } from './dialect.ts';
import type { DriverPool } from './pool-runner.ts';
import { type ServerEngine, serverBackend } from './server-open.ts';
import { type SqlServerOptions, sqlServerConfigFromUrl, sqlServerOptionsFromConfig } from './server-options.ts';
import { createTableSql } from './statements.ts';

/** Options of {@link PostgresBackend}. */
export type PostgresBackendOptions = SqlServerOptions;
export type { SqlServerOptions };

// bytea's limit. Streamed values use 1 MiB chunks: node-postgres reads bytea as hex text
// (twice the bytes, as a string, then decoded), so a 4 MiB chunk held ~130 MB of memory
// while streaming 64 MiB in, 1 MiB chunks ~60 MB, and read faster (bench/streams.ts).
const CAPABILITIES: Capabilities = {
  ...SQL_CAPABILITIES,
  maxValueBytes: 1024 * 1024 * 1024 - 1,
  chunkBytes: 1024 * 1024,
};

// SQLSTATEs of a lost or refused server; 57P03 and 08001 happen before anything is sent.
const PG_ERRORS: DriverErrorTable = {
  connectionCodes: new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']),
  notSentCodes: new Set(['57P03', '08001']),
  connectionMessages:
    /Connection terminated|connection (closed|refused|lost)|Client was closed|Connection is closed|timeout exceeded when trying to connect/i,
  notSentMessages: /timeout exceeded when trying to connect|cannot connect/i,
};

function postgresDialect(secrets: readonly (string | undefined)[], address: string): SqlDialect {
  return {
    type: 'postgres',
    capabilities: CAPABILITIES,
    ...TEXT_KEY_HOOKS,
    ...NUMBERED_HOOKS,
    // COLLATE "C" orders keys by bytes, so prefixes are range scans on the primary key.
    createTable: (table) =>
      createTableSql(`"${table}"`, 'key', {
        key: 'TEXT COLLATE "C" PRIMARY KEY',
        text: 'TEXT',
        integer: 'BIGINT',
        json: 'JSONB',
        blob: 'BYTEA',
      }),
    tableColumns: (table) => ({
      sql: 'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
      params: [table],
    }),
    ignoreDuplicateClause: ' ON CONFLICT (key) DO NOTHING',
    isDuplicateKey: (error) => (error as { code?: string } | null)?.code === '23505',
    attrFilter: (where, bind) => `attrs @> ${bind(JSON.stringify(where))}::jsonb`,
    bindValue: (value) => value,
    compactStatements: (table) => [`VACUUM ANALYZE "${table}"`],
    classify: (error, context) => classifyDriverError(error, { ...context, secrets, address, table: PG_ERRORS }),
  };
}

function pgPool(pool: Pg.Pool): DriverPool<Pg.Pool | Pg.PoolClient> {
  return {
    any: pool,
    exec: async (conn, sql, params) => {
      const result = await conn.query(sql, params as unknown[]);
      return { rows: result.rows as SqlRow[], changes: result.rowCount ?? 0 };
    },
    acquire: () => pool.connect(),
    release: (conn) => (conn as Pg.PoolClient).release(),
    end: () => pool.end(),
  };
}

const POSTGRES: ServerEngine<{ default: typeof Pg }, Pg.Pool, Pg.Pool | Pg.PoolClient> = {
  type: 'postgres',
  defaultPort: 5432,
  driver: 'pg',
  createPool(pg, { login, connectTimeoutMs }, limits) {
    const pool = new pg.default.Pool({
      ...login,
      // Clients beyond `min` are closed after idling (pg's default 10 s): the overflow.
      max: limits.max,
      min: limits.keep,
      connectionTimeoutMillis: connectTimeoutMs,
      // A script that forgets close() exits once its queries are done, instead of
      // waiting for the idle connections to time out.
      allowExitOnIdle: true,
    });
    // An idle client losing its connection (server restart) must not crash the process.
    pool.on('error', () => undefined);
    return pool;
  },
  driverPool: pgPool,
  dialect: postgresDialect,
};

/**
 * PostgreSQL through a `pg` pool: one table with a `COLLATE "C"` primary key (byte
 * order, range scans for prefixes), `jsonb` attrs (`where` becomes `@>`), `bytea`
 * values. Conditional writes are single statements checked by their row count.
 *
 * @example
 * ```ts
 * const store = await PostgresBackend.open({ host: '127.0.0.1', user: 'postgres', database: 'test' });
 * ```
 */
export class PostgresBackend extends serverBackend(POSTGRES) {}

/** Parses `postgres://user:pass@host:5432/db?table=...&poolSize=...&connectTimeoutMs=...&echo=true&passwordEnv=VAR`. */
export function configFromUrl(url: string): BackendConfig {
  return sqlServerConfigFromUrl(POSTGRES.type, url, POSTGRES.defaultPort);
}

/** Opens a store from its config. */
export async function openFromConfig(config: BackendConfig, options?: OpenOptions): Promise<PostgresBackend> {
  return PostgresBackend.open(sqlServerOptionsFromConfig(config), options);
}
