import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as Lmdb from 'lmdb';
import { matchesAttrs } from '../core/attr-filter.ts';
import type * as contract from '../core/backend.ts';
import { BaseBackend, copyAttrs, type ListPlan } from '../core/backend-base.ts';
import {
  CapacityError,
  ConnectionError,
  CorruptValueError,
  OperationError,
  StorageError,
  StoreNotFoundError,
} from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { compareKeyPaths, isDirectChild, type Key, type KeyInput, prefixRange, splitPath } from '../core/keys.ts';
import { loadDriver } from './kit/load-driver.ts';
import { checksumOf, makeMeta } from './kit/meta.ts';
import { checkKnownParams, checkOptions, optionsFromConfig, requireString } from './kit/options.ts';
import { parseLocalUrl } from './kit/store-url.ts';
import { checkLmdbFile } from './lmdb-file-check.ts';
import { decodeRecordMeta, encodeRecord, recordEtagAndCreated, setRecordCreatedAt } from './lmdb-record.ts';

/** Options of {@link LmdbBackend}. */
export interface LmdbBackendOptions {
  /** Directory of the LMDB environment; created if missing. */
  path: string;
}

/** LMDB's largest key, in bytes. */
export const LMDB_MAX_KEY_BYTES = 1978;

const CAPABILITIES: contract.Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: false,
  atomicBatch: true,
  maxKeyBytes: LMDB_MAX_KEY_BYTES,
};

const PAGE = 500;

type Condition = { ok: true; createdAt: number } | { ok: false; etag: string | undefined };

// The layout before 0.2: metadata (JSON) and values in two named databases, read with
// two lookups per get. Stores in it are moved to `records` when first opened.
const LEGACY_META = 'meta';
const LEGACY_VALUES = 'values';

/**
 * LMDB through lmdb-js: a memory-mapped B+tree, shared safely between processes.
 * Each entry is one record (a binary metadata header, then the value; see
 * `lmdb-record.ts`) in the named database `records`, so a get is one lookup, and a
 * check-then-write runs inside the single LMDB write transaction (atomic across
 * processes).
 *
 * @example
 * ```ts
 * const store = await LmdbBackend.open({ path: './.stowage/lmdb' });
 * ```
 */
