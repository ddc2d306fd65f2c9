import type { JsonObject, JsonPrimitive, JsonValue } from './json.ts';
import type { Key, KeyInput } from './key-format.ts';
import type { ByteSource, PutStreamOptions, StreamedValue } from './streams.ts';

/** Metadata stored with every entry, readable without reading the value. */
export interface Meta {
  /** Opaque version tag; changes on every write. */
  readonly etag: string;
  /** Size of the value in bytes. */
  readonly size: number;
  /** When the key was first written (ms since epoch); survives overwrites. */
  readonly createdAt: number;
  /** When the value was last written (ms since epoch). */
  readonly modifiedAt: number;
  /** CRC-32 of the value bytes, verified on every read. */
  readonly checksum: number;
  /** User attributes (small JSON), filterable with `list(..., { where })`. */
  readonly attrs: JsonObject;
}

/** A value with its metadata, as returned by `get`. */
export interface StoredValue {
  /**
   * The stored bytes, as a plain `Uint8Array`, the caller's to keep and change. Its
   * `buffer` may also hold other values' bytes (small copies share one allocation, as
   * Node's `Buffer` pool does): view its own bytes through `byteOffset` and `byteLength`.
   */
  readonly value: Uint8Array;
  /** The entry's metadata. */
  readonly meta: Meta;
}

/** One listed entry. */
export interface ListedEntry {
  /** The entry's key. */
  readonly key: Key;
  /** The entry's metadata. */
  readonly meta: Meta;
}

