import type * as contract from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import { CapacityError, OperationError, StoreNotFoundError } from '../core/errors.ts';
import { compareKeyPaths, isUnder, type KeyInput } from '../core/keys.ts';
import { type ByteSource, bytesOf, type PutStreamOptions } from '../core/streams.ts';
import { ByteBoundedMap, EVICTION_POLICIES, type EvictionPolicy } from './kit/byte-bounded-map.ts';
import { copyOut } from './kit/copy-out.ts';
import { makeMeta } from './kit/meta.ts';
import { checkKnownParams, checkOptions, optionsFromConfig } from './kit/options.ts';
import { listSorted } from './kit/sorted-keys.ts';
import { intParam, parseLocalUrl } from './kit/store-url.ts';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /** Upper bound on stored value bytes; the oldest (fifo) or least recently used (lru) entries are evicted. */
  maxBytes?: number | undefined;
  /** Eviction order when `maxBytes` is set (default `lru`). */
  policy?: EvictionPolicy | undefined;
  /**
   * Name of a process-wide store: every backend opened with the same name shares its data,
   * and its bound (the first opener's `maxBytes` and `policy`; a later open asking for
   * another bound is refused).
   */
  name?: string | undefined;
}

export type { EvictionPolicy };

interface Entry {
  value: Uint8Array;
  meta: contract.Meta;
}

class MemoryState {
  readonly entries: ByteBoundedMap<Entry>;
  // Key order for listings, rebuilt after the set of keys changed.
  sorted: string[] | undefined;

  constructor(maxBytes: number | undefined, policy: EvictionPolicy | undefined) {
    this.entries = new ByteBoundedMap<Entry>({
      maxBytes,
      policy,
      sizeOf: (entry) => entry.value.byteLength,
      onEvict: () => {
        this.sorted = undefined;
      },
    });
  }
}

const namedStates = new Map<string, MemoryState>();

const CAPABILITIES: contract.Capabilities = {
  persistent: false,
  atomicConditionalWrite: true,
  multiProcess: false,
  queryAttrs: false,
  atomicBatch: true,
};

/**
 * An in-process store: fast, volatile, optionally bounded with LRU or FIFO eviction.
 * Values are copied in and out, so callers can never change stored bytes.
 *
 * @example
 * ```ts
 * const store = new MemoryBackend({ maxBytes: 64 * 1024 * 1024, policy: 'lru' });
 * await store.put('a', new Uint8Array([1, 2, 3]));
 * ```
 */
