import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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
import { ConnectionError, StorageError } from '../core/errors.ts';
import { checkIdentifier } from '../core/identifiers.ts';
import { type KeyInput, prefixRange, splitPath } from '../core/keys.ts';
import { makeMeta, verifyValue } from '../core/meta.ts';
import { intParam, parseLocalUrl } from '../core/url.ts';

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** Table holding the entries (default `stowage`); lets several stores share one file. */
  table?: string | undefined;
  /** How long a writer waits for another process's lock, in ms (default 10000). */
  busyTimeoutMs?: number | undefined;
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface Row {
  key: string;
  etag: string;
  size: number;
  checksum: number;
  created_at: number;
  modified_at: number;
  attrs: string;
  value?: Uint8Array;
}

const CAPABILITIES: Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: true,
  atomicBatch: true,
};

// Rows are read in pages so a long listing never holds a statement open across awaits.
const PAGE = 500;
const META_COLUMNS = 'key, etag, size, checksum, created_at, modified_at, attrs';

function rowMeta(row: Row): Meta {
  return {
    etag: row.etag,
    size: row.size,
    checksum: row.checksum,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    // Most entries have no attrs: skip the parse for the common '{}'.
    attrs: row.attrs === '{}' ? {} : JSON.parse(row.attrs),
  };
}

/**
 * The embedded default: one SQLite table (key, metadata, value BLOB) in WAL mode
 * through better-sqlite3. Conditional writes are single statements checked by row
 * count, so they are atomic across processes; `list` is a range scan on the primary key.
 *
 * @example
 * ```ts
 * const store = await SqliteBackend.open({ path: './.stowage/store.sqlite' });
 * await store.put('runs/1', new TextEncoder().encode('{"x":1}'));
 * ```
 */
