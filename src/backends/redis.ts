import type * as IORedis from 'ioredis';
import { matchesAttrs } from '../core/attr-filter.ts';
import type * as contract from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import { OperationError, StoreNotFoundError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { compareKeyPaths, isDirectChild, type KeyInput, prefixRange, splitPath } from '../core/keys.ts';
import { decodeUrlPart, parseUrl } from '../core/url.ts';
import { BusyHold } from './kit/busy-hold.ts';
import { classifyDriverError, type DriverErrorTable } from './kit/driver-errors.ts';
import { checkIdentifier } from './kit/identifiers.ts';
import { loadDriver } from './kit/load-driver.ts';
import { makeMeta, verifyValue } from './kit/meta.ts';
import { checkKnownParams, checkOptions, type OptionRules, optionsFromConfig } from './kit/options.ts';
import { intParam } from './kit/store-url.ts';

/** Options of {@link RedisBackend}. */
export interface RedisBackendOptions {
  /** Server host (default `127.0.0.1`). */
  host?: string | undefined;
  /** Server port (default 6379). */
  port?: number | undefined;
  /** Never stored in `toConfig()` or shown in errors; prefer `passwordEnv`. */
  password?: string | undefined;
  /** Name of an environment variable holding the password (kept in `toConfig()`). */
  passwordEnv?: string | undefined;
  /** ACL user name, for servers with users. */
  username?: string | undefined;
  /** Database number (default 0); one the server does not have is refused at open. */
  db?: number | undefined;
  /** Namespace of this store's Redis keys (default `stowage`); stores with different prefixes never meet. */
  prefix?: string | undefined;
  /** How long to wait for the connection, in ms (default 5000). */
  connectTimeoutMs?: number | undefined;
}

const OPTIONS: OptionRules = {
  host: 'string',
  port: 'port',
  password: 'string',
  passwordEnv: 'string',
  username: 'string',
  db: 'integer',
  prefix: 'string',
  connectTimeoutMs: 'positive milliseconds',
};
const URL_PARAMS = ['prefix', 'connectTimeoutMs', 'passwordEnv'];

const CAPABILITIES: contract.Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: false,
  atomicBatch: true,
  // Streamed values in 1 MiB chunks: with 4 MiB ones, ioredis's reply buffers held ~100 MB
  // while streaming 1 GiB, with 1 MiB ones ~45 MB (bench/streams.ts).
  chunkBytes: 1024 * 1024,
};

const PAGE = 500;
const META_FIELDS = ['e', 's', 'c', 'ct', 'mt', 'a'] as const;

// KEYS: entry hash, index zset, byte counter. ARGV: path, mode, ifMatch, etag, size,
// checksum, createdAt, modifiedAt, attrs, value. Returns {1, createdAt} or {0, current etag}.
const PUT_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'e', 'ct', 's')
if ARGV[2] == 'absent' and cur[1] then return {0, cur[1]} end
if ARGV[2] == 'match' and cur[1] ~= ARGV[3] then return {0, cur[1] or ''} end
local ct = cur[2] or ARGV[7]
if cur[3] then redis.call('DECRBY', KEYS[3], tonumber(cur[3])) end
redis.call('HSET', KEYS[1], 'v', ARGV[10], 'e', ARGV[4], 's', ARGV[5], 'c', ARGV[6], 'ct', ct, 'mt', ARGV[8], 'a', ARGV[9])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('INCRBY', KEYS[3], tonumber(ARGV[5]))
return {1, ct}`;

// A whole batch of unconditional puts in one script (Redis ran 1,000 single-put scripts
// in ~21 us each; one loop over the batch costs a fraction of that per entry). The batch
// comes as one msgpack array, not 8 arguments per put: ioredis writes every argument into
// its command buffer by a call of its own, which was a third of a 1,000-entry putMany.
// Entry keys are made from their prefix here, as CLEAR_SCRIPT does; the hash tag keeps
// them in the declared keys' cluster slot.
// KEYS: index zset, byte counter. ARGV[1]: entry key prefix. ARGV[2]: msgpack array of,
// per put, path, etag, size, checksum, createdAt, modifiedAt, attrs, value (all strings).
// Returns each put's createdAt.
const PUT_MANY_SCRIPT = `
local a = cmsgpack.unpack(ARGV[2])
local out = {}
local delta = 0
for i = 0, #a / 8 - 1 do
  local o = i * 8
  local key = ARGV[1] .. a[o + 1]
  local cur = redis.call('HMGET', key, 'ct', 's')
  local ct = cur[1] or a[o + 5]
  if cur[2] then delta = delta - tonumber(cur[2]) end
  redis.call('HSET', key, 'v', a[o + 8], 'e', a[o + 2], 's', a[o + 3], 'c', a[o + 4], 'ct', ct, 'mt', a[o + 6], 'a', a[o + 7])
  redis.call('ZADD', KEYS[1], 0, a[o + 1])
  delta = delta + tonumber(a[o + 3])
  out[i + 1] = ct