export class MemoryBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #state: MemoryState;
  readonly #name: string | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    // Every call runs to completion synchronously, so close() has nothing to wait for.
    super({ trackCalls: false });
    checkOptions(options, { maxBytes: 'number', policy: EVICTION_POLICIES, name: 'string' }, 'memory');
    if (options.maxBytes !== undefined && options.maxBytes <= 0) {
      throw new OperationError(
        `The memory backend's option 'maxBytes' must be a number above 0 (got ${options.maxBytes})`,
        { backend: 'memory' },
      );
    }
    this.#name = options.name;
    this.label = options.name ? `memory://${options.name}` : 'memory://';
    this.#state = options.name ? sharedState(options.name, options) : new MemoryState(options.maxBytes, options.policy);
  }

  /**
   * Streams a value in, as every backend does. A store bounded by `maxBytes` keeps each
   * streamed value as one entry, whatever `chunkBytes` says (it is still checked): eviction
   * removes single entries and must never leave part of a value behind.
   */
  override async putStream(key: KeyInput, source: ByteSource, options: PutStreamOptions = {}): Promise<contract.Meta> {
    const limit = this.#state.entries.maxBytes;
    if (limit === undefined) return super.putStream(key, source, options);
    const { path } = this.key(key);
    const { chunkBytes, ...putOptions } = options;
    if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes >= 1)) {
      throw new OperationError(`chunkBytes must be a whole number of at least 1, got ${String(chunkBytes)}`, {
        key: path,
        backend: this.label,
      });
    }
    options.signal?.throwIfAborted();
    const value = await bytesOf(source, limit, { key: path, backend: this.label });
    options.signal?.throwIfAborted();
    return this.put(key, value, putOptions);
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    const entry = this.#state.entries.get(path);
    // No checksum check here: the bytes never leave this process's heap and are copied
    // in and out, so nothing can change them after put computed their checksum.
    return entry ? { value: copyOut(entry.value), meta: entry.meta } : undefined;
  }

  override async getMany(inputs: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    // One promise for the batch instead of one per key, and one allocation for all the
    // copies: a thousand live 1 KB ArrayBuffers at once cost more in GC than the copying
    // (getMany(1000) ran at 0.1-0.3x of 1000 gets). Each value is its own slice, so a
    // caller writing into one changes neither the store nor the other values.
    const found = inputs.map((input) => this.#state.entries.get(this.key(input).path));
    let total = 0;
    for (const entry of found) if (entry) total += entry.value.byteLength;
    const copies = new Uint8Array(total);
    let offset = 0;
    return found.map((entry) => {
      if (!entry) return undefined;
      const value = copies.subarray(offset, offset + entry.value.byteLength);
      value.set(entry.value);
      offset += entry.value.byteLength;
      return { value, meta: entry.meta };
    });
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    return this.#state.entries.peek(path)?.meta;
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    this.#checkFits(path, value);
    const previous = this.#state.entries.peek(path);
    if (options.ifAbsent && previous) throw this.conditionFailed(path, previous.meta.etag, options);
    if (options.ifMatch !== undefined && previous?.meta.etag !== options.ifMatch) {
      throw this.conditionFailed(path, previous?.meta.etag, options);
    }
    // The checksum is taken from the copy just made, still in cache (for a large value's
    // 4 MiB chunks that beat reading the caller's bytes from memory a second time), and
    // is then the checksum of the very bytes kept.
    const stored = new Uint8Array(value);
    const meta = makeMeta(stored, copyAttrs(options.attrs), previous?.meta.createdAt);
    this.#write(path, { value: stored, meta });
    return meta;
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const previous = this.#state.entries.peek(path);
    if (options.ifMatch !== undefined && previous?.meta.etag !== options.ifMatch) {
      throw this.conditionFailed(path, previous?.meta.etag, options);
    }
    if (!previous) return false;
    this.#remove(path);
    return true;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    yield* listSorted(this.#sortedKeys(), plan, (path) => this.#state.entries.peek(path)?.meta);
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    // Every entry is checked before the first is written, so a bad one writes nothing.
    const paths = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      this.#checkFits(path, e.value);
      return path;
    });
    return entries.map((e, i) => {
      const path = paths[i] as string;
      const stored = new Uint8Array(e.value);
      const meta = makeMeta(stored, copyAttrs(e.attrs), this.#state.entries.peek(path)?.meta.createdAt);
      this.#write(path, { value: stored, meta });
      return meta;
    });
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput).path;
    let removed = 0;
    for (const path of [...this.#state.entries.keys()]) {
      if (isUnder(path, prefix)) {
        this.#remove(path);
        removed++;
      }
    }
    return removed;
  }

  async info(): Promise<contract.BackendInfo> {
    return {
      type: 'memory',
      location: this.label,
      entries: this.#state.entries.size,
      bytes: this.#state.entries.bytes,
      capabilities: this.capabilities,
      details: { maxBytes: this.#state.entries.maxBytes ?? null, policy: this.#state.entries.policy },
    };
  }

  toConfig(): contract.BackendConfig {
    const { maxBytes, policy } = this.#state.entries;
    return { type: 'memory', maxBytes, policy, name: this.#name };
  }

  protected async closeResources(): Promise<void> {
    // Named stores outlive their handles (that is their purpose); anonymous ones are dropped.
    if (!this.#name) {
      this.#state.entries.clear();
      this.#state.sorted = undefined;
    }
  }

  #checkFits(path: string, value: Uint8Array): void {
    if (!this.#state.entries.tooLarge(value.byteLength)) return;
    throw new CapacityError(
      `Value of ${value.byteLength} bytes exceeds the store's maxBytes ${this.#state.entries.maxBytes}`,
      { key: path, backend: this.label },
    );
  }

  #write(path: string, entry: Entry): void {
    if (this.#state.entries.set(path, entry)) this.#state.sorted = undefined;
  }

  #remove(path: string): void {
    if (this.#state.entries.delete(path)) this.#state.sorted = undefined;
  }

  #sortedKeys(): string[] {
    this.#state.sorted ??= [...this.#state.entries.keys()].sort(compareKeyPaths);
    return this.#state.sorted;
  }
}

/** Parses `memory://` or `memory://name?maxBytes=...&policy=lru`. */
export function configFromUrl(url: string): contract.BackendConfig {
  const parsed = parseLocalUrl(url.replace(/^memory:\/\/([^/?]+)/i, 'memory:///$1'));
  const name = parsed.path.replace(/^\//, '') || undefined;
  checkKnownParams(parsed.params, ['maxBytes', 'policy'], 'memory');
  return {
    type: 'memory',
    name,
    maxBytes: intParam(parsed.params, 'maxBytes', 'memory'),
    policy: parsed.params.get('policy') ?? undefined,
  };
}

// A named store is made by its first opener; later opens share it, and must not ask for
// another bound, which would otherwise be dropped without a word.
function sharedState(name: string, options: MemoryBackendOptions): MemoryState {
  const existing = namedStates.get(name);
  if (!existing) {
    const state = new MemoryState(options.maxBytes, options.policy);
    namedStates.set(name, state);
    return state;
  }
  const { maxBytes, policy } = existing.entries;
  const asksOther =
    (options.maxBytes !== undefined && options.maxBytes !== maxBytes) ||
    (options.policy !== undefined && options.policy !== policy);
  if (asksOther) {
    throw new OperationError(
      `The memory store '${name}' is open with maxBytes=${maxBytes ?? 'none'} and policy=${policy}; it cannot be reopened with maxBytes=${options.maxBytes ?? 'none'} and policy=${options.policy ?? policy}`,
      { backend: `memory://${name}` },
    );
  }
  return existing;
}

/**
 * Opens a memory store from its config. With `{ create: false }` only a named store
 * already opened in this process opens; an unnamed one is new on every open.
 */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<MemoryBackend> {
  if (options?.create === false && !(typeof config.name === 'string' && namedStates.has(config.name))) {
    const what =
      typeof config.name === 'string'
        ? `No memory store named '${config.name}' is open in this process`
        : 'An unnamed memory store is new on every open';
    throw new StoreNotFoundError(`${what}, and create is false (it opens existing stores only)`, {
      backend: typeof config.name === 'string' ? `memory://${config.name}` : 'memory://',
    });
  }
  return new MemoryBackend(optionsFromConfig<MemoryBackendOptions>(config));
}
