import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as Duck from '@duckdb/node-api';
import type {
  BackendConfig,
  BackendInfo,
  Capabilities,
  DeleteOptions,
  ListedEntry,
  ListOptions,
  Meta,
  PutManyEntry,
  PutOptions,
  StoredValue,
} from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import { loadDriver } from '../core/driver.ts';
import { ConnectionError, OperationError } from '../core/errors.ts';
import { checkIdentifier } from '../core/identifiers.ts';
import { type KeyInput, prefixRange, splitPath } from '../core/keys.ts';
import { makeMeta, verifyValue } from '../core/meta.ts';
import { SerialQueue } from '../core/serial-queue.ts';
import { parseLocalUrl } from '../core/url.ts';
import { SQL_PAGE_SIZE, type SqlMetaRow, sqlRowMeta } from './sql-rows.ts';

/** Options of {@link DuckdbBackend}. */
export interface DuckdbBackendOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** Table holding the entries (default `stowage`). */
  table?: string | undefined;
}

type Row = SqlMetaRow & { key: string; value?: Uint8Array };

// DuckDB lets one process open a database file for writing, so "multi-process" is false
// and conditional writes are atomic because this process's one connection runs them in order.
const CAPABILITIES: Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: false,
  queryAttrs: true,
  atomicBatch: true,
};