end
redis.call('INCRBY', KEYS[2], delta)
return out`;

// Most puts, and most value bytes, sent in one PUT_MANY_SCRIPT call (bigger batches are
// several calls in one MULTI, still applied all together).
const PUT_MANY_CHUNK = { rows: 1000, bytes: 16 * 1024 * 1024 };

// KEYS as above. ARGV: path, conditional ('1'/'0'), ifMatch. Returns {1, deleted} or {0, current etag}.
// The last entry gone takes the byte counter with it, so an emptied store leaves no key behind.
const DELETE_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'e', 's')
if ARGV[2] == '1' and cur[1] ~= ARGV[3] then return {0, cur[1] or ''} end
if not cur[1] then return {1, 0} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DECRBY', KEYS[3], tonumber(cur[2]))
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[3]) end
return {1, 1}`;

// KEYS: index zset, byte counter. ARGV: min, max, batch, entry key prefix. Deletes up to
// one batch of keys in the lex range and returns how many; callers loop until 0.
const CLEAR_SCRIPT = `
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local freed = 0
for _, m in ipairs(members) do
  local s = redis.call('HGET', ARGV[4] .. m, 's')
  if s then freed = freed + tonumber(s) end
  redis.call('DEL', ARGV[4] .. m)
  redis.call('ZREM', KEYS[1], m)
end
if freed > 0 then redis.call('DECRBY', KEYS[2], freed) end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
return #members`;

type ScriptResult = [number, string | number];

interface ScriptClient {
  stowagePut(entry: string, index: string, bytes: string, ...args: (string | number | Buffer)[]): Promise<ScriptResult>;
  stowageDelete(entry: string, index: string, bytes: string, ...args: string[]): Promise<ScriptResult>;
  stowagePutMany(index: string, bytes: string, entryPrefix: string, batch: Buffer): Promise<string[]>;
  stowageClear(index: string, bytes: string, ...args: (string | number)[]): Promise<number>;
}

type Client = IORedis.Redis & ScriptClient;

/** An entry's metadata and value as the put scripts take them, in the order they read them. */
function entryFields(meta: contract.Meta, value: Uint8Array) {
  return [
    meta.etag,
    meta.size,
    meta.checksum,
    meta.createdAt,
    meta.modifiedAt,
    JSON.stringify(meta.attrs),
    Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  ] as const;
}

