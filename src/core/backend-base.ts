import { validateAttrFilter } from './attr-filter.ts';
import type {
  Backend,
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
} from './backend.ts';
import { ChunkedValues, type RawMethods } from './chunked-values.ts';
import {
  CapacityError,
  ConditionFailedError,
  InvalidKeyError,
  OperationError,
  SerializationError,
  StorageError,
} from './errors.ts';
import { isPlainObject, type JsonObject, nonJsonPart } from './json.ts';
import { type Key, type KeyInput, type ParsedKey, parseKey, parsePrefix, prefixRange, splitPath } from './keys.ts';
import { markStoreObject } from './store-object.ts';
import type { ByteSource, PutStreamOptions, StreamedValue } from './streams.ts';

/** The checked options of a list call. */
export interface ListPlan {
  readonly prefix: ParsedKey;
  readonly recursive: boolean;
  readonly after: string | undefined;
  readonly limit: number;
  readonly where: ListOptions['where'];
  /** The text the segment after the prefix starts with (`''`: any). */
  readonly startsWith: string;
  /** Key strings the listing may return, as a half-open range (see `prefixRange`). */
  readonly range: { readonly lower: string; readonly upper: string | undefined };
}

// The backend's own methods that the chunked-value layer reads and writes through.
const RAW_METHODS = [
  'get',
  'stat',
  'put',
  'delete',
  'list',
  'keys',
  'getMany',
  'putMany',
  'deleteMany',
  'clear',
  'info',
  'compact',
] as const;

// The calls close() waits for: the same but listings, and the stream methods. A listing
// still being read when the store closes fails at its next page with the closed-store error.
const TRACKED_METHODS = [
  ...RAW_METHODS.filter((name) => name !== 'list' && name !== 'keys'),
  'putStream',
  'getStream',
  'getRange',
] as const;

/**
 * What every backend shares: argument checks done before any I/O, the closed state,
 * `Symbol.asyncDispose`, and batch defaults that a backend overrides with its
 * engine's own batch operations.
 *
 * `close()` waits for the calls in flight (a `put` not awaited before `close()` still
 * completes, on every backend), then releases the engine; calls made after it resolved
 * fail with an `OperationError`.
 */
export abstract class BaseBackend implements Backend {
  abstract readonly capabilities: Capabilities;
  abstract readonly label: string;
  #closed = false;
  #closing: Promise<void> | undefined;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  readonly #chunked: ChunkedValues | undefined;

  /**
   * @param options.trackCalls count calls in flight so that `close()` waits for them
   *   (default true). A backend whose calls all complete synchronously (memory, void)
   *   turns it off: no call of theirs can still be running when `close()` is called.
   * @param options.chunkedValues store large `putStream` values as chunks through this
   *   backend's own methods (default true). A backend over other backends (tiered) turns
   *   it off and passes streams to the backends below, which chunk them themselves.
   */
  constructor(options: { trackCalls?: boolean; chunkedValues?: boolean } = {}) {
    // Chunked values first, so that the tracking below wraps them too: close() then waits
    // for a put from its first step (reading whether the key holds chunks), not its last.
    // A backend whose own calls complete synchronously is tracked all the same, as the
    // chunked-value layer reads before it writes.
    if (options.chunkedValues !== false) this.#chunked = this.#installChunkedValues();
    if (options.trackCalls !== false || this.#chunked) this.#trackCalls();
  }

  // Large values (chunks + manifest, see chunked-values.ts) wrap the backend's public
  // methods once per instance, so every engine gets them unchanged.
  #installChunkedValues(): ChunkedValues {
    const self = this as unknown as Record<string, unknown>;
    const raw: Record<string, unknown> = {};
    for (const name of RAW_METHODS) {
      const method = self[name];
      if (typeof method === 'function') raw[name] = (method as (...args: unknown[]) => unknown).bind(this);
    }
    const chunked = new ChunkedValues(this, raw as unknown as RawMethods);
    Object.assign(this, chunked.wrappers());
    return chunked;
  }

