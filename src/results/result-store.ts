import { randomBytes } from 'node:crypto';
import type { EvictionPolicy } from '../backends/kit/byte-bounded-map.ts';
import type { Backend, BackendInfo, CompactOptions, Meta, StoredValue } from '../core/backend.ts';
import { DEFAULT_ORPHAN_AGE_MS } from '../core/chunked-values.ts';
import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import { ConditionFailedError, NotFoundError, OperationError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { type Key, type KeyInput, parseKey, parsePrefix } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { markStoreObject } from '../core/store-object.ts';
import {
  chunkFolderOf,
  columnarEntries,
  DEFAULT_CHUNK_BYTES,
  estimatedBytes,
  readColumnarSet,
  type SetSlice,
  selectFrom,
} from './columnar-sets.ts';
import { resultToCsv, setToCsv } from './csv.ts';
import { OptimizationResult, type OptimizationResultJSON } from './optimization-result.ts';
import { readResultDirectory, writeResultDirectory } from './result-directory.ts';
import { ResultEviction } from './result-eviction.ts';
import type { ResultSet } from './result-set.ts';
import { decodeSet, encodeSet, SET_FORMATS, type SetFormat } from './set-formats.ts';

/** Metadata of a stored result, readable without loading it. */
export interface ResultMetadata {
  /** The result's key in the store (relative to a session). */
  key: string;
  /** When it was first saved. */
  createdAt: Date;
  /** When it was last saved or changed. */
  modifiedAt: Date;
  /** Bytes it takes stored: its header and every set. */
  sizeBytes: number;
  /** Points over all its sets. */
  nPoints: number;
  /** Number of sets. */
  nSets: number;
  /** The custom metadata given to `save` / `updateMetadata`. */
  custom: JsonObject;
}

/** Options of {@link ResultStore}. */
export interface ResultStoreOptions {
  /** Where the results live. */
  backend: Backend;
  /** Backend prefix of this store's entries (default `results`). */
  prefix?: KeyInput | undefined;
  /** Prepended to every result key (used by {@link ResultStore.session}). */
  keyPrefix?: KeyInput | undefined;
  /** How sets are written (default `binary`); reads decode any format, whatever this says. */
  format?: SetFormat | undefined;
  /**
   * Upper bound on the bytes of all results (memory stores): the least recently used
   * (`lru`) or oldest (`fifo`) results are evicted whole, header and sets together.
   */
  maxBytes?: number | undefined;
  /** Eviction order under `maxBytes` (default `lru`). */
  evictionPolicy?: EvictionPolicy | undefined;
  /** Close the backend when the store is closed (the factories set it for the backends they open). */
  ownsBackend?: boolean | undefined;
  /**
   * Largest chunk of a column in the `columns` format, in bytes (default 4 MiB): smaller
   * chunks make row slices read less, larger ones mean fewer entries.
   */
  chunkBytes?: number | undefined;
  /**
   * Keep the loaded results as live objects, for {@link ResultStore.getResultReference}
   * (OptiScope's memory backend; `createMemoryStorage` sets it).
   */
  references?: boolean | undefined;
}

const STORE_OPTIONS = [
  'backend',
  'prefix',
  'keyPrefix',
  'format',
  'maxBytes',
  'evictionPolicy',
  'ownsBackend',
  'references',
  'chunkBytes',
];

/** Options of {@link ResultStore.save}. */
export interface SaveOptions {
  /** With `false`, an existing key fails with `ConditionFailedError` (default `true`: replace). */
  overwrite?: boolean | undefined;
  /** Custom metadata of the result (readable with `getMetadata` without loading). */
  metadata?: JsonObject | undefined;
  /**
   * Merge `metadata` into the custom metadata already stored under the key, instead of
   * replacing it as OptiScope does (default `false`).
   */
  mergeMetadata?: boolean | undefined;
}

/** Options of {@link ResultStore.exportDirectory}. */
export interface ExportDirectoryOptions {
  /** The sets' file format: `csv` (default; pandas, Excel) or `json` (jq). */
  format?: 'csv' | 'json' | undefined;
}

/** What {@link ResultStore.info} reports. */
export interface ResultStoreInfo {
  /** Stored results. */
  results: number;
  /** Sets over all results. */
  sets: number;
  /** Bytes over all results. */
  sizeBytes: number;
  /** The backend's own info. */
  backend: BackendInfo;
}

/** What {@link ResultStore.compact} did. */
export interface ResultCompactReport {
  /** Set entries no result refers to (left by an interrupted save), removed. */
  orphanSets: number;
  /** What the backend's own compaction reported, if it has one. */
  backend?: unknown;
}

interface Header extends Omit<OptimizationResultJSON, 'sets'> {
  version: string;
  sets: string[];
}

interface HeaderAttrs extends JsonObject {
  version: string;
  nPoints: number;
  nSets: number;
  sizeBytes: number;
  custom: JsonObject;
}

const newVersion = () => randomBytes(6).toString('hex');

/**
 * Stores optimisation results on any backend (OptiScope's StorageBackend API).
 * A result is a header entry (problem, variables, metadata; sizes and custom metadata
 * in the entry's attrs, so {@link getMetadata} never reads data) plus one entry per
 * set, so one set loads without the others. Sets of a save are written under a fresh
 * version before the header that points to them: a save that fails half-way leaves
 * the previous result intact, and readers never see a mix.
 *
 * @example
 * ```ts
 * const store = new ResultStore({ backend: await openBackend('sqlite:./.stowage/results.sqlite') });
 * await store.save('exp-1', result);
 * const pareto = await store.loadSet('exp-1', 'pareto');
 * ```
 */
export class ResultStore implements AsyncDisposable {
  /** The backend holding the results. */
  readonly backend: Backend;
  /** How sets are written. */
  readonly format: SetFormat;
  /** The backend prefix under which this store keeps its entries. */
  readonly prefix: Key;
  readonly #root: Key;
  readonly #keyPrefix: Key;
  readonly #options: ResultStoreOptions;
  readonly #eviction: ResultEviction | undefined;
  readonly #live: Map<string, OptimizationResult> | undefined;

  constructor(options: ResultStoreOptions) {
    rejectUnknownOptions(options, STORE_OPTIONS, 'ResultStore');
    const chunkBytes = options.chunkBytes;
    if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes > 0)) {
      throw new OperationError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
    }
    if (options.format !== undefined && !SET_FORMATS.includes(options.format)) {
      throw new OperationError(`Unknown result format '${options.format}' (known: ${SET_FORMATS.join(', ')})`);
    }
    this.#options = options;
    this.backend = options.backend;
    this.format = options.format ?? 'binary';
    this.#root = parsePrefix(options.prefix ?? 'results', options.backend.label).segments;
    this.prefix = this.#root;
    this.#keyPrefix = parsePrefix(options.keyPrefix, options.backend.label).segments;
    this.#live = options.references ? new Map() : undefined;
    this.#eviction =
      options.maxBytes === undefined
        ? undefined
        : new ResultEviction(options.maxBytes, options.evictionPolicy, options.backend.label);
  }

  /** A view whose keys all live under `sourceId` (OptiScope's SessionDBStorage). */
  session(sourceId: string): ResultStore {
    return this.#view({ keyPrefix: [...this.#keyPrefix, ...parseKey(sourceId).segments] });
  }

  /**
   * The same store over another view of its backend (StorageManager's per-call tier choice).
   * @internal
   */
  withBackend(backend: Backend): ResultStore {
    return this.#view({ backend });
  }

  /** Saves a result, replacing one under the same key (as OptiScope); with `overwrite: false` an existing key fails with `ConditionFailedError`. */
  async save(key: KeyInput, result: OptimizationResult, options: SaveOptions = {}): Promise<void> {
    rejectUnknownOptions(options, ['overwrite', 'metadata', 'mergeMetadata'], 'ResultStore.save', {
      backend: this.backend.label,
    });
    const k = this.#full(key);
    const sets = result.listSets().map((name) => result.getSet(name));
    this.#eviction?.checkFits(
      k,
      sets.reduce((n, set) => n + estimatedBytes(set), 0),
    );
    const existing = await this.backend.get(this.#headerKey(k));
    if (existing && options.overwrite === false) {
      throw new ConditionFailedError('A result with this key exists (pass overwrite: true to replace it)', {
        key: k.join('/'),
        backend: this.backend.label,
        actualEtag: existing.meta.etag,
      });
    }
    const version = newVersion();
    const written: Key[] = [];
    let sizeBytes: number;
    try {
      let setBytes = 0;
      for (const set of sets) setBytes += await this.#writeSet(this.#setKey(k, version, set.name), set, k, written);
      const previous = existing ? this.#headerAttrs(existing.meta) : undefined;
      const custom = options.mergeMetadata
        ? { ...(previous?.custom ?? {}), ...(options.metadata ?? {}) }
        : { ...(options.metadata ?? {}) };
      sizeBytes = await this.#writeHeader(
        k,
        this.#header(result, version),
        { nPoints: result.nPoints, custom, setBytes },
        existing?.meta.etag,
      );
      if (previous && previous.version !== version) await this.backend.clear(this.#versionPrefix(k, previous.version));
    } catch (error) {
      await this.backend.deleteMany(written).catch(() => undefined);
      throw error;
    }
    this.#live?.delete(k.join('/'));
    if (this.#eviction) for (const evicted of this.#eviction.added(k, sizeBytes)) await this.#deleteIfThere(evicted);
  }

  /** Loads a whole result; throws `NotFoundError` when absent. */
  async load(key: KeyInput): Promise<OptimizationResult> {
    const k = this.#full(key);
    const live = this.#live?.get(k.join('/'));
    if (live) {
      this.#eviction?.used(k);
      return copyOf(live);
    }
    return this.#loadStored(k);
  }

  /**
   * The stored result itself, not a copy (OptiScope's `get_result_reference`), on stores
   * made with `references: true` (memory stores from `createMemoryStorage`). Changes made
   * to it are what later `load` calls return copies of; sizes and counts in
   * {@link getMetadata} stay those of the last save until it is saved again.
   */
  async getResultReference(key: KeyInput): Promise<OptimizationResult> {
    if (!this.#live) {
      throw new OperationError('getResultReference needs a store opened with references: true (memory stores)', {
        key,
        backend: this.backend.label,
      });
    }
    const k = this.#full(key);
    let live = this.#live.get(k.join('/'));
    if (!live) {
      live = await this.#loadStored(k);
      this.#live.set(k.join('/'), live);
    }
    this.#eviction?.used(k);
    return live;
  }

  async #loadStored(k: Key): Promise<OptimizationResult> {
    const { header } = await this.#readHeader(k);
    this.#eviction?.used(k);
    const found = await this.backend.getMany(header.sets.map((name) => this.#setKey(k, header.version, name)));
    const sets = found.map((hit, i) => {
      if (!hit)
        throw new NotFoundError(`Set '${header.sets[i]}' of the result is missing`, {
          key: k,
          backend: this.backend.label,
        });
      return this.#readSet(this.#setKey(k, header.version, header.sets[i] as string), hit, k, {});
    });
    const { version: _v, sets: _s, ...rest } = header;
    return new OptimizationResult({ ...rest, sets: await Promise.all(sets) });
  }

  /** Deletes a result and all its sets; throws `NotFoundError` when absent. */
  async delete(key: KeyInput): Promise<void> {
    const k = this.#full(key);
    const meta = await this.backend.stat(this.#headerKey(k));
    if (!meta) throw this.#notFound(k);
    // The header goes first: from then on the result is gone, whatever happens to its sets.
    await this.backend.delete(this.#headerKey(k), { ifMatch: meta.etag });
    await this.backend.clear(this.#setsPrefix(k));
    this.#eviction?.removed(k);
    this.#live?.delete(k.join('/'));
  }

  async #deleteIfThere(k: Key): Promise<void> {
    await this.delete(k.slice(this.#keyPrefix.length)).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }

  /** True when a result is stored under `key`. */
  async exists(key: KeyInput): Promise<boolean> {
    return (await this.backend.stat(this.#headerKey(this.#full(key)))) !== undefined;
  }

  /**
   * Keys of the stored results, sorted. A string prefix matches the start of the key
   * text, as OptiScope's `list_results(prefix)`: `'run_'` finds `run_001` and
   * `run_002/a`; an array of segments matches whole segments (`['runs']` finds
   * `runs/a`, not `runs2`). Either way it is a key range in the engine, not a filter.
   */
  async list(prefix?: KeyInput): Promise<string[]> {
    const { segments, startsWith } = this.#listPrefix(prefix);
    const keys: string[] = [];
    const skip = this.#root.length + 1 + this.#keyPrefix.length;
    for await (const key of this.backend.keys([...this.#root, 'r', ...this.#keyPrefix, ...segments], { startsWith })) {
      keys.push(key.slice(skip).join('/'));
    }
    return keys;
  }

  #listPrefix(prefix: KeyInput | undefined): { segments: Key; startsWith: string } {
    if (typeof prefix !== 'string')
      return { segments: parsePrefix(prefix, this.backend.label).segments, startsWith: '' };
    const cut = prefix.lastIndexOf('/');
    return {
      segments: parsePrefix(prefix.slice(0, Math.max(cut, 0)), this.backend.label).segments,
      startsWith: prefix.slice(cut + 1),
    };
  }

  /**
   * Renames a result; fails with `ConditionFailedError` if `to` exists. The copy is
   * committed (new header written only if absent) before the original is removed, so
   * an interruption leaves both copies, never neither.
   */
  async rename(from: KeyInput, to: KeyInput): Promise<void> {
    const a = this.#full(from);
    const b = this.#full(to);
    if (await this.backend.stat(this.#headerKey(b))) {
      throw new ConditionFailedError('Cannot rename: the target key exists', { key: b, backend: this.backend.label });
    }
    const { header, meta } = await this.#readHeader(a);
    const version = newVersion();
    const written: Key[] = [];
    try {
      // Every entry of the sets (chunks included), the sets' own entries last.
      const from = this.#versionPrefix(a, header.version);
      const keys: Key[] = [];
      for await (const key of this.backend.keys(from)) keys.push(key);
      keys.sort((x, y) => y.length - x.length);
      for (const key of keys) {
        const hit = await this.backend.get(key);
        if (!hit) continue;
        const target = [...this.#versionPrefix(b, version), ...key.slice(from.length)];
        await this.backend.put(target, hit.value, { attrs: hit.meta.attrs });
        written.push(target);
      }
      const attrs = this.#headerAttrs(meta);
      await this.backend.put(this.#headerKey(b), this.#encodeHeader({ ...header, version }, b), {
        ifAbsent: true,
        attrs: { ...attrs, version },
      });
    } catch (error) {
      await this.backend.deleteMany(written).catch(() => undefined);
      throw error;
    }
    await this.backend.delete(this.#headerKey(a));
    await this.backend.clear(this.#setsPrefix(a));
    this.#eviction?.renamed(a, b);
    this.#live?.delete(a.join('/'));
  }

  /** Saves one set into an existing result (replacing a set of the same name). */
  async saveSet(key: KeyInput, name: string, set: ResultSet): Promise<void> {
    const k = this.#full(key);
    this.#live?.delete(k.join('/'));
    const stored = name === set.name ? set : set.withName(name);
    let setKey: Key = [];
    await this.#updateHeader(k, async (header, attrs) => {
      setKey = this.#setKey(k, header.version, name);
      await this.#writeSet(setKey, stored, k, []);
      const sets = header.sets.includes(name) ? header.sets : [...header.sets, name].sort();
      return { header: { ...header, sets }, attrs: { ...attrs, nSets: sets.length } };
    });
    await this.#dropStaleChunks(setKey, k);
    await this.#refreshSizes(k);
  }

  /**
   * Loads one set without reading the others; `slice` picks columns and a range of rows.
   * With the `columns` format only the chunks holding them are read; other formats read
   * the set whole and slice it.
   */
  async loadSet(key: KeyInput, name: string, slice: SetSlice = {}): Promise<ResultSet> {
    rejectUnknownOptions(slice, ['columns', 'rows'], 'ResultStore.loadSet', { backend: this.backend.label });
    const k = this.#full(key);
    const context = { key: k.join('/'), backend: this.backend.label };
    const live = this.#live?.get(k.join('/'));
    if (live?.sets.has(name)) return selectFrom(copyOf(live).getSet(name), slice, context);
    const meta = await this.backend.stat(this.#headerKey(k));
    if (!meta) throw this.#notFound(k);
    this.#eviction?.used(k);
    const setKey = this.#setKey(k, this.#headerAttrs(meta).version, name);
    const hit = await this.backend.get(setKey);
    if (!hit) throw new NotFoundError(`The result has no set '${name}'`, { key: k, backend: this.backend.label });
    return this.#readSet(setKey, hit, k, slice);
  }

  /** Removes one set; throws `NotFoundError` if it does not exist. */
  async deleteSet(key: KeyInput, name: string): Promise<void> {
    const k = this.#full(key);
    this.#live?.delete(k.join('/'));
    let version = '';
    await this.#updateHeader(k, async (header, attrs) => {
      if (!header.sets.includes(name))
        throw new NotFoundError(`The result has no set '${name}'`, { key: k, backend: this.backend.label });
      version = header.version;
      const sets = header.sets.filter((s) => s !== name);
      return { header: { ...header, sets }, attrs: { ...attrs, nSets: sets.length } };
    });
    await this.backend.delete(this.#setKey(k, version, name));
    await this.backend.clear(this.#setKey(k, version, name));
    await this.#refreshSizes(k);
  }

  /** Names of a result's sets, sorted. */
  async listSets(key: KeyInput): Promise<string[]> {
    return (await this.#readHeader(this.#full(key))).header.sets;
  }

  /** Sizes, times and custom metadata, read without loading the result. */
  async getMetadata(key: KeyInput): Promise<ResultMetadata> {
    const k = this.#full(key);
    const meta = await this.backend.stat(this.#headerKey(k));
    if (!meta) throw this.#notFound(k);
    const attrs = this.#headerAttrs(meta);
    return {
      key: k.slice(this.#keyPrefix.length).join('/'),
      createdAt: new Date(meta.createdAt),
      modifiedAt: new Date(meta.modifiedAt),
      sizeBytes: attrs.sizeBytes,
      nPoints: attrs.nPoints,
      nSets: attrs.nSets,
      custom: attrs.custom,
    };
  }

  /** Merges `patch` into the custom metadata (atomic against concurrent updates); `save` replaces it instead. */
  async updateMetadata(key: KeyInput, patch: JsonObject): Promise<void> {
    await this.#updateHeader(this.#full(key), async (header, attrs) => ({
      header,
      attrs: { ...attrs, custom: { ...attrs.custom, ...patch } },
    }));
  }

  /** Deletes every result {@link list} gives for `prefix` (all when omitted); resolves the count. */
  async clear(prefix?: KeyInput): Promise<number> {
    let removed = 0;
    for (const key of await this.list(prefix)) {
      await this.delete(key).then(
        () => removed++,
        (error) => {
          if (!(error instanceof NotFoundError)) throw error;
        },
      );
    }
    return removed;
  }

  /** Counts and sizes of the stored results, and the backend's own info. */
  async info(): Promise<ResultStoreInfo> {
    let results = 0;
    let sets = 0;
    let sizeBytes = 0;
    for await (const { meta } of this.backend.list([...this.#root, 'r', ...this.#keyPrefix])) {
      const attrs = this.#headerAttrs(meta);
      results++;
      sets += attrs.nSets;
      sizeBytes += attrs.sizeBytes;
    }
    return { results, sets, sizeBytes, backend: await this.backend.info() };
  }

  /**
   * Removes set entries no result refers to, then runs the backend's compaction (fs) or
   * vacuum (SQL) if it has one. A save writes its sets before its header, so sets younger
   * than `minAgeMs` (default one hour) are spared: they may belong to a save in progress,
   * in this process or another.
   */
  async compact(options: CompactOptions = {}): Promise<ResultCompactReport> {
    rejectUnknownOptions(options, ['minAgeMs'], 'ResultStore.compact', { backend: this.backend.label });
    const minAgeMs = options.minAgeMs ?? DEFAULT_ORPHAN_AGE_MS;
    if (!(minAgeMs >= 0)) {
      throw new OperationError(`minAgeMs must be a non-negative number, got ${String(minAgeMs)}`, {
        backend: this.backend.label,
      });
    }
    const started = Date.now();
    const live = new Map<string, string>();
    for await (const { key, meta } of this.backend.list([...this.#root, 'r'])) {
      live.set(key.slice(this.#root.length + 1).join('/'), this.#headerAttrs(meta).version);
    }
    const orphans: Key[] = [];
    for await (const { key, meta } of this.backend.list([...this.#root, 's'])) {
      const length = Number(key[this.#root.length + 1]);
      const start = this.#root.length + 2;
      const resultKey = key.slice(start, start + length).join('/');
      const young = started - meta.modifiedAt < minAgeMs;
      if (!young && live.get(resultKey) !== key[start + length]) orphans.push(key);
    }
    await this.backend.deleteMany(orphans);
    // The backend's own leftovers keep its own default age unless one was given.
    const backendOptions = options.minAgeMs === undefined ? undefined : { minAgeMs };
    const backend = this.backend.compact ? await this.backend.compact(backendOptions) : undefined;
    return { orphanSets: orphans.length, backend };
  }

  /** Exports a whole result or one set as JSON or CSV text (OptiScope's json/csv formats). */
  async export(key: KeyInput, options: { format: 'json' | 'csv'; set?: string }): Promise<string> {
    if (options.set !== undefined) {
      const set = await this.loadSet(key, options.set);
      return options.format === 'json' ? JSON.stringify(set.toJSON(), null, 2) : setToCsv(set);
    }
    const result = await this.load(key);
    return options.format === 'json' ? JSON.stringify(result.toJSON(), null, 2) : resultToCsv(result);
  }

  /**
   * Writes a result as plain files that pandas, Excel and `jq` open: `metadata.json`
   * (what {@link getMetadata} returns), `result.json` (problem, variables, objectives,
   * constraints, metadata, and per set its file, column kinds and metadata) and
   * `sets/<name>.csv` (or `.json`). {@link importDirectory} reads such a folder back exactly.
   */
  async exportDirectory(key: KeyInput, dir: string, options: ExportDirectoryOptions = {}): Promise<void> {
    rejectUnknownOptions(options, ['format'], 'ResultStore.exportDirectory');
    const format = options.format ?? 'csv';
    if (format !== 'csv' && format !== 'json') {
      throw new OperationError(`Unknown export format '${String(format)}' (known: csv, json)`);
    }
    const [result, metadata] = await Promise.all([this.load(key), this.getMetadata(key)]);
    await writeResultDirectory(dir, result, metadata, format);
  }

  /**
   * Saves the result of a folder written by {@link exportDirectory} (under `key`, or the
   * key it was exported from), with its custom metadata; resolves the key.
   */
  async importDirectory(dir: string, options: { key?: KeyInput; overwrite?: boolean } = {}): Promise<string> {
    rejectUnknownOptions(options, ['key', 'overwrite'], 'ResultStore.importDirectory');
    const { result, metadata } = await readResultDirectory(dir);
    const key = options.key ?? metadata.key;
    await this.save(key, result, { metadata: metadata.custom, overwrite: options.overwrite });
    return typeof key === 'string' ? key : parseKey(key).segments.join('/');
  }

  /** Closes the backend if this store opened it (the factories' stores do). */
  async close(): Promise<void> {
    if (this.#options.ownsBackend) await this.backend.close();
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Backend keys holding a result (header first, then its sets): what a tier migration moves. */
  async entriesOf(key: KeyInput): Promise<Key[]> {
    const k = this.#full(key);
    const entries: Key[] = [this.#headerKey(k)];
    for await (const entry of this.backend.list(this.#setsPrefix(k))) entries.push(entry.key);
    return entries;
  }

  /** The backend key of a result's header (what `whereIs` looks up). */
  headerKeyOf(key: KeyInput): Key {
    return this.#headerKey(this.#full(key));
  }

  #full(key: KeyInput): Key {
    return [...this.#keyPrefix, ...parseKey(key, this.backend.label).segments];
  }

  #headerKey(k: Key): Key {
    return [...this.#root, 'r', ...k];
  }

  // The key's length is part of the path, so the sets of `a` and of `a/x` never share a prefix.
  #setsPrefix(k: Key): Key {
    return [...this.#root, 's', String(k.length), ...k];
  }

  #versionPrefix(k: Key, version: string): Key {
    return [...this.#setsPrefix(k), version];
  }

  #setKey(k: Key, version: string, name: string): Key {
    return [...this.#versionPrefix(k, version), ...parseKey([name], this.backend.label).segments];
  }

  #header(result: OptimizationResult, version: string): Header {
    return { ...result.fieldsJSON(), version, sets: result.listSets() };
  }

  #encodeHeader(header: Header, k: Key): Uint8Array {
    return encodeValue(msgpackCodec, header, { key: k, backend: this.backend.label });
  }

  // Writes one set at `setKey` (for the columns format its chunks first, a fresh chunk
  // folder each time, then the manifest); records the keys written, resolves their bytes.
  async #writeSet(setKey: Key, set: ResultSet, k: Key, written: Key[]): Promise<number> {
    const context = { key: k.join('/'), backend: this.backend.label };
    if (this.format !== 'columns') {
      const { bytes, attrs } = encodeSet(set, this.format, context);
      const meta = await this.backend.put(setKey, bytes, { attrs });
      written.push(setKey);
      return meta.size;
    }
    let total = 0;
    for (const entry of columnarEntries(set, newVersion(), this.#options.chunkBytes ?? DEFAULT_CHUNK_BYTES, context)) {
      const key = [...setKey, ...entry.path];
      const meta = await this.backend.put(key, entry.bytes, { attrs: entry.attrs });
      written.push(key);
      total += meta.size;
    }
    return total;
  }

  async #readSet(setKey: Key, hit: StoredValue, k: Key, slice: SetSlice): Promise<ResultSet> {
    const context = { key: k.join('/'), backend: this.backend.label };
    if (hit.meta.attrs.format !== 'columns')
      return selectFrom(decodeSet(hit.value, hit.meta.attrs, context), slice, context);
    const readChunks = async (paths: Key[]) =>
      (await this.backend.getMany(paths.map((p) => [...setKey, ...p]))).map((chunk) => chunk?.value);
    return readColumnarSet(hit.value, readChunks, slice, context);
  }

  // After a set was replaced in place: the chunks of its earlier versions go.
  async #dropStaleChunks(setKey: Key, k: Key): Promise<void> {
    const hit = await this.backend.get(setKey);
    if (hit?.meta.attrs.format !== 'columns') {
      await this.backend.clear(setKey);
      return;
    }
    const current = chunkFolderOf(hit.value, { key: k.join('/'), backend: this.backend.label });
    const stale: Key[] = [];
    for await (const key of this.backend.keys(setKey)) if (key[setKey.length] !== current) stale.push(key);
    await this.backend.deleteMany(stale);
  }

  // A store like this one (same backend, options and eviction state) with some options changed.
  #view(changes: Partial<ResultStoreOptions>): ResultStore {
    return new ResultStore({
      ...this.#options,
      ...changes,
      maxBytes: undefined,
      ownsBackend: false,
      references: false,
    });
  }

  #headerAttrs(meta: Meta): HeaderAttrs {
    return meta.attrs as HeaderAttrs;
  }

  async #writeHeader(
    k: Key,
    header: Header,
    sizes: { nPoints: number; custom: JsonObject; setBytes: number },
    ifMatch?: string,
  ): Promise<number> {
    const bytes = this.#encodeHeader(header, k);
    const attrs: HeaderAttrs = {
      version: header.version,
      nPoints: sizes.nPoints,
      nSets: header.sets.length,
      sizeBytes: bytes.byteLength + sizes.setBytes,
      custom: sizes.custom,
    };
    await this.backend.put(this.#headerKey(k), bytes, ifMatch ? { ifMatch, attrs } : { ifAbsent: true, attrs });
    return attrs.sizeBytes;
  }

  async #readHeader(k: Key): Promise<{ header: Header; meta: Meta }> {
    const hit = await this.backend.get(this.#headerKey(k));
    if (!hit) throw this.#notFound(k);
    return {
      header: decodeValue(msgpackCodec, hit.value, { key: k, backend: this.backend.label }) as Header,
      meta: hit.meta,
    };
  }

  // Read-modify-write of the header, retried when another writer changed it meanwhile.
  async #updateHeader(
    k: Key,
    change: (header: Header, attrs: HeaderAttrs) => Promise<{ header: Header; attrs: HeaderAttrs }>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { header, meta } = await this.#readHeader(k);
      const next = await change(header, this.#headerAttrs(meta));
      try {
        await this.backend.put(this.#headerKey(k), this.#encodeHeader(next.header, k), {
          ifMatch: meta.etag,
          attrs: next.attrs,
        });
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt > 100) throw error;
      }
    }
  }

  // Recomputes sizes and point counts from the set entries' metadata after a single-set change.
  async #refreshSizes(k: Key): Promise<void> {
    await this.#updateHeader(k, async (header, attrs) => {
      let sizeBytes = this.#encodeHeader(header, k).byteLength;
      let nPoints = 0;
      const prefix = this.#versionPrefix(k, header.version);
      for await (const { key, meta } of this.backend.list(prefix)) {
        if (!header.sets.includes(key[prefix.length] as string)) continue;
        sizeBytes += meta.size;
        // A set's own entry is directly under the version; deeper ones are its chunks.
        if (key.length === prefix.length + 1) nPoints += Number(meta.attrs.nPoints ?? 0);
      }
      return { header, attrs: { ...attrs, sizeBytes, nPoints, nSets: header.sets.length } };
    });
  }

  #notFound(k: Key): NotFoundError {
    return new NotFoundError('No result with this key', { key: k, backend: this.backend.label });
  }
}

markStoreObject(ResultStore);

// A deep copy: the same values, typed arrays of the same kinds, nothing shared.
function copyOf(result: OptimizationResult): OptimizationResult {
  return OptimizationResult.fromJSON(structuredClone(result.toJSON()));
}