// A msgpack array of raw strings (str 32: 0xdb, length, bytes) for the batch script. Redis's
// cmsgpack predates msgpack's bin type, so values go as str too, which carries any bytes
// into a Lua string unchanged. Numbers go as their decimal text, as ioredis sends them to
// the single-put script. Short ASCII text is copied by hand: one native call per field
// (Buffer.from, buf.write) cost more than the rest of packing.
function packBatch(fields: readonly (string | number | Buffer)[]): Buffer {
  const items = fields.map((field) => (typeof field === 'number' ? String(field) : field));
  let size = 5;
  for (const item of items) size += 5 + (typeof item === 'string' ? byteLengthOf(item) : item.length);
  const out = Buffer.allocUnsafe(size);
  out[0] = 0xdd;
  out.writeUInt32BE(items.length, 1);
  let at = 5;
  for (const item of items) {
    const length = typeof item === 'string' ? byteLengthOf(item) : item.length;
    out[at] = 0xdb;
    out.writeUInt32BE(length, at + 1);
    if (typeof item !== 'string') out.set(item, at + 5);
    else if (length === item.length) for (let i = 0; i < length; i++) out[at + 5 + i] = item.charCodeAt(i);
    else out.write(item, at + 5, length, 'utf8');
    at += 5 + length;
  }
  return out;
}