  #trackCalls(): void {
    // Each call of the contract is counted while it runs, so close() can wait for it.
    // Subclass methods are on the prototype already, so these wrap the subclass's own.
    const self = this as unknown as Record<string, unknown>;
    for (const name of TRACKED_METHODS) {
      const method = self[name];
      if (typeof method !== 'function') continue;
      self[name] = (...args: unknown[]) => {
        this.#inFlight++;
        let pending: Promise<unknown>;
        try {
          pending = method.apply(this, args) as Promise<unknown>;
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(this.#settled, this.#settled);
        return pending;
      };
    }
  }

  /** See {@link Backend.putStream}. */
  async putStream(key: KeyInput, source: ByteSource, options?: PutStreamOptions): Promise<Meta> {
    this.assertOpen();
    return this.#chunkedValues().putStream(key, source, options);
  }

  /** See {@link Backend.getStream}. */
  async getStream(key: KeyInput): Promise<StreamedValue | undefined> {
    this.assertOpen();
    return this.#chunkedValues().getStream(key);
  }

  /** See {@link Backend.getRange}. */
  async getRange(key: KeyInput, offset: number, length: number): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.#chunkedValues().getRange(key, offset, length);
  }

  #chunkedValues(): ChunkedValues {
    if (this.#chunked) return this.#chunked;
    // A backend that turns chunkedValues off overrides the stream methods.
    throw new OperationError('This backend does not store streamed values', { backend: this.label });
  }

  // One function for every call, not a closure per call: a cache hit is a microsecond.
  readonly #settled = (): void => {
    if (--this.#inFlight === 0) this.#idle?.();
  };

  abstract get(key: KeyInput): Promise<StoredValue | undefined>;
  abstract stat(key: KeyInput): Promise<Meta | undefined>;
  abstract put(key: KeyInput, value: Uint8Array, options?: PutOptions): Promise<Meta>;
  abstract delete(key: KeyInput, options?: DeleteOptions): Promise<boolean>;
  abstract list(prefix?: KeyInput, options?: ListOptions): AsyncIterable<ListedEntry>;

  /** Keys only; backends override this where the engine can list keys without metadata. */
  async *keys(prefix?: KeyInput, options?: ListOptions): AsyncIterable<Key> {
    for await (const entry of this.list(prefix, options)) yield entry.key;
  }
  abstract clear(prefix?: KeyInput): Promise<number>;
  abstract info(): Promise<BackendInfo>;
  abstract toConfig(): BackendConfig;
  protected abstract closeResources(): Promise<void>;

