import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as Duck from '@duckdb/node-api';
import type { BackendConfig, Capabilities, OpenOptions } from '../../core/backend.ts';
import type { JsonObject } from '../../core/json.ts';
import { classifyDriverError } from '../kit/driver-errors.ts';
import { checkIdentifier } from '../kit/identifiers.ts';
import { loadDriver } from '../kit/load-driver.ts';
import { checkKnownParams, checkOptions, type OptionRules, optionsFromConfig, requireString } from '../kit/options.ts';
import { SerialQueue } from '../kit/serial-queue.ts';
import { boolParam, driverSuffixOf, parseLocalUrl } from '../kit/store-url.ts';
import {
  NUMBERED_HOOKS,
  SQL_CAPABILITIES,
  type SqlDialect,
  type SqlRow,
  type SqlRunner,
  TEXT_KEY_HOOKS,
} from './dialect.ts';
import { echoingRunner, type SqlEcho } from './echo.ts';
import { missingDatabase, openFailure } from './open-failure.ts';
import { SqlBackend } from './sql-backend.ts';
import { createTableSql } from './statements.ts';
import { prepareTable } from './table-check.ts';

export type { SqlEcho };

/** Options of {@link DuckdbBackend}. */
export interface DuckdbBackendOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** Table holding the entries (default `stowage`). */
  table?: string | undefined;
  /** Log each SQL statement (never its parameters) with this function, or to stderr when `true`. */
  echo?: SqlEcho;
  /** The driver a SQLAlchemy URL named (`duckdb+x:///`), ignored: `info()` notes it. Not kept by `toConfig()`. */
  urlDriver?: string | undefined;
}

const OPTIONS: OptionRules = { path: 'string', table: 'string', echo: 'echo', urlDriver: 'string' };

// DuckDB lets one process open a database file for writing, so "multi-process" is false
// and conditional writes are atomic because this process's one connection runs them in order.
const CAPABILITIES: Capabilities = { ...SQL_CAPABILITIES, multiProcess: false };

// A storage library must never fetch code at run time: DuckDB would otherwise download
// an extension when pointed at, say, a SQLite file.
const INSTANCE_OPTIONS = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };

function duckdbDialect(duck: typeof Duck): SqlDialect {
  return {
    type: 'duckdb',
    capabilities: CAPABILITIES,
    ...TEXT_KEY_HOOKS,
    ...NUMBERED_HOOKS,
    createTable: (table) =>
      createTableSql(`"${table}"`, 'key', {
        key: 'VARCHAR PRIMARY KEY',
        text: 'VARCHAR',
        integer: 'BIGINT',
        json: 'JSON',
        blob: 'BLOB',
      }),
    tableColumns: (table) => ({
      sql: 'SELECT column_name AS name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = current_schema() AND table_name = $1',
      params: [table],
    }),
    ignoreDuplicateClause: ' ON CONFLICT (key) DO NOTHING',
    isDuplicateKey: (error) =>
      /Duplicate key|PRIMARY KEY or UNIQUE constraint/i.test(String((error as Error)?.message)),
    attrFilter: (where, bind) => `json_contains(attrs, ${bind(JSON.stringify(where))})`,
    bindValue: (value) => duck.blobValue(value),
    compactStatements: () => ['CHECKPOINT'],
    classify: (error, context) => classifyDriverError(error, { ...context, secrets: [] }),
  };
}