// UTF-8 length; the same as .length exactly when the text is ASCII.
function byteLengthOf(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

function fieldsMeta(fields: (string | Buffer | null)[]): contract.Meta | undefined {
  const [e, s, c, ct, mt, a] = fields.map((f) => (f === null ? null : f.toString()));
  if (e === null || e === undefined) return undefined;
  return {
    etag: e,
    size: Number(s),
    checksum: Number(c),
    createdAt: Number(ct),
    modifiedAt: Number(mt),
    attrs: JSON.parse(a ?? '{}') as JsonObject,
  };
}

/**
 * Redis through ioredis. Each entry is a hash (value and metadata); a sorted set of all
 * keys at score 0 is the ordered index, so `list` is a `ZRANGEBYLEX` range (O(log n + page)).
 * Writes are Lua scripts, so conditions, value, index and byte count change atomically.
 * `where` is evaluated in JavaScript on the listed page.
 *
 * @example
 * ```ts
 * const store = await RedisBackend.open({ host: '127.0.0.1', prefix: 'results' });
 * ```
 */
export class RedisBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #client: Client;
  readonly #options: RedisBackendOptions & { host: string; port: number; prefix: string };
  readonly #password: string | undefined;
  readonly #entryPrefix: string;
  readonly #index: string;
  readonly #bytes: string;
  // The socket is unref'd, so a script that never closes the store can exit; this keeps
  // the process alive while a command waits for its answer.
  readonly #hold = new BusyHold();

  private constructor(
    client: Client,
    options: RedisBackendOptions & { host: string; port: number; prefix: string },
    password: string | undefined,
  ) {
    super();
    this.#client = client;
    this.#options = options;
    this.#password = password;
    // The hash tag keeps one store's keys in one cluster slot, as its scripts need.
    const tag = `{${options.prefix}}`;
    this.#entryPrefix = `${tag}:e:`;
    this.#index = `${tag}:index`;
    this.#bytes = `${tag}:bytes`;
    this.label = `redis://${options.host}:${options.port}/${options.db ?? 0}?prefix=${options.prefix}`;
  }

  /**
   * Connects; fails with `ConnectionError` when the server cannot be reached, and with
   * `OperationError` for a database number the server does not have. With
   * `{ create: false }` the store must hold an entry already (`StoreNotFoundError`): an
   * emptied Redis store leaves no key behind, so there is nothing else to find.
   */
  static async open(options: RedisBackendOptions, openOptions: contract.OpenOptions = {}): Promise<RedisBackend> {
    checkOptions(options, OPTIONS, 'redis');
    const prefix = checkIdentifier(options.prefix ?? 'stowage', 'prefix', 'redis');
    const db = checkDatabaseNumber(options.db ?? 0);
    const full = { ...options, prefix, host: options.host ?? '127.0.0.1', port: options.port ?? 6379 };
    const password = options.password ?? (options.passwordEnv ? process.env[options.passwordEnv] : undefined);
    const driver = await loadDriver<{ default: typeof IORedis.Redis }>('ioredis', 'redis');
    const client = new driver.default({
      host: full.host,
      port: full.port,
      username: full.username,
      password,
      db,
      lazyConnect: true,
      connectTimeout: full.connectTimeoutMs ?? 5000,
      // Fail fast while disconnected (ConnectionError) instead of queueing forever; keep
      // reconnecting in the background so the store works again once the server is back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    }) as Client;
    client.on('error', () => undefined);
    client.on('connect', () => (client as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
    client.defineCommand('stowagePut', { numberOfKeys: 3, lua: PUT_SCRIPT });
    client.defineCommand('stowageDelete', { numberOfKeys: 3, lua: DELETE_SCRIPT });
    client.defineCommand('stowagePutMany', { numberOfKeys: 2, lua: PUT_MANY_SCRIPT });
    client.defineCommand('stowageClear', { numberOfKeys: 2, lua: CLEAR_SCRIPT });
    const backend = new RedisBackend(client, full, password);
    try {
      await backend.#hold.around(async () => {
        await client.connect();
        await backend.#checkOpened(db, openOptions.create ?? true);
      });
    } catch (error) {
      client.disconnect();
      throw backend.#error(error, 'open', undefined, false);
    }
    return backend;
  }

  // ioredis selects the database after connecting and only emits an error when the
  // server refuses it, then carries on in database 0; so it is selected again here, where
  // a refusal can be seen.
  async #checkOpened(db: number, create: boolean): Promise<void> {
    if (db !== 0) {
      try {
        await this.#client.select(db);
      } catch (error) {
        if (!/DB index is out of range|invalid DB index/i.test(String((error as Error)?.message))) throw error;
        const databases = await this.#client.config('GET', 'databases').catch(() => undefined);
        const count = Array.isArray(databases) ? Number(databases[1]) : undefined;
        throw new OperationError(
          `This Redis server has no database ${db}${count ? ` (it has ${count}: 0 to ${count - 1})` : ''}`,
          { backend: this.label },
        );
      }
    }
    if (!create && (await this.#client.exists(this.#index)) === 0) {
      throw new StoreNotFoundError(
        `No entries under the prefix '${this.#options.prefix}' in database ${db}, and create is false (it opens existing stores only)`,
        { backend: this.label },
      );
    }
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    const fields = await this.#call('get', path, false, () =>
      this.#client.hmgetBuffer(this.#entry(path), 'v', ...META_FIELDS),
    );
    return this.#stored(fields, path);
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    return fieldsMeta(
      await this.#call('stat', path, false, () => this.#client.hmget(this.#entry(path), ...META_FIELDS)),
    );
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    const meta = makeMeta(value, copyAttrs(options.attrs));
    const mode = options.ifAbsent ? 'absent' : options.ifMatch !== undefined ? 'match' : 'any';
    const [ok, detail] = await this.#call('put', path, true, () =>
      this.#client.stowagePut(...this.#putArgs(path, meta, value, mode, options.ifMatch ?? '')),
    );
    if (ok !== 1) throw this.conditionFailed(path, detail === '' ? undefined : String(detail), options);
    return { ...meta, createdAt: Number(detail) };
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const conditional = options.ifMatch !== undefined;
    const [ok, detail] = await this.#call('delete', path, true, () =>
      this.#client.stowageDelete(
        this.#entry(path),
        this.#index,
        this.#bytes,
        path,
        conditional ? '1' : '0',
        options.ifMatch ?? '',
      ),
    );
    if (ok !== 1) throw this.conditionFailed(path, detail === '' ? undefined : String(detail), options);
    return detail === 1;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const { lower, upper } = plan.range;
    const max = upper === undefined ? '+' : `(${upper}`;
    let min =
      plan.after !== undefined && compareKeyPaths(plan.after, lower) >= 0
        ? `(${plan.after}`
        : lower === ''
          ? '-'
          : `[${lower}`;
    let emitted = 0;
    while (emitted < plan.limit) {
      const paths = await this.#call('list', undefined, false, () =>
        this.#client.zrangebylex(this.#index, min, max, 'LIMIT', 0, PAGE),
      );
      const wanted = plan.recursive ? paths : paths.filter((p) => isDirectChild(p, plan.prefix.path));
      const pipeline = this.#client.pipeline();
      for (const p of wanted) pipeline.hmget(this.#entry(p), ...META_FIELDS);
      const results = wanted.length ? await this.#call('list', undefined, false, () => pipeline.exec()) : [];
      for (const [i, p] of wanted.entries()) {
        const meta = fieldsMeta((results?.[i]?.[1] as (string | null)[]) ?? []);
        // A key deleted between the range read and the metadata read is skipped.
        if (!meta || !matchesAttrs(meta.attrs, plan.where)) continue;
        yield { key: splitPath(p), meta };
        if (++emitted >= plan.limit) return;
      }
      if (paths.length < PAGE) return;
      min = `(${paths[paths.length - 1]}`;
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    if (paths.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const p of paths) pipeline.hmgetBuffer(this.#entry(p), 'v', ...META_FIELDS);
    const results = await this.#call('getMany', undefined, false, () => pipeline.exec());
    return paths.map((p, i) => {
      const [error, fields] = results?.[i] ?? [];
      if (error) throw this.#error(error, 'getMany', p, false);
      return this.#stored(fields as (Buffer | null)[], p);
    });
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      return { path, value: e.value, meta: makeMeta(e.value, copyAttrs(e.attrs)) };
    });
    if (prepared.length === 0) return [];
    // MULTI/EXEC of one script per chunk: one round trip, applied all together.
    const multi = this.#client.multi() as unknown as ScriptClient & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    const chunks: (typeof prepared)[] = [];
    let bytes = 0;
    for (const p of prepared) {
      const last = chunks[chunks.length - 1];
      if (!last || last.length >= PUT_MANY_CHUNK.rows || bytes + p.value.byteLength > PUT_MANY_CHUNK.bytes) {
        chunks.push([p]);
        bytes = p.value.byteLength;
      } else {
        last.push(p);
        bytes += p.value.byteLength;
      }
    }
    for (const chunk of chunks) {
      const fields = chunk.flatMap(({ path, meta, value }) => [path, ...entryFields(meta, value)]);
      void multi.stowagePutMany(this.#index, this.#bytes, this.#entryPrefix, packBatch(fields));
    }
    const results = await this.#call('putMany', undefined, true, () => multi.exec());
    const metas: contract.Meta[] = [];
    for (const [c, chunk] of chunks.entries()) {
      const [error, created] = results?.[c] ?? [];
      if (error) throw this.#error(error, 'putMany', chunk[0]?.path, true);
      for (const [i, p] of chunk.entries()) {
        metas.push({ ...p.meta, createdAt: Number((created as string[])[i]) });
      }
    }
    return metas;
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = [...new Set(keys.map((k) => this.key(k).path))];
    if (paths.length === 0) return 0;
    const multi = this.#client.multi() as unknown as ScriptClient & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const p of paths) void multi.stowageDelete(this.#entry(p), this.#index, this.#bytes, p, '0', '');
    const results = await this.#call('deleteMany', undefined, true, () => multi.exec());
    return (results ?? []).filter(([, r]) => (r as ScriptResult)[1] === 1).length;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    const min = lower === '' ? '-' : `[${lower}`;
    const max = upper === undefined ? '+' : `(${upper}`;
    let total = 0;
    for (;;) {
      // Batches keep each script short, so Redis never blocks long on a big clear.
      const n = await this.#call('clear', undefined, true, () =>
        this.#client.stowageClear(this.#index, this.#bytes, min, max, 1000, this.#entryPrefix),
      );
      total += n;
      if (n < 1000) return total;
    }
  }

  async info(): Promise<contract.BackendInfo> {
    this.prefix(undefined);
    const [entries, bytes] = await this.#call('info', undefined, false, () =>
      Promise.all([this.#client.zcard(this.#index), this.#client.get(this.#bytes)]),
    );
    return {
      type: 'redis',
      location: this.label,
      entries,
      bytes: Number(bytes ?? 0),
      capabilities: this.capabilities,
      details: { prefix: this.#options.prefix, db: this.#options.db ?? 0 },
    };
  }

  toConfig(): contract.BackendConfig {
    const o = this.#options;
    return {
      type: 'redis',
      host: o.host,
      port: o.port,
      username: o.username,
      db: o.db,
      prefix: o.prefix,
      connectTimeoutMs: o.connectTimeoutMs,
      passwordEnv: o.passwordEnv,
    };
  }

  /** Removes every key of this store, including its index and counters. */
  async drop(): Promise<void> {
    await this.clear();
    await this.#call('drop', undefined, true, () => this.#client.del(this.#index, this.#bytes));
  }

  protected async closeResources(): Promise<void> {
    await this.#hold.around(() => this.#client.quit()).catch(() => this.#client.disconnect());
  }

  #entry(path: string): string {
    return this.#entryPrefix + path;
  }

  #putArgs(path: string, meta: contract.Meta, value: Uint8Array, mode: string, ifMatch: string) {
    return [this.#entry(path), this.#index, this.#bytes, path, mode, ifMatch, ...entryFields(meta, value)] as const;
  }

  #stored(fields: (Buffer | null)[] | undefined, path: string): contract.StoredValue | undefined {
    if (!fields) return undefined;
    const meta = fieldsMeta(fields.slice(1));
    if (!meta) return undefined;
    const value = new Uint8Array(fields[0] ?? Buffer.alloc(0));
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  async #call<T>(what: string, key: string | undefined, write: boolean, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await this.#hold.around(fn);
    } catch (error) {
      throw this.#error(error, what, key, write);
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
      table: REDIS_ERRORS,
    });
  }
}

