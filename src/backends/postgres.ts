import type * as Pg from 'pg';
import type {
  AttrFilter,
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
import { classifyDriverError } from '../core/driver-errors.ts';
import { checkIdentifier } from '../core/identifiers.ts';
import { type KeyInput, prefixRange, splitPath } from '../core/keys.ts';
import { makeMeta, verifyValue } from '../core/meta.ts';
import { lastPerKey, SQL_PAGE_SIZE, type SqlMetaRow, sqlRowMeta } from './sql-rows.ts';
import {
  echoStatement,
  resolvePassword,
  type SqlServerOptions,
  sqlServerConfig,
  sqlServerConfigFromUrl,
  sqlServerOptionsFromConfig,
} from './sql-server.ts';

/** Options of {@link PostgresBackend}. */
export type PostgresBackendOptions = SqlServerOptions;

type Row = SqlMetaRow & { key: string; value?: Buffer };

const CAPABILITIES: Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: true,
  atomicBatch: true,
};

const META = 'key, etag, size, checksum, created_at, modified_at, attrs';

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
export class PostgresBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #pool: Pg.Pool;
  readonly #options: PostgresBackendOptions & { table: string; host: string; port: number };
  readonly #password: string | undefined;
  readonly #t: string;

  private constructor(
    pool: Pg.Pool,
    options: PostgresBackendOptions & { table: string; host: string; port: number },
    password: string | undefined,
  ) {
    super();
    this.#pool = pool;
    this.#options = options;
    this.#password = password;
    this.#t = `"${options.table}"`;
    this.label = `postgres://${options.user ? `${options.user}@` : ''}${options.host}:${options.port}/${options.database ?? ''}?table=${options.table}`;
  }

  /** Connects, and creates the table on first use. */
  static async open(options: PostgresBackendOptions): Promise<PostgresBackend> {
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'postgres');
    const full = { ...options, table, host: options.host ?? '127.0.0.1', port: options.port ?? 5432 };
    const password = resolvePassword(options);
    const pg = await loadDriver<{ default: typeof Pg }>('pg', 'postgres');
    const pool = new pg.default.Pool({
      host: full.host,
      port: full.port,
      user: full.user,
      password,
      database: full.database,
      max: full.poolSize ?? 5,
      connectionTimeoutMillis: full.connectTimeoutMs ?? 5000,
    });
    // An idle client losing its connection (server restart) must not crash the process.
    pool.on('error', () => undefined);
    const backend = new PostgresBackend(pool, full, password);
    await backend.#createTable();
    return backend;
  }

  async #createTable(): Promise<void> {
    const t = this.#t;
    try {
      await this.#query(
        'open',
        `CREATE TABLE IF NOT EXISTS ${t} (
          key TEXT COLLATE "C" PRIMARY KEY,
          etag TEXT NOT NULL,
          size BIGINT NOT NULL,
          checksum BIGINT NOT NULL,
          created_at BIGINT NOT NULL,
          modified_at BIGINT NOT NULL,
          attrs JSONB NOT NULL,
          value BYTEA NOT NULL
        )`,
      );
    } catch (error) {
      // Two processes creating the same table at once: the loser sees a duplicate type.
      if (!/already exists|duplicate key/.test(String((error as Error).message))) {
        await this.#pool.end().catch(() => undefined);
        throw error;
      }
    }
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const { path } = this.key(input);
    const { rows } = await this.#query('get', `SELECT ${META}, value FROM ${this.#t} WHERE key = $1`, [path], path);
    return this.#stored(rows[0] as Row | undefined, path);
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const { path } = this.key(input);
    const { rows } = await this.#query('stat', `SELECT ${META} FROM ${this.#t} WHERE key = $1`, [path], path);
    return rows[0] ? sqlRowMeta(rows[0] as Row) : undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    const meta = makeMeta(value, copyAttrs(options.attrs));
    const attrs = JSON.stringify(meta.attrs);
    let sql: string;
    let params: unknown[];
    if (options.ifMatch !== undefined) {
      sql = `UPDATE ${this.#t} SET etag = $2, size = $3, checksum = $4, modified_at = $5, attrs = $6, value = $7
             WHERE key = $1 AND etag = $8 RETURNING created_at`;
      params = [path, meta.etag, meta.size, meta.checksum, meta.modifiedAt, attrs, value, options.ifMatch];
    } else {
      const insert = `INSERT INTO ${this.#t} (key, etag, size, checksum, created_at, modified_at, attrs, value)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
      sql = options.ifAbsent
        ? `${insert} ON CONFLICT (key) DO NOTHING RETURNING created_at`
        : `${insert} ON CONFLICT (key) DO UPDATE SET etag = EXCLUDED.etag, size = EXCLUDED.size,
           checksum = EXCLUDED.checksum, modified_at = EXCLUDED.modified_at, attrs = EXCLUDED.attrs, value = EXCLUDED.value
           RETURNING created_at`;
      params = [path, meta.etag, meta.size, meta.checksum, meta.createdAt, meta.modifiedAt, attrs, value];
    }
    const { rows } = await this.#query('put', sql, params, path, true);
    const row = rows[0] as { created_at: string } | undefined;
    if (!row) throw this.conditionFailed(path, await this.#etagOf(path), options);
    return { ...meta, createdAt: Number(row.created_at) };
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const conditional = options.ifMatch !== undefined;
    const { rowCount } = await this.#query(
      'delete',
      `DELETE FROM ${this.#t} WHERE key = $1${conditional ? ' AND etag = $2' : ''}`,
      conditional ? [path, options.ifMatch] : [path],
      path,
      true,
    );
    if (rowCount) return true;
    if (conditional) throw this.conditionFailed(path, await this.#etagOf(path), options);
    return false;
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const { lower, upper } = prefixRange(plan.prefix.path);
    const params: unknown[] = [lower, ''];
    const conditions = ['key >= $1', 'key > $2'];
    if (upper !== undefined) conditions.push(`key < $${params.push(upper)}`);
    if (!plan.recursive) {
      conditions.push(
        `strpos(substr(key, $${params.push([...plan.prefix.path].length + (plan.prefix.path ? 2 : 1))}), '/') = 0`,
      );
    }
    if (plan.where && Object.keys(plan.where).length > 0)
      conditions.push(`attrs @> $${params.push(whereJson(plan.where))}::jsonb`);
    const limitParam = params.push(0);
    const sql = `SELECT ${META} FROM ${this.#t} WHERE ${conditions.join(' AND ')} ORDER BY key LIMIT $${limitParam}`;
    params[1] = plan.after ?? '';
    let remaining = plan.limit;
    while (remaining > 0) {
      const take = Math.min(SQL_PAGE_SIZE, remaining);
      params[limitParam - 1] = take;
      const { rows } = await this.#query('list', sql, params);
      for (const row of rows as Row[]) yield { key: splitPath(row.key), meta: sqlRowMeta(row) };
      remaining -= rows.length;
      if (rows.length < take) return;
      params[1] = (rows[rows.length - 1] as Row).key;
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    if (paths.length === 0) return [];
    const { rows } = await this.#query('getMany', `SELECT ${META}, value FROM ${this.#t} WHERE key = ANY($1::text[])`, [
      [...new Set(paths)],
    ]);
    const found = new Map((rows as Row[]).map((r) => [r.key, r]));
    return paths.map((path) => this.#stored(found.get(path), path));
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      return { path, value: e.value, meta: makeMeta(e.value, copyAttrs(e.attrs)) };
    });
    if (prepared.length === 0) return [];
    const created = new Map<string, number>();
    await this.#transaction('putMany', async (client) => {
      const unique = lastPerKey(prepared);
      for (let i = 0; i < unique.length; i += SQL_PAGE_SIZE) {
        const chunk = unique.slice(i, i + SQL_PAGE_SIZE);
        const params: unknown[] = [];
        const tuples = chunk.map((row) => {
          const m = row.meta;
          const base = params.length;
          params.push(
            row.path,
            m.etag,
            m.size,
            m.checksum,
            m.createdAt,
            m.modifiedAt,
            JSON.stringify(m.attrs),
            row.value,
          );
          return `(${Array.from({ length: 8 }, (_, j) => `$${base + j + 1}`).join(', ')})`;
        });
        const { rows } = await client.query(
          `INSERT INTO ${this.#t} (key, etag, size, checksum, created_at, modified_at, attrs, value) VALUES ${tuples.join(', ')}
           ON CONFLICT (key) DO UPDATE SET etag = EXCLUDED.etag, size = EXCLUDED.size, checksum = EXCLUDED.checksum,
           modified_at = EXCLUDED.modified_at, attrs = EXCLUDED.attrs, value = EXCLUDED.value RETURNING key, created_at`,
          params,
        );
        for (const r of rows as { key: string; created_at: string }[]) created.set(r.key, Number(r.created_at));
      }
    });
    return prepared.map((p) => ({ ...p.meta, createdAt: created.get(p.path) ?? p.meta.createdAt }));
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = keys.map((k) => this.key(k).path);
    if (paths.length === 0) return 0;
    const { rowCount } = await this.#query(
      'deleteMany',
      `DELETE FROM ${this.#t} WHERE key = ANY($1::text[])`,
      [paths],
      undefined,
      true,
    );
    return rowCount ?? 0;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    const { rowCount } =
      upper === undefined
        ? await this.#query('clear', `DELETE FROM ${this.#t}`, [], undefined, true)
        : await this.#query(
            'clear',
            `DELETE FROM ${this.#t} WHERE key >= $1 AND key < $2`,
            [lower, upper],
            undefined,
            true,
          );
    return rowCount ?? 0;
  }

  async info(): Promise<BackendInfo> {
    this.prefix(undefined);
    const { rows } = await this.#query('info', `SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM ${this.#t}`);
    const row = rows[0] as { n: string; bytes: string };
    return {
      type: 'postgres',
      location: this.label,
      entries: Number(row.n),
      bytes: Number(row.bytes),
      capabilities: this.capabilities,
      details: { table: this.#options.table, poolSize: this.#options.poolSize ?? 5 },
    };
  }

  toConfig(): BackendConfig {
    return sqlServerConfig('postgres', this.#options);
  }

  /** Reclaims space and refreshes planner statistics (`VACUUM ANALYZE` on the table). */
  async vacuum(): Promise<void> {
    this.prefix(undefined);
    await this.#query('vacuum', `VACUUM ANALYZE ${this.#t}`);
  }

  /** Drops the table and everything in it. */
  async drop(): Promise<void> {
    await this.#query('drop', `DROP TABLE IF EXISTS ${this.#t}`, [], undefined, true);
  }

  protected async closeResources(): Promise<void> {
    await this.#pool.end();
  }

  #stored(row: Row | undefined, path: string): StoredValue | undefined {
    if (!row) return undefined;
    const meta = sqlRowMeta(row);
    const value = new Uint8Array(row.value as Buffer);
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  async #etagOf(path: string): Promise<string | undefined> {
    const { rows } = await this.#query('stat', `SELECT etag FROM ${this.#t} WHERE key = $1`, [path], path);
    return (rows[0] as { etag: string } | undefined)?.etag;
  }

  #echo(sql: string): void {
    echoStatement(this.#options.echo, this.label, sql);
  }

  async #query(
    what: string,
    sql: string,
    params: unknown[] = [],
    key?: string,
    write = false,
  ): Promise<Pg.QueryResult> {
    if (this.closed) this.key('x');
    this.#echo(sql);
    try {
      return await this.#pool.query(sql, params);
    } catch (error) {
      throw this.#error(error, what, key, write);
    }
  }

  async #transaction(what: string, fn: (client: Pg.PoolClient) => Promise<void>): Promise<void> {
    let client: Pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      this.#echo('BEGIN');
      await client.query('BEGIN');
      await fn(client);
      this.#echo('COMMIT');
      await client.query('COMMIT');
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      throw this.#error(error, what, undefined, true);
    } finally {
      client?.release();
    }
  }

  #error(error: unknown, what: string, key: string | undefined, write: boolean) {
    return classifyDriverError(error, {
      backend: this.label,
      what,
      key,
      write,
      secrets: [this.#password],
      address: `${this.#options.host}:${this.#options.port}`,
    });
  }
}

function whereJson(where: AttrFilter): string {
  return JSON.stringify(where);
}

/** Parses `postgres://user:pass@host:5432/db?table=...&poolSize=...&connectTimeoutMs=...&echo=true&passwordEnv=VAR`. */
export function configFromUrl(url: string): BackendConfig {
  return sqlServerConfigFromUrl('postgres', url, 5432);
}

/** Opens a store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<PostgresBackend> {
  return PostgresBackend.open(sqlServerOptionsFromConfig(config));
}
