import type * as MySql from 'mysql2/promise';
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
import { classifyDriverError } from '../core/driver-errors.ts';
import { OperationError } from '../core/errors.ts';
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

/** Options of {@link MysqlBackend}. */
export type MysqlBackendOptions = SqlServerOptions;

type Row = SqlMetaRow & { k: Buffer | string; value?: Buffer };

const CAPABILITIES: Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: true,
  atomicBatch: true,
};

/** InnoDB's largest index key: keys are stored as their UTF-8 bytes in a VARBINARY primary key. */
export const MYSQL_MAX_KEY_BYTES = 3072;

const META = '`k`, etag, size, checksum, created_at, modified_at, attrs';

/**
 * MySQL or MariaDB through a `mysql2` pool. Keys live in a `VARBINARY` primary key, so
 * they order by bytes and prefixes are range scans; attrs are JSON (`where` becomes
 * `JSON_CONTAINS`), values `LONGBLOB`. Conditional writes are single statements.
 * Values are bounded by the server's `max_allowed_packet` (16 MB by default).
 *
 * @example
 * ```ts
 * const store = await MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test' });
 * ```
 */
export class MysqlBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #pool: MySql.Pool;
  readonly #options: MysqlBackendOptions & { table: string; host: string; port: number };
  readonly #password: string | undefined;
  readonly #t: string;

  private constructor(
    pool: MySql.Pool,
    options: MysqlBackendOptions & { table: string; host: string; port: number },
    password: string | undefined,
  ) {
    super();
    this.#pool = pool;
    this.#options = options;
    this.#password = password;
    this.#t = `\`${options.table}\``;
    this.label = `mysql://${options.user ? `${options.user}@` : ''}${options.host}:${options.port}/${options.database ?? ''}?table=${options.table}`;
  }

  /** Connects, and creates the table on first use. */
  static async open(options: MysqlBackendOptions): Promise<MysqlBackend> {
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'mysql');
    const full = { ...options, table, host: options.host ?? '127.0.0.1', port: options.port ?? 3306 };
    const password = resolvePassword(options);
    const mysql = await loadDriver<{ default: typeof MySql }>('mysql2/promise', 'mysql');
    const pool = mysql.default.createPool({
      host: full.host,
      port: full.port,
      user: full.user,
      password,
      database: full.database,
      connectionLimit: full.poolSize ?? 5,
      connectTimeout: full.connectTimeoutMs ?? 5000,
      charset: 'utf8mb4',
      supportBigNumbers: true,
    });
    const backend = new MysqlBackend(pool, full, password);
    try {
      await backend.#exec(
        'open',
        `CREATE TABLE IF NOT EXISTS ${backend.#t} (
          \`k\` VARBINARY(${MYSQL_MAX_KEY_BYTES}) NOT NULL PRIMARY KEY,
          etag VARCHAR(64) NOT NULL,
          size BIGINT NOT NULL,
          checksum BIGINT NOT NULL,
          created_at BIGINT NOT NULL,
          modified_at BIGINT NOT NULL,
          attrs JSON NOT NULL,
          value LONGBLOB NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
        [],
      );
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return backend;
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const path = this.#path(input);
    const rows = await this.#rows('get', `SELECT ${META}, value FROM ${this.#t} WHERE \`k\` = ?`, [path], path);
    return this.#stored(rows[0], path);
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const path = this.#path(input);
    const rows = await this.#rows('stat', `SELECT ${META} FROM ${this.#t} WHERE \`k\` = ?`, [path], path);
    return rows[0] ? sqlRowMeta(rows[0]) : undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    this.#checkKeyLength(path);
    const meta = makeMeta(value, copyAttrs(options.attrs));
    const attrs = JSON.stringify(meta.attrs);
    const data = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (options.ifMatch !== undefined) {
      const result = await this.#exec(
        'put',
        `UPDATE ${this.#t} SET etag = ?, size = ?, checksum = ?, modified_at = ?, attrs = ?, value = ? WHERE \`k\` = ? AND etag = ?`,
        [meta.etag, meta.size, meta.checksum, meta.modifiedAt, attrs, data, path, options.ifMatch],
        path,
      );
      if (result.affectedRows === 0) throw this.conditionFailed(path, await this.#etagOf(path), options);
    } else {
      const insert = `INSERT INTO ${this.#t} (\`k\`, etag, size, checksum, created_at, modified_at, attrs, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
      const params = [path, meta.etag, meta.size, meta.checksum, meta.createdAt, meta.modifiedAt, attrs, data];
      if (options.ifAbsent) {
        try {
          await this.#exec('put', insert, params, path);
        } catch (error) {
          if (isDuplicate(error)) throw this.conditionFailed(path, await this.#etagOf(path), options);
          throw error;
        }
        return meta;
      }
      await this.#exec(
        'put',
        `${insert} ON DUPLICATE KEY UPDATE etag = VALUES(etag), size = VALUES(size), checksum = VALUES(checksum),
         modified_at = VALUES(modified_at), attrs = VALUES(attrs), value = VALUES(value)`,
        params,
        path,
      );
    }
    // createdAt is kept by the row; read it back with our own ETag so the answer is ours.
    const rows = await this.#rows(
      'put',
      `SELECT created_at FROM ${this.#t} WHERE \`k\` = ? AND etag = ?`,
      [path, meta.etag],
      path,
    );
    return { ...meta, createdAt: rows[0] ? Number(rows[0].created_at) : meta.createdAt };
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const path = this.#path(input);
    const conditional = options.ifMatch !== undefined;
    const result = await this.#exec(
      'delete',
      `DELETE FROM ${this.#t} WHERE \`k\` = ?${conditional ? ' AND etag = ?' : ''}`,
      conditional ? [path, options.ifMatch] : [path],
      path,
    );
    if (result.affectedRows > 0) return true;
    if (conditional) throw this.conditionFailed(path, await this.#etagOf(path), options);
    return false;
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const { lower, upper } = prefixRange(plan.prefix.path);
    const conditions = ['`k` >= ?', '`k` > ?'];
    const tail: unknown[] = [];
    if (upper !== undefined) {
      conditions.push('`k` < ?');
      tail.push(upper);
    }
    if (!plan.recursive) {
      // On binary strings LOCATE counts bytes.
      conditions.push("LOCATE('/', `k`, ?) = 0");
      tail.push(plan.prefix.path ? Buffer.byteLength(plan.prefix.path) + 2 : 1);
    }
    if (plan.where && Object.keys(plan.where).length > 0) {
      conditions.push('JSON_CONTAINS(attrs, ?)');
      tail.push(JSON.stringify(plan.where));
    }
    const sql = `SELECT ${META} FROM ${this.#t} WHERE ${conditions.join(' AND ')} ORDER BY \`k\` LIMIT ?`;
    let cursor = plan.after ?? '';
    let remaining = plan.limit;
    while (remaining > 0) {
      const take = Math.min(SQL_PAGE_SIZE, remaining);
      const rows = await this.#rows('list', sql, [lower, cursor, ...tail, take]);
      for (const row of rows) yield { key: splitPath(keyText(row.k)), meta: sqlRowMeta(row) };
      remaining -= rows.length;
      if (rows.length < take) return;
      cursor = keyText((rows[rows.length - 1] as Row).k);
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.#path(k));
    if (paths.length === 0) return [];
    const unique = [...new Set(paths)];
    const found = new Map<string, Row>();
    for (let i = 0; i < unique.length; i += SQL_PAGE_SIZE) {
      const chunk = unique.slice(i, i + SQL_PAGE_SIZE);
      const rows = await this.#rows('getMany', `SELECT ${META}, value FROM ${this.#t} WHERE \`k\` IN (?)`, [chunk]);
      for (const row of rows) found.set(keyText(row.k), row);
    }
    return paths.map((path) => this.#stored(found.get(path), path));
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      this.#checkKeyLength(path);
      return { path, value: e.value, meta: makeMeta(e.value, copyAttrs(e.attrs)) };
    });
    if (prepared.length === 0) return [];
    const created = new Map<string, number>();
    await this.#transaction('putMany', async (conn) => {
      for (const chunk of chunksByBytes(lastPerKey(prepared))) {
        const rows = chunk.map((r) => [
          r.path,
          r.meta.etag,
          r.meta.size,
          r.meta.checksum,
          r.meta.createdAt,
          r.meta.modifiedAt,
          JSON.stringify(r.meta.attrs),
          Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
        ]);
        const sql = `INSERT INTO ${this.#t} (\`k\`, etag, size, checksum, created_at, modified_at, attrs, value) VALUES ?
          ON DUPLICATE KEY UPDATE etag = VALUES(etag), size = VALUES(size), checksum = VALUES(checksum),
          modified_at = VALUES(modified_at), attrs = VALUES(attrs), value = VALUES(value)`;
        this.#echo(sql);
        await conn.query(sql, [rows]);
        const select = `SELECT \`k\`, created_at FROM ${this.#t} WHERE \`k\` IN (?)`;
        this.#echo(select);
        const [back] = await conn.query(select, [chunk.map((r) => r.path)]);
        for (const r of back as Row[]) created.set(keyText(r.k), Number(r.created_at));
      }
    });
    return prepared.map((p) => ({ ...p.meta, createdAt: created.get(p.path) ?? p.meta.createdAt }));
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = keys.map((k) => this.#path(k));
    if (paths.length === 0) return 0;
    const result = await this.#exec('deleteMany', `DELETE FROM ${this.#t} WHERE \`k\` IN (?)`, [[...new Set(paths)]]);
    return result.affectedRows;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    const result =
      upper === undefined
        ? await this.#exec('clear', `DELETE FROM ${this.#t}`, [])
        : await this.#exec('clear', `DELETE FROM ${this.#t} WHERE \`k\` >= ? AND \`k\` < ?`, [lower, upper]);
    return result.affectedRows;
  }

  async info(): Promise<BackendInfo> {
    this.prefix(undefined);
    const rows = (await this.#rows(
      'info',
      `SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM ${this.#t}`,
    )) as unknown as {
      n: number | string;
      bytes: number | string;
    }[];
    return {
      type: 'mysql',
      location: this.label,
      entries: Number(rows[0]?.n ?? 0),
      bytes: Number(rows[0]?.bytes ?? 0),
      capabilities: this.capabilities,
      details: { table: this.#options.table, poolSize: this.#options.poolSize ?? 5 },
    };
  }

  toConfig(): BackendConfig {
    return sqlServerConfig('mysql', this.#options);
  }

  /** Rebuilds the table to reclaim the space of deleted rows (`OPTIMIZE TABLE`). */
  async vacuum(): Promise<void> {
    this.prefix(undefined);
    await this.#rows('vacuum', `OPTIMIZE TABLE ${this.#t}`);
  }

  /** Drops the table and everything in it. */
  async drop(): Promise<void> {
    await this.#exec('drop', `DROP TABLE IF EXISTS ${this.#t}`, []);
  }

  protected async closeResources(): Promise<void> {
    await this.#pool.end();
  }

  #path(input: KeyInput): string {
    return this.key(input).path;
  }

  #checkKeyLength(path: string): void {
    if (Buffer.byteLength(path) > MYSQL_MAX_KEY_BYTES) {
      throw new OperationError(`Key is longer than the mysql backend's ${MYSQL_MAX_KEY_BYTES} UTF-8 bytes`, {
        key: path,
        backend: this.label,
      });
    }
  }

  #stored(row: Row | undefined, path: string): StoredValue | undefined {
    if (!row) return undefined;
    const meta = sqlRowMeta(row);
    const value = new Uint8Array(row.value as Buffer);
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  async #etagOf(path: string): Promise<string | undefined> {
    const rows = await this.#rows('stat', `SELECT etag FROM ${this.#t} WHERE \`k\` = ?`, [path], path);
    return rows[0]?.etag;
  }

  #echo(sql: string): void {
    echoStatement(this.#options.echo, this.label, sql);
  }

  async #rows(what: string, sql: string, params: unknown[] = [], key?: string): Promise<Row[]> {
    if (this.closed) this.key('x');
    this.#echo(sql);
    try {
      const [rows] = await this.#send(sql, params);
      return rows as Row[];
    } catch (error) {
      throw this.#error(error, what, key, false);
    }
  }

  async #exec(what: string, sql: string, params: unknown[], key?: string): Promise<MySql.ResultSetHeader> {
    if (this.closed) this.key('x');
    this.#echo(sql);
    try {
      const [result] = await this.#send(sql, params);
      return result as MySql.ResultSetHeader;
    } catch (error) {
      if (isDuplicate(error)) throw error;
      throw this.#error(error, what, key, true);
    }
  }

  // Prepared statements send values in binary (a 10 MB blob stays 10 MB on the wire);
  // `query` is kept for `IN (?)` lists, which it expands client-side.
  #send(sql: string, params: unknown[]) {
    return params.some(Array.isArray)
      ? this.#pool.query(sql, params)
      : this.#pool.execute(sql, params as MySql.ExecuteValues);
  }

  async #transaction(what: string, fn: (conn: MySql.PoolConnection) => Promise<void>): Promise<void> {
    let conn: MySql.PoolConnection | undefined;
    try {
      conn = await this.#pool.getConnection();
      await conn.beginTransaction();
      await fn(conn);
      await conn.commit();
    } catch (error) {
      await conn?.rollback().catch(() => undefined);
      throw this.#error(error, what, undefined, true);
    } finally {
      conn?.release();
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

// One multi-row statement must fit max_allowed_packet (16 MB by default), and query()
// sends blobs hex-escaped, so a chunk carries at most 4 MB of values.
const CHUNK_BYTES = 4 * 1024 * 1024;

function chunksByBytes<T extends { value: Uint8Array }>(rows: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (bytes + row.value.byteLength > CHUNK_BYTES || current.length >= SQL_PAGE_SIZE)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.value.byteLength;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function keyText(k: Buffer | string): string {
  return typeof k === 'string' ? k : k.toString('utf8');
}

function isDuplicate(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ER_DUP_ENTRY';
}

/** Parses `mysql://user:pass@host:3306/db?table=...&poolSize=...&connectTimeoutMs=...&echo=true&passwordEnv=VAR`. */
export function configFromUrl(url: string): BackendConfig {
  return sqlServerConfigFromUrl('mysql', url, 3306);
}

/** Opens a store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<MysqlBackend> {
  return MysqlBackend.open(sqlServerOptionsFromConfig(config));
}
