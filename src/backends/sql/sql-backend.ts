import type * as contract from '../../core/backend.ts';
import { BaseBackend, copyAttrs, type ListPlan } from '../../core/backend-base.ts';
import { StorageError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/json.ts';
import { compareKeyPaths, type Key, type KeyInput, prefixRange, splitPath } from '../../core/keys.ts';
import { makeKeyBoundMeta, verifyValue } from '../kit/meta.ts';
import type { SqlDialect, SqlRow, SqlRunner } from './dialect.ts';
import { chunkRows, lastPerKey, type SqlMetaRow, sqlRowMeta } from './rows.ts';
import { type SqlStatements, sqlStatements } from './statements.ts';

/** Rows read per page of a listing, so no statement or cursor stays open across awaits. */
const PAGE = 500;

/** What a dialect module hands to {@link SqlBackend} once its connection is open. */
export interface SqlBackendSetup {
  readonly dialect: SqlDialect;
  readonly runner: SqlRunner;
  /** The validated table name. */
  readonly table: string;
  /** Password-free label used in errors. */
  readonly label: string;
  /** Where the data lives, for `info()` (a path, or the label of a server). */
  readonly location: string;
  /** What `toConfig()` returns (never a password). */
  readonly config: contract.BackendConfig;
  /** Engine details for `info()` (driver, pool size, ...). */
  readonly details: JsonObject;
  /** Overrides of the dialect's capabilities measured at open (e.g. the server's packet limit). */
  readonly capabilities?: Partial<contract.Capabilities> | undefined;
}

interface PreparedRow {
  readonly path: string;
  readonly value: Uint8Array;
  readonly meta: contract.Meta;
}

/**
 * The one implementation of the backend contract over SQL: a table of (key, metadata,
 * value) rows, conditional writes as single statements checked by their changed-row
 * count, listings as range scans on the primary key read in pages. Engines differ only
 * in their {@link SqlDialect}; see `sqlite.ts`, `postgres.ts`, `mysql.ts`, `duckdb.ts`.
 */
export class SqlBackend extends BaseBackend implements contract.Backend {
  /** What the engine guarantees; dialects declare theirs (batches are atomic, attrs are queried in SQL). */
  readonly capabilities: contract.Capabilities;
  /** `engine:location/table`, without a password. */
  readonly label: string;
  readonly #d: SqlDialect;
  readonly #r: SqlRunner;
  readonly #q: SqlStatements;
  readonly #setup: SqlBackendSetup;

  /** Wraps an open connection; dialect modules call this after creating the table. */
  /** @internal Each dialect's `open()` builds the setup. */
  constructor(setup: SqlBackendSetup) {
    super();
    this.#setup = setup;
    this.#d = setup.dialect;
    this.#r = setup.runner;
    this.label = setup.label;
    this.capabilities = { ...setup.dialect.capabilities, ...setup.capabilities };
    this.#q = sqlStatements(setup.dialect, setup.table);
  }

  /** The table holding the entries. */
  get table(): string {
    return this.#setup.table;
  }

  /** One primary-key lookup; the checksum is verified before the value is returned. */
  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    // The runner directly rather than through #all: a hit is one promise less.
    let rows: SqlRow[];
    try {
      rows = await this.#r.all(this.#q.get, [path]);
    } catch (error) {
      throw this.#error(error, 'get', path, false);
    }
    return this.#stored(rows[0], path);
  }

  /** Reads the metadata columns only, never the value. */
  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    const rows = await this.#all('stat', this.#q.stat, [path], path);
    return rows[0] ? sqlRowMeta(rows[0] as unknown as SqlMetaRow, path, this.label) : undefined;
  }

  /** One statement (insert, upsert, or an update guarded by the ETag), checked by its changed-row count. */
  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    const meta = makeKeyBoundMeta(path, value, copyAttrs(options.attrs));
    try {
      const createdAt = await this.#write(this.#r, path, value, meta, options);
      return createdAt === meta.createdAt ? meta : { ...meta, createdAt };
    } catch (error) {
      throw this.#error(error, 'put', path, true);
    }
  }

  /** One write on `runner`; resolves the row's `created_at`. */
  async #write(
    runner: SqlRunner,
    path: string,
    value: Uint8Array,
    meta: contract.Meta,
    options: contract.PutOptions,
  ): Promise<number> {
    const d = this.#d;
    const attrs = JSON.stringify(meta.attrs);
    const bound = d.bindValue(value);
    if (options.ifMatch !== undefined) {
      const params = [meta.etag, meta.size, meta.checksum, meta.modifiedAt, attrs, bound, path, options.ifMatch];
      if (d.returning) {
        const rows = await runner.all(this.#q.updateIfMatch, params);
        if (!rows[0]) throw this.conditionFailed(path, await this.#etagOf(runner, path), options);
        return Number(rows[0].created_at);
      }
      if ((await runner.run(this.#q.updateIfMatch, params)) === 0) {
        throw this.conditionFailed(path, await this.#etagOf(runner, path), options);
      }
      return this.#createdAt(runner, path, meta);
    }
    const params = [path, meta.etag, meta.size, meta.checksum, meta.createdAt, meta.modifiedAt, attrs, bound];
    if (options.ifAbsent) {
      let inserted: boolean;
      try {
        inserted = (await runner.run(this.#q.insertIfAbsent, params)) > 0;
      } catch (error) {
        if (!d.isDuplicateKey(error)) throw error;
        inserted = false;
      }
      if (!inserted) throw this.conditionFailed(path, await this.#etagOf(runner, path), options);
      return meta.createdAt;
    }
    if (d.returning || d.upsertReportsCreatedAt) {
      const rows = await runner.all(this.#q.upsert, params);
      return Number(rows[0]?.created_at ?? meta.createdAt);
    }
    await runner.run(this.#q.upsert, params);
    return this.#createdAt(runner, path, meta);
  }

  // Without RETURNING, created_at is read back with our own ETag, so the answer is ours.
  async #createdAt(runner: SqlRunner, path: string, meta: contract.Meta): Promise<number> {
    const rows = await runner.all(this.#q.createdAt, [path, meta.etag]);
    return rows[0] ? Number(rows[0].created_at) : meta.createdAt;
  }

  /** One delete statement, guarded by the ETag when `ifMatch` is given. */
  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    try {
      if (options.ifMatch === undefined) return (await this.#r.run(this.#q.delete, [path])) > 0;
      if ((await this.#r.run(this.#q.deleteIfMatch, [path, options.ifMatch])) > 0) return true;
      throw this.conditionFailed(path, await this.#etagOf(this.#r, path), options);
    } catch (error) {
      throw this.#error(error, 'delete', path, true);
    }
  }

  /** A range scan on the primary key, read in pages; `where` runs in SQL where the dialect can. */
  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    for await (const row of this.#pages(plan, this.#q.metaColumns)) {
      const path = this.#d.keyOf(row.k);
      yield { key: splitPath(path), meta: sqlRowMeta(row as unknown as SqlMetaRow, path, this.label) };
    }
  }

  override async *keys(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<Key> {
    const plan = this.planList(prefixInput, options);
    for await (const row of this.#pages(plan, this.#q.keyColumn)) yield splitPath(this.#d.keyOf(row.k));
  }

  /** Rows of a listing, read a page at a time with the last key as the exclusive cursor. */
  async *#pages(plan: ListPlan, columns: string): AsyncIterable<SqlRow> {
    const { lower } = plan.range;
    // One lower bound per statement: an engine starts its index range at one bound, so
    // `key >= lower AND key > cursor` would scan from `lower` to the cursor on every page.
    let cursor = plan.after !== undefined && compareKeyPaths(plan.after, lower) >= 0 ? plan.after : undefined;
    const fromLower = this.#listStatement(plan, columns, false);
    const fromCursor = this.#listStatement(plan, columns, true);
    let remaining = plan.limit;
    while (remaining > 0) {
      const take = Math.min(PAGE, remaining);
      const statement = cursor === undefined ? fromLower : fromCursor;
      const params = statement.params(take, cursor);
      const rows = await this.#all('list', statement.sql, params);
      for (const row of rows) yield row;
      remaining -= rows.length;
      if (rows.length < take) return;
      cursor = this.#d.keyOf((rows[rows.length - 1] as SqlRow).k);
    }
  }

  /** A listing statement starting at the prefix (`key >= lower`) or after a cursor (`key > cursor`). */
  #listStatement(
    plan: ListPlan,
    columns: string,
    afterCursor: boolean,
  ): { sql: string; params: (take: number, cursor: string | undefined) => unknown[] } {
    const d = this.#d;
    const k = d.keyColumn;
    const { lower, upper } = plan.range;
    const params: unknown[] = [];
    const bind = (value: unknown): string => d.placeholder(params.push(value));
    const conditions = [`${k} ${afterCursor ? '>' : '>='} ${bind(lower)}`];
    const boundAt = 0;
    if (upper !== undefined) conditions.push(`${k} < ${bind(upper)}`);
    if (!plan.recursive) conditions.push(d.directChild(bind(d.childStart(plan.prefix.path))));
    if (plan.where && Object.keys(plan.where).length > 0) conditions.push(d.attrFilter(plan.where, bind));
    const limit = bind(0);
    const limitAt = params.length - 1;
    return {
      sql: `SELECT ${columns} FROM ${this.#q.table} WHERE ${conditions.join(' AND ')} ORDER BY ${k} LIMIT ${limit}`,
      params: (take, cursor) => {
        const bound = [...params];
        if (afterCursor) bound[boundAt] = cursor;
        bound[limitAt] = take;
        return bound;
      },
    };
  }

  /** Reads the keys with `IN (...)` queries, as many keys per query as the engine takes. */
  override async getMany(keys: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    const unique = [...new Set(paths)];
    const found = new Map<string, SqlRow>();
    for (let i = 0; i < unique.length; i += this.#d.batch.rows) {
      const chunk = unique.slice(i, i + this.#d.batch.rows);
      for (const row of await this.#all('getMany', this.#q.getIn(chunk.length), chunk)) {
        found.set(this.#d.keyOf(row.k), row);
      }
    }
    return paths.map((path) => this.#stored(found.get(path), path));
  }

  /** Writes the whole batch in one transaction: all entries or none. */
  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const prepared: PreparedRow[] = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      return { path, value: e.value, meta: makeKeyBoundMeta(path, e.value, copyAttrs(e.attrs)) };
    });
    if (prepared.length === 0) return [];
    const created = new Map<string, number>();
    try {
      await this.#r.transaction(async (tx) => {
        for (const chunk of chunkRows(lastPerKey(prepared), this.#d.batch)) {
          for (const [path, at] of await this.#upsertRows(tx, chunk)) created.set(path, at);
        }
      });
    } catch (error) {
      throw this.#error(error, 'putMany', undefined, true);
    }
    return prepared.map((p) => {
      const at = created.get(p.path);
      return at === undefined || at === p.meta.createdAt ? p.meta : { ...p.meta, createdAt: at };
    });
  }

  /** One multi-row upsert; resolves each key's `created_at`. */
  async #upsertRows(tx: SqlRunner, rows: readonly PreparedRow[]): Promise<[string, number][]> {
    const d = this.#d;
    const params: unknown[] = [];
    for (const { path, value, meta: m } of rows) {
      params.push(
        path,
        m.etag,
        m.size,
        m.checksum,
        m.createdAt,
        m.modifiedAt,
        JSON.stringify(m.attrs),
        d.bindValue(value),
      );
    }
    const sql = this.#q.upsertMany(rows.length);
    let back: SqlRow[];
    if (d.returning) {
      back = await tx.all(sql, params);
    } else {
      await tx.run(sql, params);
      back = await tx.all(
        this.#q.createdAtIn(rows.length),
        rows.map((r) => r.path),
      );
    }
    return back.map((row) => [d.keyOf(row.k), Number(row.created_at)]);
  }

  /** Deletes the batch in one transaction; returns how many keys existed. */
  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const unique = [...new Set(keys.map((k) => this.key(k).path))];
    if (unique.length === 0) return 0;
    try {
      return await this.#r.transaction(async (tx) => {
        let removed = 0;
        for (let i = 0; i < unique.length; i += this.#d.batch.rows) {
          const chunk = unique.slice(i, i + this.#d.batch.rows);
          removed += await tx.run(this.#q.deleteIn(chunk.length), chunk);
        }
        return removed;
      });
    } catch (error) {
      throw this.#error(error, 'deleteMany', undefined, true);
    }
  }

  /** One range delete on the primary key. */
  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    try {
      if (upper === undefined) return await this.#r.run(this.#q.clearAll, []);
      return await this.#r.run(this.#q.clearRange, [lower, upper]);
    } catch (error) {
      throw this.#error(error, 'clear', undefined, true);
    }
  }

  /** Counts rows and value bytes with one aggregate query. */
  async info(): Promise<contract.BackendInfo> {
    this.assertOpen();
    const rows = await this.#all('info', this.#q.count, []);
    return {
      type: this.#d.type,
      location: this.#setup.location,
      entries: Number(rows[0]?.n ?? 0),
      bytes: Number(rows[0]?.bytes ?? 0),
      capabilities: this.capabilities,
      details: { table: this.#setup.table, ...this.#setup.details },
    };
  }

  /** The config that opens this store again, password left out. */
  toConfig(): contract.BackendConfig {
    return this.#setup.config;
  }

  /** Gives the space of deleted rows back to the file system (`VACUUM`, `OPTIMIZE TABLE`, ...). */
  async compact(): Promise<contract.CompactReport> {
    this.assertOpen();
    const statements = this.#d.compactStatements(this.#setup.table);
    for (const sql of statements) {
      try {
        await this.#r.run(sql, []);
      } catch (error) {
        throw this.#error(error, 'compact', undefined, true);
      }
    }
    return { removed: 0, details: { statements: [...statements] } };
  }

  /** Drops the table and everything in it; the store is unusable afterwards. */
  async drop(): Promise<void> {
    this.assertOpen();
    try {
      await this.#r.run(`DROP TABLE IF EXISTS ${this.#q.table}`, []);
    } catch (error) {
      throw this.#error(error, 'drop', undefined, true);
    }
  }

  protected async closeResources(): Promise<void> {
    await this.#r.close();
  }

  #stored(row: SqlRow | undefined, path: string): contract.StoredValue | undefined {
    if (!row) return undefined;
    const meta = sqlRowMeta(row as unknown as SqlMetaRow, path, this.label);
    const value = this.#d.valueOf(row.value);
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  async #etagOf(runner: SqlRunner, path: string): Promise<string | undefined> {
    const rows = await runner.all(this.#q.etag, [path]);
    return rows[0]?.etag as string | undefined;
  }

  // get() inlines this (one promise less per hit): keep the two in step.
  async #all(what: string, sql: string, params: readonly unknown[], key?: string): Promise<SqlRow[]> {
    this.assertOpen();
    try {
      return await this.#r.all(sql, params);
    } catch (error) {
      throw this.#error(error, what, key, false);
    }
  }

  #error(error: unknown, what: string, key: string | undefined, write: boolean): StorageError {
    if (error instanceof StorageError) return error;
    return this.#d.classify(error, { what, key, write, backend: this.label });
  }
}