/**
 * ioredis reports a lost server in messages only. "max retries per request" means a
 * command queued on a connection that then broke: it may have reached the server, so it
 * is not a not-sent message.
 *
 * @internal Exported for the driver-error tests.
 */
export const REDIS_ERRORS: DriverErrorTable = {
  connectionMessages:
    /connection (closed|refused|lost|is closed)|not writeable|isn't writeable|enableOfflineQueue|Connection is closed|max retries per request/i,
  notSentMessages: /not writeable|isn't writeable|enableOfflineQueue|Connection is closed/i,
};

/**
 * Parses `redis://[user:pass@]host:port/db?prefix=...&connectTimeoutMs=...&passwordEnv=VAR`;
 * a database that is not a number, and unknown parameters, are refused before connecting.
 */
export function configFromUrl(url: string): contract.BackendConfig {
  const u = parseUrl(url);
  const params = u.searchParams;
  checkKnownParams(params, URL_PARAMS, 'redis');
  const db = decodeUrlPart(u.pathname.replace(/^\//, ''), url);
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new OperationError(
      `The path of a redis URL is the database number (redis://host:6379/0), got '${db}'; use ?prefix=${/^\w+$/.test(db) ? db : 'name'} to keep stores apart`,
      { backend: 'redis' },
    );
  }
  return {
    type: 'redis',
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeUrlPart(u.username, url) : undefined,
    db: db === '' ? undefined : checkDatabaseNumber(Number(db)),
    prefix: params.get('prefix') ?? undefined,
    connectTimeoutMs: intParam(params, 'connectTimeoutMs', 'redis'),
    passwordEnv: params.get('passwordEnv') ?? undefined,
    // Kept out of toConfig(); only used to open this one connection.
    password: u.password ? decodeUrlPart(u.password, url) : undefined,
  };
}

function checkDatabaseNumber(db: unknown): number {
  if (typeof db !== 'number' || !Number.isSafeInteger(db) || db < 0) {
    throw new OperationError(`A Redis database number is an integer from 0, got ${JSON.stringify(db)}`, {
      backend: 'redis',
    });
  }
  return db;
}

/** Opens a Redis store from its config. */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<RedisBackend> {
  return RedisBackend.open(optionsFromConfig<RedisBackendOptions>(config), options);
}