  async getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    for (const entry of entries) this.checkPut(entry.key, entry.value, { attrs: entry.attrs });
    const metas: Meta[] = [];
    for (const entry of entries) metas.push(await this.put(entry.key, entry.value, { attrs: entry.attrs }));
    return metas;
  }

  async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    for (const key of keys) this.key(key);
    let removed = 0;
    for (const key of keys) if (await this.delete(key)) removed++;
    return removed;
  }

  /**
   * Waits for the calls in flight, then releases files and connections. Idempotent:
   * a second call waits for the first.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeWhenIdle();
    return this.#closing;
  }

  async #closeWhenIdle(): Promise<void> {
    while (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    this.#idle = undefined;
    this.#closed = true;
    await this.closeResources();
  }

  /** Closes the store at the end of an `await using` block, as {@link BaseBackend.close} does. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** True once `close()` was called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** The first `limit` items of `items`, as arrays of segments when they are `/`-joined paths. */
  protected async *firstKeys(items: AsyncIterable<string> | Iterable<string>, limit: number): AsyncIterable<Key> {
    if (limit <= 0) return;
    let emitted = 0;
    for await (const path of items) {
      yield splitPath(path);
      if (++emitted >= limit) return;
    }
  }

  /**
   * Entries and value bytes, counted through a listing (for engines that keep no totals).
   * Chunks of large values count as entries here, as in an engine's own count; `info()`
   * takes them out.
   */
  protected async countByListing(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    // The engine's own listing, below the layer that hides chunks.
    const list = (Object.getPrototypeOf(this) as BaseBackend).list;
    for await (const { meta } of list.call(this)) {
      entries++;
      bytes += meta.size;
    }
    return { entries, bytes };
  }

  /** Throws the typed "store is closed" error once `close()` was called. */
  protected assertOpen(): void {
    if (this.#closed) throw new OperationError('The store is closed', { backend: this.label });
  }

  /** Validates a key (and that the store is open) before any I/O. */
  protected key(input: KeyInput): ParsedKey {
    this.assertOpen();
    const key = parseKey(input, this.label);
    const max = this.capabilities.maxKeyBytes;
    if (max !== undefined && key.path.length * 3 > max && Buffer.byteLength(key.path) > max) {
      throw new InvalidKeyError(`Key is longer than this backend's ${max} UTF-8 bytes`, {
        key: key.path,
        backend: this.label,
      });
    }
    return key;
  }

  /** Validates a prefix (empty means the whole store). */
  protected prefix(input: KeyInput | undefined): ParsedKey {
    this.assertOpen();
    return parsePrefix(input, this.label);
  }

  /** Validates everything about a put before any I/O. */
  protected checkPut(input: KeyInput, value: Uint8Array, options: PutOptions = {}): ParsedKey {
    const key = this.key(input);
    if (!(value instanceof Uint8Array)) {
      throw new OperationError('A value must be a Uint8Array (use a codec for other values)', {
        key: key.path,
        backend: this.label,
      });
    }
    if (options.ifAbsent && options.ifMatch !== undefined) {
      throw new OperationError('ifAbsent and ifMatch cannot be combined', { key: key.path, backend: this.label });
    }
    if (options.attrs !== undefined) this.#checkAttrs(options.attrs, key.path);
    const maxValue = this.capabilities.maxValueBytes;
    if (maxValue !== undefined && value.byteLength > maxValue) {
      throw new CapacityError(`The value of ${value.byteLength} bytes exceeds this backend's limit of ${maxValue}`, {
        key: key.path,
        backend: this.label,
      });
    }
    options.signal?.throwIfAborted();
    return key;
  }

  // Attributes are stored as JSON, so anything else would come back changed (a Date as a
  // string, NaN as null) on some backends and unchanged on others: refused on all of them.
  #checkAttrs(attrs: unknown, key: string): void {
    if (!isPlainObject(attrs)) {
      throw new OperationError('attrs must be a plain JSON object', { key, backend: this.label });
    }
    const bad = nonJsonPart(attrs, 'attrs');
    if (bad) {
      throw new SerializationError(
        `${bad.path} is ${bad.found}; attributes are JSON: strings, finite numbers, booleans, null, arrays and plain objects`,
        { key, backend: this.label },
      );
    }
  }

  /** Validates list options and fills in defaults. */
  protected planList(prefixInput: KeyInput | undefined, options: ListOptions = {}): ListPlan {
    const prefix = this.prefix(prefixInput);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 0)) throw new OperationError('limit must be a non-negative number', { backend: this.label });
    validateAttrFilter(options.where, this.label);
    const startsWith = options.startsWith ?? '';
    if (typeof startsWith !== 'string' || startsWith.includes('/')) {
      throw new OperationError(`startsWith must be text without '/', got ${JSON.stringify(startsWith)}`, {
        backend: this.label,
      });
    }
    return {
      prefix,
      recursive: options.recursive ?? true,
      after: options.after === undefined ? undefined : parseKey(options.after, this.label).path,
      limit,
      where: options.where,
      startsWith,
      range: prefixRange(prefix.path, startsWith),
    };
  }

  /** The error for a failed `ifMatch` / `ifAbsent`. */
  protected conditionFailed(
    key: string,
    actualEtag: string | undefined,
    options: PutOptions | DeleteOptions,
  ): ConditionFailedError {
    const wanted =
      'ifAbsent' in options && options.ifAbsent ? 'to be absent' : `to have ETag '${options.ifMatch ?? ''}'`;
    const found = actualEtag === undefined ? 'it is absent' : `it has ETag '${actualEtag}'`;
    return new ConditionFailedError(`Condition failed: expected the key ${wanted}, but ${found}`, {
      key,
      backend: this.label,
      actualEtag,
    });
  }

  /** Wraps an unexpected driver or I/O error, keeping typed storage errors as they are. */
  protected wrap(error: unknown, what: string, key?: string): StorageError {
    if (error instanceof StorageError) return error;
    return new OperationError(`${what} failed: ${(error as Error)?.message ?? String(error)}`, {
      key,
      backend: this.label,
      cause: error,
    });
  }
}

/** Copies attrs so stored metadata cannot be changed through the caller's object. */
export function copyAttrs(attrs: JsonObject | undefined): JsonObject {
  return attrs === undefined ? {} : (structuredClone(attrs) as JsonObject);
}

markStoreObject(BaseBackend);
