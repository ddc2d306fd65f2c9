import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AttrFilter, BackendConfig, Capabilities, OpenOptions } from '../../core/backend.ts';
import { CapacityError, ConnectionError, CorruptValueError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/json.ts';
import { classifyDriverError } from '../kit/driver-errors.ts';
import { checkIdentifier } from '../kit/identifiers.ts';
import { checkKnownParams, checkOptions, type OptionRules, optionsFromConfig, requireString } from '../kit/options.ts';
import { boolParam, driverSuffixOf, intParam, parseLocalUrl } from '../kit/store-url.ts';
import { SQL_CAPABILITIES, type SqlDialect, type SqlRow, type SqlRunner, TEXT_KEY_HOOKS } from './dialect.ts';
import { echoingRunner, type SqlEcho } from './echo.ts';
import { missingDatabase, openFailure } from './open-failure.ts';
import { SqlBackend } from './sql-backend.ts';
import {
  openSqliteFile,
  type SqliteDriverName,
  type SqliteHandle,
  type SqliteStatement,
  sqliteCode,
} from './sqlite-driver.ts';
import { createTableSql } from './statements.ts';
import { prepareTable } from './table-check.ts';

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** Table holding the entries (default `stowage`); lets several stores share one file. */
  table?: string | undefined;
  /** How long a writer waits for another process's lock, in ms (default 10000). */
  busyTimeoutMs?: number | undefined;
  /**
   * The SQLite library: `node` (Node's built-in `node:sqlite`, 22.13 and later) or
   * `better-sqlite3`. Default: better-sqlite3 when installed, else `node`.
   */
  driver?: SqliteDriverName | undefined;
  /** Log each SQL statement (never its parameters) with this function, or to stderr when `true`. */
  echo?: SqlEcho;
  /**
   * The driver a SQLAlchemy URL named (`sqlite+pysqlite:///`), ignored: `info()` notes it.
   * Not kept by `toConfig()`.
   */
  urlDriver?: string | undefined;
}

const DRIVERS: readonly SqliteDriverName[] = ['node', 'better-sqlite3'];

const OPTIONS: OptionRules = {
  path: 'string',
  table: 'string',
  busyTimeoutMs: 'milliseconds',
  driver: DRIVERS,
  echo: 'echo',
  urlDriver: 'string',
};

export type { SqlEcho, SqliteDriverName };

// SQLITE_MAX_LENGTH of both drivers' builds.
const CAPABILITIES: Capabilities = { ...SQL_CAPABILITIES, maxValueBytes: 1_000_000_000 };

function attrFilter(where: AttrFilter, bind: (value: unknown) => string): string {
  const conditions: string[] = [];
  for (const [name, value] of Object.entries(where)) {
    // `?` placeholders are positional: the JSON path is bound once per use.
    const path = () => bind(`$."${name.replaceAll('"', '""')}"`);
    if (value === null) conditions.push(`json_type(attrs, ${path()}) = 'null'`);
    else if (typeof value === 'boolean')
      conditions.push(`json_type(attrs, ${path()}) = ${bind(value ? 'true' : 'false')}`);
    else {
      const type = typeof value === 'number' ? "IN ('integer', 'real')" : "= 'text'";
      conditions.push(`json_type(attrs, ${path()}) ${type} AND json_extract(attrs, ${path()}) = ${bind(value)}`);
    }
  }
  return conditions.join(' AND ');
}