/** One connection, one statement at a time: DuckDB connections are not safe to share. */
function connectionRunner(instance: Duck.DuckDBInstance, conn: Duck.DuckDBConnection): SqlRunner {
  const queue = new SerialQueue();
  const direct: SqlRunner = {
    all: async (sql, params) =>
      (await conn.runAndReadAll(sql, params as Duck.DuckDBValue[])).getRowObjectsJS() as unknown as SqlRow[],
    run: async (sql, params) => (await conn.run(sql, params as Duck.DuckDBValue[])).rowsChanged,
    transaction: (fn) => fn(direct),
    close: async () => undefined,
  };
  return {
    all: (sql, params) => queue.run(() => direct.all(sql, params)),
    run: (sql, params) => queue.run(() => direct.run(sql, params)),
    transaction: (fn) =>
      queue.run(async () => {
        await conn.run('BEGIN TRANSACTION');
        try {
          const result = await fn(direct);
          await conn.run('COMMIT');
          return result;
        } catch (error) {
          await conn.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    close: () =>
      queue.run(async () => {
        conn.closeSync();
        instance.closeSync();
      }),
  };
}

// DuckDB's own advice ("INSTALL sqlite") cannot be followed through stowage, which keeps
// extension downloads off; say what the file probably is instead.
function extensionAdvice(error: unknown, path: string): unknown {
  const message = String((error as Error)?.message);
  if (!/Extension .* not found/i.test(message)) return error;
  const sqlite = /sqlite_scanner|"sqlite"/.test(message);
  return new Error(
    sqlite
      ? `${path} is a SQLite database, not a DuckDB one; open it with sqlite:${path} (stowage never lets DuckDB download its sqlite extension)`
      : `DuckDB needs an extension to open ${path}, and stowage never lets DuckDB download code at run time (${message.split('\n')[0]})`,
    { cause: error },
  );
}

/**
 * DuckDB through `@duckdb/node-api`: the columnar engine the seeds' DatabaseStorage
 * supports, handy when results are later analysed with SQL. One table, keys ordered
 * bytewise, attrs as JSON (`where` becomes `json_contains`).
 *
 * @example
 * ```ts
 * const store = await DuckdbBackend.open({ path: './.stowage/results.duckdb' });
 * ```
 */
export class DuckdbBackend extends SqlBackend {
  /**
   * Opens a DuckDB store, creating the file and its table if needed; with
   * `{ create: false }` both must exist already (`StoreNotFoundError`), and nothing is created.
   */
  static async open(options: DuckdbBackendOptions, openOptions: OpenOptions = {}): Promise<DuckdbBackend> {
    checkOptions(options, OPTIONS, 'duckdb');
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'duckdb');
    const create = openOptions.create ?? true;
    const given = requireString(options.path, 'path', 'duckdb');
    const path = given === ':memory:' ? ':memory:' : resolve(given);
    const label = `duckdb:${path}${table === 'stowage' ? '' : `?table=${table}`}`;
    if (!create && (path === ':memory:' || !existsSync(path))) throw missingDatabase('DuckDB', label, path);
    const duck = await loadDriver<typeof Duck>('@duckdb/node-api', 'duckdb');
    const dialect = duckdbDialect(duck);
    let runner: SqlRunner | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const instance = await duck.DuckDBInstance.create(path, INSTANCE_OPTIONS);
      const conn = await instance.connect();
      runner = echoingRunner(connectionRunner(instance, conn), options.echo, label);
      await prepareTable(runner, dialect, { table, create, label });
    } catch (error) {
      await runner?.close().catch(() => undefined);
      throw openFailure('DuckDB', label, extensionAdvice(error, path), path);
    }
    const details: JsonObject = {};
    if (options.urlDriver)
      details.note = `the URL's driver '+${options.urlDriver}' is ignored: stowage uses @duckdb/node-api`;
    return new DuckdbBackend({
      dialect,
      runner,
      table,
      label,
      location: path,
      config: { type: 'duckdb', path, table, echo: options.echo === true ? true : undefined },
      details,
    });
  }
}

/**
 * Parses DuckDB URLs as SQLAlchemy (duckdb_engine) writes them: `duckdb:///rel.duckdb`
 * (relative), `duckdb:////abs.duckdb` (absolute), `duckdb:///:memory:`; also
 * `duckdb:./rel.duckdb`, `duckdb:/abs.duckdb`, `duckdb:~/in-home.duckdb` and
 * `duckdb::memory:`, with `?table=&echo=true`.
 */
export function configFromUrl(url: string): BackendConfig {
  const { path, params } = parseLocalUrl(url, { sqlalchemy: true });
  checkKnownParams(params, ['table', 'echo'], 'duckdb');
  const memory = path === '' || path === ':memory:';
  return {
    type: 'duckdb',
    path: memory ? ':memory:' : resolve(path),
    table: params.get('table') ?? undefined,
    echo: boolParam(params, 'echo', 'duckdb'),
    urlDriver: driverSuffixOf(url),
  };
}

/** Opens a DuckDB store from its config. */
export async function openFromConfig(config: BackendConfig, options?: OpenOptions): Promise<DuckdbBackend> {
  return DuckdbBackend.open(optionsFromConfig<DuckdbBackendOptions>(config), options);
}