/** Options of {@link Backend.put}. */
export interface PutOptions {
  /** Write only if the current ETag equals this one (atomic compare-and-swap). */
  ifMatch?: string | undefined;
  /** Write only if the key does not exist yet. */
  ifAbsent?: boolean | undefined;
  /** User attributes stored with the entry; replaces the previous attributes. */
  attrs?: JsonObject | undefined;
  /** Abandons the operation before it starts writing. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link Backend.delete}. */
export interface DeleteOptions {
  /** Delete only if the current ETag equals this one. */
  ifMatch?: string | undefined;
}

/**
 * Equality filter on top-level attributes: every listed attribute must be present
 * with exactly this value (`null` matches a stored `null`).
 */
export type AttrFilter = Readonly<Record<string, JsonPrimitive>>;

/** Options of {@link Backend.list}. */
export interface ListOptions {
  /** Include entries at any depth under the prefix (default `true`); `false` lists direct children only. */
  recursive?: boolean | undefined;
  /** Start after this key (exclusive), for pagination. */
  after?: KeyInput | undefined;
  /** Stop after this many entries. */
  limit?: number | undefined;
  /** Only entries whose attributes match. */
  where?: AttrFilter | undefined;
  /**
   * Only keys whose next segment after the prefix starts with this string (OptiScope's
   * `list_results(prefix)` matches the start of the key text): `list('runs', { startsWith: 'exp_' })`
   * finds `runs/exp_1` and `runs/exp_2/a`, not `runs/other`. Done in the engine as a
   * key range; `%`, `_`, `*` and `[` are ordinary characters. It cannot contain `/`.
   */
  startsWith?: string | undefined;
}

/** One entry of {@link Backend.putMany}. */
export interface PutManyEntry {
  /** The key to write. */
  key: KeyInput;
  /** The bytes to store. */
  value: Uint8Array;
  /** Attributes stored with the value (replacing earlier ones). */
  attrs?: JsonObject | undefined;
}

/** What a backend can do; the conformance suite checks every claim. */
export interface Capabilities {
  /** Data survives closing and reopening the store. */
  readonly persistent: boolean;
  /** `ifMatch` / `ifAbsent` are atomic, also against other processes sharing the store. */
  readonly atomicConditionalWrite: boolean;
  /** Several processes may use the store at once. */
  readonly multiProcess: boolean;
  /** `where` filters run in the engine rather than in JavaScript. */
  readonly queryAttrs: boolean;
  /** `putMany` / `deleteMany` are all-or-nothing. */
  readonly atomicBatch: boolean;
  /** Longest key the engine stores, in UTF-8 bytes of the `/`-joined key; longer keys fail with `InvalidKeyError`. */
  readonly maxKeyBytes?: number | undefined;
  /** Largest value the engine stores in one entry, in bytes; larger values fail with `CapacityError`. */
  readonly maxValueBytes?: number | undefined;
  /**
   * Chunk size of {@link Backend.putStream} on this engine: larger values are stored as
   * chunks of this many bytes plus a manifest, smaller ones as one entry (default 4 MiB).
   */
  readonly chunkBytes?: number | undefined;
}

/** Options of {@link Backend.compact}. */
export interface CompactOptions {
  /**
   * Leftovers younger than this are kept, so writes in flight in other processes are
   * untouched (chunks of an unfinished `putStream`: default 1 hour; a backend's own
   * leftovers such as fs temp files: its own default).
   */
  minAgeMs?: number | undefined;
}

/** What {@link Backend.compact} reclaimed. */
export interface CompactReport {
  /** Leftover entries or files removed (interrupted writes, stale temp files, orphaned slots). */
  readonly removed: number;
  /** Bytes of storage given back to the file system, where the engine can tell. */
  readonly reclaimedBytes?: number | undefined;
  /** Engine-specific details, e.g. the statement that ran. */
  readonly details?: JsonObject | undefined;
}

/** Sizes and location of a store, for humans and dashboards; never contains a password. */
export interface BackendInfo {
  /** Backend type, e.g. `sqlite`. */
  readonly type: string;
  /** Where the data lives (path or host), without credentials. */
  readonly location: string;
  /** Number of entries. */
  readonly entries: number;
  /** Total bytes of the values. */
  readonly bytes: number;
  /** What the backend can do, as in {@link Backend.capabilities}. */
  readonly capabilities: Capabilities;
  /** Backend-specific details. */
  readonly details?: JsonObject;
}

/**
 * A plain, JSON-serialisable description of a store that `openBackend(config)` reopens.
 * Never contains a password (server backends may name an environment variable instead).
 */
export interface BackendConfig {
  /** The registered backend type that opens this config, e.g. `sqlite`. */
  readonly type: string;
  readonly [option: string]: JsonValue | undefined;
}

/**
 * The byte-level storage contract every backend implements. Layers (PersiDict,
 * ValueStore, ResultStore, TieredBackend) only ever talk to this interface.
 */
export interface Backend extends AsyncDisposable {
  /** What this backend guarantees. */
  readonly capabilities: Capabilities;
  /** A short password-free label used in errors, e.g. `sqlite:/data/db.sqlite`. */
  readonly label: string;
  /** Reads a value and its metadata; `undefined` when absent. */
  get(key: KeyInput): Promise<StoredValue | undefined>;
  /** Reads metadata only; `undefined` when absent. */
  stat(key: KeyInput): Promise<Meta | undefined>;
  /** Writes a value whole (never partially). Throws `ConditionFailedError` when a condition fails. */
  put(key: KeyInput, value: Uint8Array, options?: PutOptions): Promise<Meta>;
  /** Deletes a key; resolves `true` if it existed. */
  delete(key: KeyInput, options?: DeleteOptions): Promise<boolean>;
  /** Streams entries strictly under `prefix` in key order (UTF-8 byte order of the `/`-joined key). */
  list(prefix?: KeyInput, options?: ListOptions): AsyncIterable<ListedEntry>;
  /**
   * Streams the keys strictly under `prefix`, in the order of {@link list}, without reading
   * metadata where the engine allows (fs: directory reads; S3: ListObjectsV2; SQL: the key column).
   */
  keys(prefix?: KeyInput, options?: ListOptions): AsyncIterable<Key>;
  /** Reads many keys; results are in the order of `keys`. */
  getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]>;
  /** Writes many entries, in one transaction or round trip where the engine allows. */
  putMany(entries: readonly PutManyEntry[]): Promise<Meta[]>;
  /** Deletes many keys; resolves the number that existed. */
  deleteMany(keys: readonly KeyInput[]): Promise<number>;
  /** Deletes every entry strictly under `prefix` (everything when omitted); resolves the count. */
  clear(prefix?: KeyInput): Promise<number>;
  /** Counts, bytes and location. */
  info(): Promise<BackendInfo>;
  /** A configuration that reopens this store through `openBackend`. */
  toConfig(): BackendConfig;
  /**
   * Stores a value of any size read from a stream, holding about two chunks in memory.
   * A value larger than `chunkBytes` is stored as chunks plus a manifest written last at
   * `key`: that write is the commit, so the value is replaced whole or not at all, and
   * `ifMatch` / `ifAbsent` apply to it atomically. A smaller value is one plain entry.
   * A source that fails or a `signal` that aborts leaves the previous value, and the
   * chunks already written are removed (or by `compact()` after a crash).
   *
   * @example
   * ```ts
   * await store.putStream('traces/run-1', createReadStream('trace.bin'));
   * ```
   */
  putStream(key: KeyInput, source: ByteSource, options?: PutStreamOptions): Promise<Meta>;
  /**
   * Reads a value as a stream of chunks, each verified against its checksum as it is read;
   * `undefined` when absent. A value replaced or deleted while being read errors the stream
   * with `ConditionFailedError` when the chunks it needs are gone.
   *
   * @example
   * ```ts
   * const found = await store.getStream('traces/run-1');
   * if (found) await pipeline(Readable.fromWeb(found.stream), createWriteStream('copy.bin'));
   * ```
   */
  getStream(key: KeyInput): Promise<StreamedValue | undefined>;
  /**
   * Reads `length` bytes from `offset`, reading only the chunks that hold them; the result
   * is shorter when the range passes the end (empty past it); `undefined` when absent.
   */
  getRange(key: KeyInput, offset: number, length: number): Promise<Uint8Array | undefined>;
  /**
   * The one maintenance call: gives back the space of deleted entries and removes
   * leftovers of interrupted writes (chunks of interrupted `putStream`s, SQL `VACUUM`, fs
   * temp files, ...) older than `minAgeMs`.
   */
  compact?(options?: CompactOptions): Promise<CompactReport>;
  /** Releases files and connections. Further calls fail. */
  close(): Promise<void>;
}

/**
 * How {@link Backend}s are opened, beside what the URL or config says: a policy of this
 * one open, never part of the store's config (so `toConfig()` never carries it).
 */
export interface OpenOptions {
  /**
   * `true` (default): a missing file, folder, table or bucket is created. `false`: open an
   * existing store only, and create nothing; a store that is not there is a
   * `StoreNotFoundError`. Reading tools use it so that a typo in a URL fails instead of
   * creating an empty store. Where an empty store leaves nothing behind (Redis, a prefix
   * in an S3 bucket), a store exists once it holds an entry; a memory store exists when
   * it is a named one already open in this process; `void://` always opens.
   */
  create?: boolean | undefined;
}