function sqliteDialect(): SqlDialect {
  return {
    type: 'sqlite',
    capabilities: CAPABILITIES,
    ...TEXT_KEY_HOOKS,
    placeholder: () => '?',
    createTable: (table) =>
      createTableSql(`"${table}"`, 'key', {
        key: 'TEXT PRIMARY KEY NOT NULL',
        text: 'TEXT',
        integer: 'INTEGER',
        json: 'TEXT',
        blob: 'BLOB',
      }),
    tableColumns: (table) => ({ sql: 'SELECT name FROM pragma_table_info(?)', params: [table] }),
    ignoreDuplicateClause: ' ON CONFLICT(key) DO NOTHING',
    isDuplicateKey: (error) => sqliteCode(error).startsWith('SQLITE_CONSTRAINT'),
    // substr counts characters, not UTF-16 units.
    directChild: (param) => `instr(substr(key, ${param}), '/') = 0`,
    attrFilter,
    bindValue: (value) => value,
    compactStatements: () => ['VACUUM'],
    classify: (error, context) => {
      const code = sqliteCode(error);
      const base = { key: context.key, backend: context.backend, cause: error };
      const message = `${context.what} failed: ${(error as Error)?.message ?? String(error)}`;
      if (code === 'SQLITE_FULL') return new CapacityError(message, base);
      if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return new CorruptValueError(message, base);
      if (
        code === 'SQLITE_BUSY' ||
        code === 'SQLITE_LOCKED' ||
        code === 'SQLITE_CANTOPEN' ||
        code.startsWith('SQLITE_IOERR')
      ) {
        return new ConnectionError(message, base);
      }
      return classifyDriverError(error, { ...context, secrets: [] });
    },
  };
}

// A private word to wait on: Atomics.wait is the one sub-millisecond sleep Node has.
const napCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `step` (one autocommit statement, or `BEGIN IMMEDIATE`) again while SQLite says
 * another connection holds the lock, for up to `timeoutMs`. SQLite's own busy handler
 * sleeps 1, 2, 5, 10 ... 100 ms between tries, so under contention a writer that lost a
 * few rounds sleeps long after the lock is free: 8 processes x 500 puts saw a worst put
 * of 244-449 ms. Short jittered naps (0.5-1.5 ms, the thread blocks as it did inside
 * SQLite's handler) keep the wait close to the time the lock is actually held. A busy
 * statement did nothing (the lock is taken before any change), so trying again is safe;
 * inside a transaction statements are not retried, the lock is already ours there.
 */
function retryWhileBusy<T>(step: () => T, timeoutMs: number): T {
  let deadline: number | undefined;
  for (;;) {
    try {
      return step();
    } catch (error) {
      if (!sqliteCode(error).startsWith('SQLITE_BUSY')) throw error;
      const now = performance.now();
      deadline ??= now + timeoutMs;
      if (now >= deadline) throw error;
      Atomics.wait(napCell, 0, 0, Math.min(0.5 + Math.random(), deadline - now));
    }
  }
}

/**
 * A runner over one synchronous SQLite handle. Statements are prepared once and kept.
 * A transaction spans awaits, so while one is open every other call on this handle
 * waits for it: otherwise an unrelated put would run inside it and share its fate.
 */
function handleRunner(db: SqliteHandle, busyTimeoutMs = 0): SqlRunner {
  const cache = new Map<string, SqliteStatement>();
  const retry = <T>(step: () => T): T => retryWhileBusy(step, busyTimeoutMs);
  const prepare = (sql: string): SqliteStatement => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= 256) cache.clear();
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  const direct: SqlRunner = {
    all: async (sql, params) => prepare(sql).all(...params) as SqlRow[],
    run: async (sql, params) => Number(prepare(sql).run(...params).changes),
    transaction: (fn) => fn(direct),
    close: async () => undefined,
  };
  // Each wait loop and the statement after it run in one synchronous step once `open`
  // is clear, so no statement slips into a transaction that starts meanwhile.
  let open: Promise<void> | undefined;
  return {
    all: async (sql, params) => {
      while (open) await open;
      return retry(() => prepare(sql).all(...params) as SqlRow[]);
    },
    run: async (sql, params) => {
      while (open) await open;
      return retry(() => Number(prepare(sql).run(...params).changes));
    },
    async transaction(fn) {
      // Checked and claimed in one synchronous step, so two transactions never both start.
      while (open) await open;
      let done = () => {};
      open = new Promise((resolve) => {
        done = resolve;
      });
      try {
        // IMMEDIATE takes the write lock up front, so the busy timeout applies to it
        // instead of failing at the first write of a read transaction.
        retry(() => db.exec('BEGIN IMMEDIATE'));
        try {
          const result = await fn(direct);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      } finally {
        open = undefined;
        done();
      }
    },
    close: async () => {
      while (open) await open;
      db.close();
    },
  };
}

/**
 * The embedded default: one SQLite table (key, metadata, value BLOB) in WAL mode,
 * through Node's built-in `node:sqlite` or better-sqlite3 (same file format).
 * Conditional writes are single statements checked by row count, so they are atomic
 * across processes; `list` is a range scan on the primary key.
 *
 * @example
 * ```ts
 * const store = await SqliteBackend.open({ path: './.stowage/store.sqlite' });
 * await store.put('runs/1', new TextEncoder().encode('{"x":1}'));
 * ```
 */
export class SqliteBackend extends SqlBackend {
  /**
   * Opens a SQLite store, creating the file and its table if needed; with
   * `{ create: false }` both must exist already (`StoreNotFoundError`), and nothing is created.
   */
  static async open(options: SqliteBackendOptions, openOptions: OpenOptions = {}): Promise<SqliteBackend> {
    checkOptions(options, OPTIONS, 'sqlite');
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'sqlite');
    const create = openOptions.create ?? true;
    const given = requireString(options.path, 'path', 'sqlite');
    const path = given === ':memory:' ? ':memory:' : resolve(given);
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    const label = `sqlite:${path}${table === 'stowage' ? '' : `?table=${table}`}`;
    if (!create && (path === ':memory:' || !existsSync(path))) throw missingDatabase('SQLite', label, path);
    const dialect = sqliteDialect();
    let db: SqliteHandle | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = await openSqliteFile(path, options.driver);
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      // The table is checked before WAL is switched on, so a file that is not ours is left as it was.
      await prepareTable(handleRunner(db), dialect, { table, create, label });
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      // From here on the runner waits for locks itself (retryWhileBusy), in short naps.
      db.exec('PRAGMA busy_timeout = 0');
    } catch (error) {
      db?.close();
      throw openFailure('SQLite', label, error, path);
    }
    const details: JsonObject = { journalMode: 'wal', driver: db.driver };
    if (options.urlDriver)
      details.note = `the URL's driver '+${options.urlDriver}' is ignored: stowage uses ${db.driver}`;
    return new SqliteBackend({
      dialect,
      runner: echoingRunner(handleRunner(db, busyTimeoutMs), options.echo, label),
      table,
      label,
      location: path,
      config: {
        type: 'sqlite',
        path,
        table,
        busyTimeoutMs: options.busyTimeoutMs,
        driver: options.driver,
        echo: options.echo === true ? true : undefined,
      },
      details,
    });
  }
}