const META = 'key, etag, size, checksum, created_at, modified_at, attrs';

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
export class DuckdbBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #duck: typeof Duck;
  readonly #instance: Duck.DuckDBInstance;
  readonly #conn: Duck.DuckDBConnection;
  readonly #options: { path: string; table: string };
  readonly #t: string;
  readonly #queue = new SerialQueue();

  private constructor(
    duck: typeof Duck,
    instance: Duck.DuckDBInstance,
    conn: Duck.DuckDBConnection,
    options: { path: string; table: string },
  ) {
    super();
    this.#duck = duck;
    this.#instance = instance;
    this.#conn = conn;
    this.#options = options;
    this.#t = `"${options.table}"`;
    this.label = `duckdb:${options.path}${options.table === 'stowage' ? '' : `?table=${options.table}`}`;
  }

  /** Opens (and creates if needed) a DuckDB store. */
  static async open(options: DuckdbBackendOptions): Promise<DuckdbBackend> {
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'duckdb');
    const path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    const duck = await loadDriver<typeof Duck>('@duckdb/node-api', 'duckdb');
    let instance: Duck.DuckDBInstance;
    let conn: Duck.DuckDBConnection;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      instance = await duck.DuckDBInstance.create(path);
      conn = await instance.connect();
      await conn.run(`CREATE TABLE IF NOT EXISTS "${table}" (
        key VARCHAR PRIMARY KEY,
        etag VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        checksum BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        modified_at BIGINT NOT NULL,
        attrs JSON NOT NULL,
        value BLOB NOT NULL
      )`);
    } catch (error) {
      throw new ConnectionError(`Cannot open DuckDB database: ${(error as Error).message}`, {
        backend: `duckdb:${path}`,
        cause: error,
      });
    }
    return new DuckdbBackend(duck, instance, conn, { path, table });
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const { path } = this.key(input);
    const rows = await this.#rows('get', `SELECT ${META}, value FROM ${this.#t} WHERE key = $1`, [path], path);
    return this.#stored(rows[0], path);
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const { path } = this.key(input);
    const rows = await this.#rows('stat', `SELECT ${META} FROM ${this.#t} WHERE key = $1`, [path], path);
    return rows[0] ? sqlRowMeta(rows[0]) : undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    const meta = makeMeta(value, copyAttrs(options.attrs));
    return this.#queue.run(async () => {
      const current = await this.#rowsNow(
        'put',
        `SELECT etag, created_at FROM ${this.#t} WHERE key = $1`,
        [path],
        path,
      );
      const existing = current[0];
      if (options.ifAbsent && existing) throw this.conditionFailed(path, existing.etag, options);
      if (options.ifMatch !== undefined && existing?.etag !== options.ifMatch) {
        throw this.conditionFailed(path, existing?.etag, options);
      }
      const createdAt = existing ? Number(existing.created_at) : meta.createdAt;
      // Serialised by the queue, so the check above still holds here.
      await this.#rowsNow(
        'put',
        `INSERT OR REPLACE INTO ${this.#t} (key, etag, size, checksum, created_at, modified_at, attrs, value)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        this.#rowParams(path, { ...meta, createdAt }, value),
        path,
      );
      return { ...meta, createdAt };
    });
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    return this.#queue.run(async () => {
      const current = await this.#rowsNow('delete', `SELECT etag FROM ${this.#t} WHERE key = $1`, [path], path);
      if (options.ifMatch !== undefined && current[0]?.etag !== options.ifMatch) {
        throw this.conditionFailed(path, current[0]?.etag, options);
      }
      if (!current[0]) return false;
      await this.#rowsNow('delete', `DELETE FROM ${this.#t} WHERE key = $1`, [path], path);
      return true;
    });
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const { lower, upper } = prefixRange(plan.prefix.path);
    const params: unknown[] = [lower, plan.after ?? ''];
    const conditions = ['key >= $1', 'key > $2'];
    if (upper !== undefined) conditions.push(`key < $${params.push(upper)}`);
    if (!plan.recursive) {
      conditions.push(
        `strpos(substr(key, $${params.push([...plan.prefix.path].length + (plan.prefix.path ? 2 : 1))}), '/') = 0`,
      );
    }
    if (plan.where && Object.keys(plan.where).length > 0) {
      conditions.push(`json_contains(attrs, $${params.push(JSON.stringify(plan.where))})`);
    }
    const limitParam = params.push(0);
    const sql = `SELECT ${META} FROM ${this.#t} WHERE ${conditions.join(' AND ')} ORDER BY key LIMIT $${limitParam}`;
    let remaining = plan.limit;
    while (remaining > 0) {
      const take = Math.min(SQL_PAGE_SIZE, remaining);
      params[limitParam - 1] = take;
      const rows = await this.#rows('list', sql, params);
      for (const row of rows) yield { key: splitPath(row.key), meta: sqlRowMeta(row) };
      remaining -= rows.length;
      if (rows.length < take) return;
      params[1] = (rows[rows.length - 1] as Row).key;
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    if (paths.length === 0) return [];
    const unique = [...new Set(paths)];
    const found = new Map<string, Row>();
    for (let i = 0; i < unique.length; i += SQL_PAGE_SIZE) {
      const chunk = unique.slice(i, i + SQL_PAGE_SIZE);
      const placeholders = chunk.map((_, j) => `$${j + 1}`).join(', ');
      for (const row of await this.#rows(
        'getMany',
        `SELECT ${META}, value FROM ${this.#t} WHERE key IN (${placeholders})`,
        chunk,
      )) {
        found.set(row.key, row);
      }
    }
    return paths.map((path) => this.#stored(found.get(path), path));
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      return { path, value: e.value, meta: makeMeta(e.value, copyAttrs(e.attrs)) };
    });
    if (prepared.length === 0) return [];
    return this.#queue.run(async () => {
      await this.#rowsNow('putMany', 'BEGIN TRANSACTION', []);
      try {
        const metas: Meta[] = [];
        for (const p of prepared) {
          const current = await this.#rowsNow('putMany', `SELECT created_at FROM ${this.#t} WHERE key = $1`, [p.path]);
          const meta = { ...p.meta, createdAt: current[0] ? Number(current[0].created_at) : p.meta.createdAt };
          await this.#rowsNow(
            'putMany',
            `INSERT OR REPLACE INTO ${this.#t} (key, etag, size, checksum, created_at, modified_at, attrs, value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            this.#rowParams(p.path, meta, p.value),
          );
          metas.push(meta);
        }
        await this.#rowsNow('putMany', 'COMMIT', []);
        return metas;
      } catch (error) {
        await this.#conn.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = [...new Set(keys.map((k) => this.key(k).path))];
    if (paths.length === 0) return 0;
    let removed = 0;
    for (let i = 0; i < paths.length; i += SQL_PAGE_SIZE) {
      const chunk = paths.slice(i, i + SQL_PAGE_SIZE);
      const placeholders = chunk.map((_, j) => `$${j + 1}`).join(', ');
      const rows = await this.#rows(
        'deleteMany',
        `DELETE FROM ${this.#t} WHERE key IN (${placeholders}) RETURNING key`,
        chunk,
      );
      removed += rows.length;
    }
    return removed;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    const rows =
      upper === undefined
        ? await this.#rows('clear', `DELETE FROM ${this.#t} RETURNING key`, [])
        : await this.#rows('clear', `DELETE FROM ${this.#t} WHERE key >= $1 AND key < $2 RETURNING key`, [
            lower,
            upper,
          ]);
    return rows.length;
  }

  async info(): Promise<BackendInfo> {
    this.prefix(undefined);
    const rows = (await this.#rows(
      'info',
      `SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM ${this.#t}`,
      [],
    )) as unknown as {
      n: bigint;
      bytes: bigint | number;
    }[];
    return {
      type: 'duckdb',
      location: this.#options.path,
      entries: Number(rows[0]?.n ?? 0),
      bytes: Number(rows[0]?.bytes ?? 0),
      capabilities: this.capabilities,
      details: { table: this.#options.table },
    };
  }

  toConfig(): BackendConfig {
    return { type: 'duckdb', path: this.#options.path, table: this.#options.table };
  }

  /** Folds the write-ahead log into the database file (`CHECKPOINT`). */
  async vacuum(): Promise<void> {
    this.prefix(undefined);
    await this.#rows('vacuum', 'CHECKPOINT', []);
  }

  protected async closeResources(): Promise<void> {
    await this.#queue.run(async () => {
      this.#conn.closeSync();
      this.#instance.closeSync();
    });
  }

  #rowParams(path: string, meta: Meta, value: Uint8Array): unknown[] {
    return [
      path,
      meta.etag,
      meta.size,
      meta.checksum,
      meta.createdAt,
      meta.modifiedAt,
      JSON.stringify(meta.attrs),
      this.#duck.blobValue(value),
    ];
  }

  #stored(row: Row | undefined, path: string): StoredValue | undefined {
    if (!row) return undefined;
    const meta = sqlRowMeta(row);
    const value = new Uint8Array(row.value as Uint8Array);
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  #rows(what: string, sql: string, params: unknown[], key?: string): Promise<Row[]> {
    if (this.closed) this.key('x');
    return this.#queue.run(() => this.#rowsNow(what, sql, params, key));
  }

  async #rowsNow(what: string, sql: string, params: unknown[], key?: string): Promise<Row[]> {
    try {
      const reader = await this.#conn.runAndReadAll(sql, params as Duck.DuckDBValue[]);
      return reader.getRowObjectsJS() as unknown as Row[];
    } catch (error) {
      throw this.wrap(error, what, key);
    }
  }
}

/** Parses `duckdb:///abs/path.duckdb`, `duckdb:./rel.duckdb` or `duckdb::memory:`, with `?table=`. */
export function configFromUrl(url: string): BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new OperationError(`A duckdb URL needs a path: ${url}`);
  return {
    type: 'duckdb',
    path: path === ':memory:' ? ':memory:' : resolve(path),
    table: params.get('table') ?? undefined,
  };
}

/** Opens a DuckDB store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<DuckdbBackend> {
  return DuckdbBackend.open({ path: String(config.path), table: config.table as string | undefined });
}
