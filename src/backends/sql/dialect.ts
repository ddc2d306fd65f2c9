import type { AttrFilter, Capabilities } from '../../core/backend.ts';
import type { StorageError } from '../../core/errors.ts';
import { plainBytes } from './rows.ts';
import { onConflictUpdate } from './statements.ts';

/** One row as a driver returns it; column names are the table's. */
export type SqlRow = Record<string, unknown>;

/**
 * Runs statements on one engine. The SQL backend never sees a driver: each dialect
 * brings a runner over its own (a `pg` pool, a `mysql2` pool, a SQLite handle, ...).
 */
export interface SqlRunner {
  /** Runs a query and returns its rows. */
  all(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` in one transaction on one connection; commits when it resolves, rolls back
   * when it throws. Nothing else runs on that connection meanwhile.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** Releases the connection or pool. */
  close(): Promise<void>;
}

/** What happened, for {@link SqlDialect.classify}. */
export interface SqlErrorContext {
  readonly what: string;
  readonly key?: string | undefined;
  /** True for writes: a broken connection then leaves the outcome unknown. */
  readonly write: boolean;
  /** The backend label, already password-free. */
  readonly backend: string;
}

/**
 * The few things in which SQL engines differ, as small hooks over one
 * {@link SqlBackend}: placeholders, quoting, upserts, the direct-child test, the
 * attribute filter and the error table. Everything else is written once.
 */
export interface SqlDialect {
  /** Backend type, e.g. `sqlite`; also the scheme of its URLs. */
  readonly type: string;
  /** What this engine guarantees, limits included. */
  readonly capabilities: Capabilities;
  /** The key column, quoted (`key`, or `` `k` `` where `key` is reserved). */
  readonly keyColumn: string;
  /** Quotes a validated identifier (a table name). */
  quote(identifier: string): string;
  /** The placeholder of the `n`-th parameter, from 1 (`?` or `$n`). */
  placeholder(n: number): string;
  /** The `CREATE TABLE IF NOT EXISTS` statement of a table. */
  createTable(table: string): string;
  /** A query of the column names (as `name`) of a table; no rows when it does not exist. */
  tableColumns(table: string): { readonly sql: string; readonly params: readonly unknown[] };
  /** Appended to an INSERT of every column to make it an upsert that keeps `created_at`. */
  readonly upsertClause: string;
  /**
   * Appended to an INSERT to make it a no-op on an existing key (its changed-row count is
   * then 0); `undefined` when the engine reports the duplicate as an error instead.
   */
  readonly ignoreDuplicateClause: string | undefined;
  /** True when a duplicate-key error is what an INSERT on an existing key threw. */
  isDuplicateKey(error: unknown): boolean;
  /** True when UPDATE and INSERT can return `created_at` (`RETURNING`). */
  readonly returning: boolean;
  /**
   * True when the upsert itself reports the kept `created_at` of an existing row as a
   * row `{ created_at }` (none for a new row), without `RETURNING`: MySQL's
   * `LAST_INSERT_ID(created_at)`. Saves the read-back round trip of every put.
   */
  readonly upsertReportsCreatedAt?: boolean | undefined;
  /** A condition true when the key has no `/` from character (or byte) position `param` on. */
  directChild(param: string): string;
  /** The position {@link directChild} starts at, for keys directly under `prefix`. */
  childStart(prefix: string): number;
  /** A condition matching {@link AttrFilter}; `bind` adds a parameter and returns its placeholder. */
  attrFilter(where: AttrFilter, bind: (value: unknown) => string): string;
  /** How a value is bound as a parameter. */
  bindValue(value: Uint8Array): unknown;
  /** The key text of a key column as the driver returns it. */
  keyOf(raw: unknown): string;
  /** A plain `Uint8Array` of a value column as the driver returns it. */
  valueOf(raw: unknown): Uint8Array;
  /** Statements of {@link SqlBackend.compact}, run outside any transaction. */
  compactStatements(table: string): readonly string[];
  /** Most rows, and most value bytes, sent in one multi-row statement. */
  readonly batch: { readonly rows: number; readonly bytes: number };
  /** Turns a driver error into a typed, password-free error. */
  classify(error: unknown, context: SqlErrorContext): StorageError;
}

/** What every SQL engine guarantees; dialects add their limits (and DuckDB drops `multiProcess`). */
export const SQL_CAPABILITIES: Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: true,
  atomicBatch: true,
};

/**
 * Hooks shared by the engines with a `key` text column, double-quoted identifiers,
 * `ON CONFLICT` upserts with `RETURNING`, and positions counted in characters
 * (SQLite, PostgreSQL, DuckDB).
 */
export const TEXT_KEY_HOOKS = {
  keyColumn: 'key',
  quote: (name: string) => `"${name}"`,
  upsertClause: onConflictUpdate('key'),
  returning: true,
  childStart: (prefix: string) => (prefix ? [...prefix].length + 2 : 1),
  keyOf: (raw: unknown) => raw as string,
  valueOf: plainBytes,
  batch: { rows: 500, bytes: 64 * 1024 * 1024 },
} as const;

/** `$1`, `$2`, ... placeholders and the `strpos` direct-child test (PostgreSQL, DuckDB). */
export const NUMBERED_HOOKS = {
  placeholder: (n: number) => `$${n}`,
  directChild: (param: string) => `strpos(substr(key, ${param}), '/') = 0`,
} as const;