/**
 * Parses SQLite URLs as SQLAlchemy writes them: `sqlite:///rel.sqlite` (relative),
 * `sqlite:////abs.sqlite` (absolute), `sqlite://` or `sqlite:///:memory:` (in memory);
 * also `sqlite:./rel.sqlite`, `sqlite:/abs.sqlite`, `sqlite:~/in-home.sqlite` and
 * `sqlite::memory:`, with `?table=&driver=&busyTimeoutMs=&echo=true`. A SQLAlchemy driver
 * (`sqlite+pysqlite:`) is ignored, and noted in `info()`.
 */
export function configFromUrl(url: string): BackendConfig {
  const { path, params } = parseLocalUrl(url, { sqlalchemy: true });
  checkKnownParams(params, ['table', 'busyTimeoutMs', 'driver', 'echo'], 'sqlite');
  const memory = path === '' || path === ':memory:';
  return {
    type: 'sqlite',
    path: memory ? ':memory:' : resolve(path),
    table: params.get('table') ?? undefined,
    busyTimeoutMs: intParam(params, 'busyTimeoutMs', 'sqlite'),
    driver: params.get('driver') ?? undefined,
    echo: boolParam(params, 'echo', 'sqlite'),
    urlDriver: driverSuffixOf(url),
  };
}

/** Opens a SQLite store from its config. */
export async function openFromConfig(config: BackendConfig, options?: OpenOptions): Promise<SqliteBackend> {
  return SqliteBackend.open(optionsFromConfig<SqliteBackendOptions>(config), options);
}