export class SqliteBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #db: Database;
  readonly #options: Required<SqliteBackendOptions>;
  readonly #q: ReturnType<typeof prepareStatements>;

  private constructor(db: Database, options: Required<SqliteBackendOptions>) {
    super();
    this.#db = db;
    this.#options = options;
    this.label = `sqlite:${options.path}${options.table === 'stowage' ? '' : `?table=${options.table}`}`;
    this.#q = prepareStatements(db, options.table);
  }

  /** Opens (and creates if needed) a SQLite store. */
  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    const table = checkIdentifier(options.table ?? 'stowage', 'table name', 'sqlite');
    const path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    const full = { path, table, busyTimeoutMs: options.busyTimeoutMs ?? 10_000 };
    const driver = await loadDriver<{ default: typeof BetterSqlite3 }>('better-sqlite3', 'sqlite');
    let db: Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new driver.default(path, { timeout: full.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (
        key TEXT PRIMARY KEY NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        checksum INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        attrs TEXT NOT NULL,
        value BLOB NOT NULL
      )`);
    } catch (error) {
      throw new ConnectionError(`Cannot open SQLite database: ${(error as Error).message}`, {
        backend: `sqlite:${path}`,
        cause: error,
      });
    }
    return new SqliteBackend(db, full);
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const { path } = this.key(input);
    const row = this.#run(() => this.#q.get.get(path) as Row | undefined, 'get', path);
    if (!row) return undefined;
    const meta = rowMeta(row);
    const value = row.value as Uint8Array;
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const { path } = this.key(input);
    const row = this.#run(() => this.#q.stat.get(path) as Row | undefined, 'stat', path);
    return row ? rowMeta(row) : undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    const attrs = copyAttrs(options.attrs);
    return this.#run(() => this.#putOne(path, value, attrs, options), 'put', path);
  }

  #putOne(path: string, value: Uint8Array, attrs: Meta['attrs'], options: PutOptions): Meta {
    const meta = makeMeta(value, attrs);
    const params = {
      key: path,
      etag: meta.etag,
      size: meta.size,
      checksum: meta.checksum,
      created_at: meta.createdAt,
      modified_at: meta.modifiedAt,
      attrs: JSON.stringify(attrs),
      value,
    };
    if (options.ifAbsent) {
      if (this.#q.insert.run(params).changes === 0) throw this.conditionFailed(path, this.#etagOf(path), options);
      return meta;
    }
    if (options.ifMatch !== undefined) {
      const row = this.#q.updateIfMatch.get({ ...params, if_match: options.ifMatch }) as
        | { created_at: number }
        | undefined;
      if (!row) throw this.conditionFailed(path, this.#etagOf(path), options);
      return { ...meta, createdAt: row.created_at };
    }
    const row = this.#q.upsert.get(params) as { created_at: number };
    return { ...meta, createdAt: row.created_at };
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    return this.#run(
      () => {
        if (options.ifMatch === undefined) return this.#q.delete.run(path).changes > 0;
        if (this.#q.deleteIfMatch.run(path, options.ifMatch).changes > 0) return true;
        throw this.conditionFailed(path, this.#etagOf(path), options);
      },
      'delete',
      path,
    );
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const { lower, upper } = prefixRange(plan.prefix.path);
    const conditions = ['key >= ?', 'key > ?'];
    const baseParams: unknown[] = [];
    if (upper !== undefined) {
      conditions.push('key < ?');
      baseParams.push(upper);
    }
    if (!plan.recursive) {
      // substr counts characters, not UTF-16 units.
      conditions.push("instr(substr(key, ?), '/') = 0");
      baseParams.push(plan.prefix.path === '' ? 1 : [...plan.prefix.path].length + 2);
    }
    const filter = attrFilterSql(plan.where);
    conditions.push(...filter.conditions);
    baseParams.push(...filter.params);
    const sql = `SELECT ${META_COLUMNS} FROM "${this.#options.table}" WHERE ${conditions.join(' AND ')} ORDER BY key LIMIT ?`;
    const statement = this.#run(() => this.#db.prepare(sql), 'list');
    // The cursor is exclusive: '' is below every key, then the last key of the previous page.
    let cursor = plan.after ?? '';
    let remaining = plan.limit;
    while (remaining > 0) {
      const take = Math.min(PAGE, remaining);
      const rows = this.#run(() => statement.all(lower, cursor, ...baseParams, take) as Row[], 'list');
      for (const row of rows) yield { key: splitPath(row.key), meta: rowMeta(row) };
      remaining -= rows.length;
      if (rows.length < take) return;
      cursor = (rows[rows.length - 1] as Row).key;
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    const found = new Map<string, Row>();
    this.#run(() => {
      for (let i = 0; i < paths.length; i += PAGE) {
        const chunk = paths.slice(i, i + PAGE);
        const sql = `SELECT ${META_COLUMNS}, value FROM "${this.#options.table}" WHERE key IN (${chunk.map(() => '?').join(',')})`;
        for (const row of this.#db.prepare(sql).all(...chunk) as Row[]) found.set(row.key, row);
      }
    }, 'getMany');
    return paths.map((path) => {
      const row = found.get(path);
      if (!row) return undefined;
      const meta = rowMeta(row);
      verifyValue(row.value as Uint8Array, meta, path, this.label);
      return { value: row.value as Uint8Array, meta };
    });
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const checked = entries.map((e) => ({ path: this.checkPut(e.key, e.value, { attrs: e.attrs }).path, e }));
    return this.#run(
      () =>
        this.#db.transaction(() => checked.map(({ path, e }) => this.#putOne(path, e.value, copyAttrs(e.attrs), {})))(),
      'putMany',
    );
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = keys.map((k) => this.key(k).path);
    return this.#run(
      () => this.#db.transaction(() => paths.reduce((n, p) => n + this.#q.delete.run(p).changes, 0))(),
      'deleteMany',
    );
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput).path;
    const { lower, upper } = prefixRange(prefix);
    return this.#run(() => {
      if (upper === undefined) return this.#db.prepare(`DELETE FROM "${this.#options.table}"`).run().changes;
      return this.#q.clearRange.run(lower, upper).changes;
    }, 'clear');
  }

  async info(): Promise<BackendInfo> {
    this.prefix(undefined);
    const row = this.#run(() => this.#q.count.get() as { n: number; bytes: number }, 'info');
    return {
      type: 'sqlite',
      location: this.#options.path,
      entries: row.n,
      bytes: row.bytes,
      capabilities: this.capabilities,
      details: { table: this.#options.table, journalMode: 'wal' },
    };
  }

  toConfig(): BackendConfig {
    return { type: 'sqlite', path: this.#options.path, table: this.#options.table };
  }

  /** Rebuilds the database file to reclaim the space of deleted entries. */
  async vacuum(): Promise<void> {
    this.prefix(undefined);
    this.#run(() => this.#db.exec('VACUUM'), 'vacuum');
  }

  /** Same as {@link vacuum}; the name layers use for "reclaim space" on any backend. */
  async compact(): Promise<{ removed: number }> {
    await this.vacuum();
    return { removed: 0 };
  }

  protected async closeResources(): Promise<void> {
    this.#db.close();
  }

  #etagOf(path: string): string | undefined {
    return (this.#q.etag.get(path) as { etag: string } | undefined)?.etag;
  }

  #run<T>(fn: () => T, what: string, key?: string): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_IOERR')) {
        throw new ConnectionError(`${what} failed: ${(error as Error).message}`, {
          key,
          backend: this.label,
          cause: error,
        });
      }
      throw this.wrap(error, what, key);
    }
  }
}

function attrFilterSql(where: AttrFilter | undefined): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [name, value] of Object.entries(where ?? {})) {
    const path = `$."${name.replaceAll('"', '""')}"`;
    if (value === null) {
      conditions.push("json_type(attrs, ?) = 'null'");
      params.push(path);
    } else if (typeof value === 'boolean') {
      conditions.push('json_type(attrs, ?) = ?');
      params.push(path, value ? 'true' : 'false');
    } else if (typeof value === 'number') {
      conditions.push("json_type(attrs, ?) IN ('integer', 'real') AND json_extract(attrs, ?) = ?");
      params.push(path, path, value);
    } else {
      conditions.push("json_type(attrs, ?) = 'text' AND json_extract(attrs, ?) = ?");
      params.push(path, path, value);
    }
  }
  return { conditions, params };
}