export class LmdbBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #env: Lmdb.RootDatabase;
  readonly #records: Lmdb.Database<Buffer, string>;
  readonly #path: string;

  private constructor(env: Lmdb.RootDatabase, path: string) {
    super();
    this.#env = env;
    this.#path = path;
    this.#records = env.openDB<Buffer, string>({ name: 'records', encoding: 'binary' });
    this.label = `lmdb:${path}`;
  }

  /**
   * Moves the entries of a store written in the two-database layout into `records`, in
   * one write transaction (so another process opening it meanwhile sees either layout
   * whole, and a second migration finds nothing left to move).
   */
  async #migrateLegacyLayout(): Promise<void> {
    const names = this.#env.getKeys({ start: LEGACY_META, end: `${LEGACY_META}\0` });
    if (!Array.from(names).includes(LEGACY_META)) return;
    const meta = this.#env.openDB<contract.Meta, string>({ name: LEGACY_META, encoding: 'json' });
    const values = this.#env.openDB<Buffer, string>({ name: LEGACY_VALUES, encoding: 'binary' });
    if (Array.from(meta.getKeys({ limit: 1 })).length === 0) return;
    await this.#write('open', undefined, () => {
      for (const { key, value } of meta.getRange()) {
        const bytes = values.getBinary(key);
        // Moved as they are: a value that no longer matches its checksum still fails on read.
        if (bytes) this.#records.put(key, encodeRecord(value, bytes));
        meta.remove(key);
        values.remove(key);
      }
    });
  }

  /**
   * Opens the environment at `options.path`, creating it if needed; with
   * `{ create: false }` it must exist already (`StoreNotFoundError`).
   */
  static async open(options: LmdbBackendOptions, openOptions: contract.OpenOptions = {}): Promise<LmdbBackend> {
    checkOptions(options, { path: 'string' }, 'lmdb');
    // Always a folder: lmdb-js would take a path with an extension (cache.lmdb) for a file.
    const path = resolve(requireString(options.path, 'path', 'lmdb'));
    if (openOptions.create === false && !existsSync(join(path, 'data.mdb'))) {
      throw new StoreNotFoundError(
        `There is no LMDB environment (data.mdb) in ${path}, and create is false (it opens existing stores only)`,
        { backend: `lmdb:${path}` },
      );
    }
    const lmdb = await loadDriver<typeof Lmdb>('lmdb', 'lmdb');
    if (existsSync(join(path, 'data.mdb'))) checkLmdbFile(join(path, 'data.mdb'), `lmdb:${path}`);
    try {
      mkdirSync(path, { recursive: true });
      // overlappingSync (lmdb-js's default on Linux) lost conditional writes between processes:
      // in 8 processes x 500 ETag-guarded increments, two processes each committed the same
      // increment in about one run of fifteen, and once every process failed with MDB_BAD_TXN.
      // Without it, commits sync before they resolve, and no run lost an update.
      const backend = new LmdbBackend(lmdb.open({ path, maxDbs: 4, overlappingSync: false, noSubdir: false }), path);
      await backend.#migrateLegacyLayout();
      return backend;
    } catch (error) {
      throw new ConnectionError(`Cannot open LMDB environment: ${(error as Error).message}`, {
        backend: `lmdb:${path}`,
        cause: error,
      });
    }
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    return this.#reading('get', path, () => this.#read(path));
  }

  // getBinary, not getBinaryFast: the fast form can hand back lmdb-js's shared buffer,
  // longer than the record (its size only in db.lastSize), which on Node 24 read as a
  // value with trailing bytes and failed its checksum after a crash test.
  #read(path: string): contract.StoredValue | undefined {
    const record = this.#records.getBinary(path);
    if (!record) return undefined;
    const { meta, valueStart } = this.#decode(record, path);
    const value = new Uint8Array(record.subarray(valueStart));
    if (checksumOf(value) !== meta.checksum) {
      throw new CorruptValueError('Stored bytes do not match their checksum', { key: path, backend: this.label });
    }
    return { value, meta };
  }

  #decode(record: Buffer, path: string): { meta: contract.Meta; valueStart: number } {
    const decoded = decodeRecordMeta(record);
    if (!decoded) throw new CorruptValueError('Stored record header is damaged', { key: path, backend: this.label });
    return decoded;
  }

  // The ETag and createdAt of the current record, read inside a write transaction.
  #current(path: string): { etag: string; createdAt: number } | undefined {
    const record = this.#records.getBinary(path);
    if (!record) return undefined;
    const current = recordEtagAndCreated(record);
    if (!current) throw new CorruptValueError('Stored record header is damaged', { key: path, backend: this.label });
    return current;
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    return this.#reading('stat', path, () => {
      const record = this.#records.getBinary(path);
      return record ? this.#decode(record, path).meta : undefined;
    });
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    const meta = makeMeta(value, copyAttrs(options.attrs));
    const record = encodeRecord(meta, value);
    const outcome = await this.#write('put', path, (): Condition => {
      const current = this.#current(path);
      if (options.ifAbsent && current) return { ok: false, etag: current.etag };
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) return { ok: false, etag: current?.etag };
      if (current) setRecordCreatedAt(record, current.createdAt);
      this.#records.put(path, record);
      return { ok: true, createdAt: current?.createdAt ?? meta.createdAt };
    });
    if (!outcome.ok) throw this.conditionFailed(path, outcome.etag, options);
    return { ...meta, createdAt: outcome.createdAt };
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const outcome = await this.#write('delete', path, () => {
      const current = this.#current(path);
      if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
        return { ok: false as const, etag: current?.etag };
      if (!current) return { ok: true as const, removed: false };
      this.#records.remove(path);
      return { ok: true as const, removed: true };
    });
    if (!outcome.ok) throw this.conditionFailed(path, outcome.etag, options);
    return outcome.removed;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const read = (start: string | undefined, end: string | undefined, limit: number) =>
      Array.from(this.#records.getRange({ start, end, limit }), ({ key, value }) => ({
        key,
        value: this.#decode(value, key).meta,
      }));
    for (const { key, value } of this.#walk(plan, read)) yield { key: splitPath(key), meta: value };
  }

  /** Keys from the B+tree alone, without reading any record (unless `where` needs them). */
  override async *keys(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<Key> {
    const plan = this.planList(prefixInput, options);
    if (plan.where) {
      yield* super.keys(prefixInput, options);
      return;
    }
    const read = (start: string | undefined, end: string | undefined, limit: number) =>
      Array.from(this.#records.getKeys({ start, end, limit }), (key) => ({ key, value: undefined }));
    for (const { key } of this.#walk(plan, read)) yield splitPath(key);
  }

  /**
   * The entries of a listing in order, a page at a time: each page is read synchronously
   * (one snapshot), then handed out. `where` is applied here so `limit` counts only matches.
   */
  *#walk<V>(
    plan: ListPlan,
    read: (start: string | undefined, end: string | undefined, limit: number) => Iterable<{ key: string; value: V }>,
  ): Generator<{ key: string; value: V }> {
    const { lower, upper } = plan.range;
    let start = plan.after !== undefined && compareKeyPaths(plan.after, lower) >= 0 ? plan.after : lower;
    let exclusive = start === plan.after;
    let emitted = 0;
    for (;;) {
      const from = start === '' ? undefined : start;
      const page = this.#reading('list', undefined, () => [...read(from, upper, PAGE + 1)]);
      for (const item of page) {
        if (exclusive && item.key === start) continue;
        if (!plan.recursive && !isDirectChild(item.key, plan.prefix.path)) continue;
        if (emitted >= plan.limit) return;
        if (plan.where && !matchesAttrs((item.value as { attrs?: JsonObject } | undefined)?.attrs ?? {}, plan.where)) {
          continue;
        }
        emitted++;
        yield item;
      }
      const last = page[page.length - 1];
      if (page.length <= PAGE || last === undefined || emitted >= plan.limit) return;
      start = last.key;
      exclusive = true;
    }
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    return this.#reading('getMany', undefined, () => paths.map((path) => this.#read(path)));
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      const meta = makeMeta(e.value, copyAttrs(e.attrs));
      return { path, meta, record: encodeRecord(meta, e.value) };
    });
    return this.#write('putMany', undefined, () =>
      prepared.map(({ path, meta, record }) => {
        const createdAt = this.#current(path)?.createdAt ?? meta.createdAt;
        setRecordCreatedAt(record, createdAt);
        this.#records.put(path, record);
        return { ...meta, createdAt };
      }),
    );
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = keys.map((k) => this.key(k).path);
    return this.#write('deleteMany', undefined, () => {
      let removed = 0;
      for (const path of new Set(paths)) {
        if (this.#records.getBinary(path) === undefined) continue;
        this.#records.remove(path);
        removed++;
      }
      return removed;
    });
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    return this.#write('clear', undefined, () => {
      let removed = 0;
      for (const key of this.#records.getKeys({ start: lower === '' ? undefined : lower, end: upper })) {
        this.#records.remove(key);
        removed++;
      }
      return removed;
    });
  }

  async info(): Promise<contract.BackendInfo> {
    this.prefix(undefined);
    let entries = 0;
    let bytes = 0;
    this.#reading('info', undefined, () => {
      for (const { key, value } of this.#records.getRange()) {
        entries++;
        bytes += this.#decode(value, key).meta.size;
      }
    });
    return { type: 'lmdb', location: this.#path, entries, bytes, capabilities: this.capabilities };
  }

  toConfig(): contract.BackendConfig {
    return { type: 'lmdb', path: this.#path };
  }

  protected async closeResources(): Promise<void> {
    await this.#env.close();
  }

  // The callback runs inside one LMDB write transaction: its reads see the committed
  // state and no other writer (thread or process) can interleave.
  async #write<T>(what: string, key: string | undefined, fn: () => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A synchronous write transaction: the condition read and the write happen under
        // LMDB's writer lock in one step. The batched async form lost one of 120 ETag-guarded
        // increments from 3 processes in one CI run under load (not reproduced alone).
        return this.#env.transactionSync(fn);
      } catch (error) {
        // Seen once in CI under load (4 processes updating one key): lmdb-js's LMDB found a
        // page it took for its own but could not touch ('mdb_page_touch no parent'), marked
        // the transaction failed and aborted it at commit (MDB_BAD_TXN). Nothing was written,
        // so the whole transaction, its condition included, runs again. Not reproduced alone.
        if (attempt < 3 && (error as { code?: unknown })?.code === MDB_BAD_TXN) continue;
        throw this.#failedWrite(error, what, key);
      }
    }
  }

  // transactionSync commits before it returns, so a failed commit throws with LMDB's own
  // error. (lmdb-js's batched writes reject with a generic 'Commit failed' and put the cause
  // in a second promise that ends up unhandled; no write here takes that path.)
  #failedWrite(error: unknown, what: string, key: string | undefined): StorageError {
    return this.#typed(this.#diskFull(error) ? Object.assign(new Error('ENOSPC'), { cause: error }) : error, what, key);
  }

  // A damaged page makes LMDB fail a read with its own error codes; they are typed here
  // (the damage that would crash the process is caught before the file is mapped, at open).
  #reading<T>(what: string, key: string | undefined, fn: () => T): T {
    try {
      // lmdb-js keeps one read snapshot until its next timer tick, so a read right after
      // another (no macrotask between) missed what other processes committed in between: a
      // stale read, found by the linearizability test. Each read starts from the latest commit.
      this.#env.resetReadTxn();
      return fn();
    } catch (error) {
      throw this.#typed(error, what, key);
    }
  }

  #typed(error: unknown, what: string, key: string | undefined): StorageError {
    const message = (error as Error)?.message ?? '';
    if (!(error instanceof StorageError) && LMDB_FULL.test(message)) {
      return new CapacityError(`${what} failed, the disk or the map is full; nothing was written: ${message}`, {
        key,
        backend: this.label,
        cause: error,
      });
    }
    if (!(error instanceof StorageError) && LMDB_DAMAGE.test(message)) {
      return new CorruptValueError(`${what} failed, the LMDB file is damaged: ${message}`, {
        key,
        backend: this.label,
        cause: error,
      });
    }
    return this.wrap(error, what, key);
  }

  // On a full disk LMDB's write or sync fails with EIO rather than ENOSPC; the free space
  // of the file system tells the two apart.
  #diskFull(error: unknown): boolean {
    if ((error as { code?: unknown })?.code !== 5 && !/Input\/output error/.test(String((error as Error)?.message))) {
      return false;
    }
    try {
      const { bavail, bsize } = statfsSync(this.#path);
      return bavail * bsize < 1024 * 1024;
    } catch {
      return false;
    }
  }
}

// LMDB's "transaction must abort": the transaction failed and was aborted, nothing written.
const MDB_BAD_TXN = -30782;
const LMDB_FULL = /MDB_MAP_FULL|ENOSPC|EDQUOT|No space left|quota exceeded/i;

// LMDB's codes for pages that do not hold what their parents say (and lmdb-js's decoding
// of a record whose bytes were overwritten).
const LMDB_DAMAGE =
  /MDB_(CORRUPTED|PAGE_NOTFOUND|BAD_TXN|BAD_VALSIZE|INVALID|BAD_DBI)|Unexpected|JSON|Invalid|out of range/i;

/** Parses `lmdb:///abs/dir` or `lmdb:./rel/dir`. */
export function configFromUrl(url: string): contract.BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new OperationError(`An lmdb URL needs a directory: ${url}`);
  checkKnownParams(params, [], 'lmdb');
  return { type: 'lmdb', path: resolve(path) };
}

/** Opens an LMDB store from its config. */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<LmdbBackend> {
  return LmdbBackend.open(optionsFromConfig<LmdbBackendOptions>(config), options);
}