function prepareStatements(db: Database, table: string) {
  const t = `"${table}"`;
  const cols = 'key, etag, size, checksum, created_at, modified_at, attrs, value';
  const values = '@key, @etag, @size, @checksum, @created_at, @modified_at, @attrs, @value';
  const prepare = (sql: string): Statement => db.prepare(sql);
  return {
    get: prepare(`SELECT ${META_COLUMNS}, value FROM ${t} WHERE key = ?`),
    stat: prepare(`SELECT ${META_COLUMNS} FROM ${t} WHERE key = ?`),
    etag: prepare(`SELECT etag FROM ${t} WHERE key = ?`),
    insert: prepare(`INSERT INTO ${t} (${cols}) VALUES (${values}) ON CONFLICT(key) DO NOTHING`),
    upsert: prepare(
      `INSERT INTO ${t} (${cols}) VALUES (${values})
       ON CONFLICT(key) DO UPDATE SET etag = excluded.etag, size = excluded.size, checksum = excluded.checksum,
         modified_at = excluded.modified_at, attrs = excluded.attrs, value = excluded.value
       RETURNING created_at`,
    ),
    updateIfMatch: prepare(
      `UPDATE ${t} SET etag = @etag, size = @size, checksum = @checksum, modified_at = @modified_at, attrs = @attrs,
         value = @value WHERE key = @key AND etag = @if_match RETURNING created_at`,
    ),
    delete: prepare(`DELETE FROM ${t} WHERE key = ?`),
    deleteIfMatch: prepare(`DELETE FROM ${t} WHERE key = ? AND etag = ?`),
    clearRange: prepare(`DELETE FROM ${t} WHERE key >= ? AND key < ?`),
    count: prepare(`SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM ${t}`),
  };
}

/** Parses `sqlite:///abs/path.sqlite`, `sqlite:./rel.sqlite` or `sqlite::memory:`, with `?table=`. */
export function configFromUrl(url: string): BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new ConnectionError(`A sqlite URL needs a path: ${url}`);
  return {
    type: 'sqlite',
    path: path === ':memory:' ? ':memory:' : resolve(path),
    table: params.get('table') ?? undefined,
    busyTimeoutMs: intParam(params, 'busyTimeoutMs'),
  };
}

/** Opens a SQLite store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<SqliteBackend> {
  return SqliteBackend.open({
    path: String(config.path),
    table: config.table as string | undefined,
    busyTimeoutMs: config.busyTimeoutMs as number | undefined,
  });
}
