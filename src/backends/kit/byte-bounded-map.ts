/** Which entry a full store or cache drops first: least recently used, or oldest written. */
export type EvictionPolicy = 'lru' | 'fifo';

/** The eviction policies, for option checks. */
export const EVICTION_POLICIES: readonly EvictionPolicy[] = ['lru', 'fifo'];

/** Options of {@link ByteBoundedMap}. */
export interface ByteBoundedMapOptions<V> {
  /** Upper bound on the summed sizes; unbounded when absent. */
  maxBytes?: number | undefined;
  /** Eviction order (default `lru`). */
  policy?: EvictionPolicy | undefined;
  /** The size of one value in bytes. */
  sizeOf(value: V): number;
  /** Called for each entry dropped to make room (not for deletes). */
  onEvict?: ((key: string, value: V) => void) | undefined;
}

/**
 * A string-keyed map bounded by the summed byte size of its values, evicting in LRU or
 * FIFO order: the one piece behind the memory backend and the tiered cache.
 *
 * A `Map` keeps insertion order, so its front is always the next entry to evict; LRU
 * moves an entry to the back on each read. That is O(1) per operation with no linked
 * list of our own (lru-cache, the obvious library, has no FIFO order).
 */
export class ByteBoundedMap<V> {
  readonly maxBytes: number | undefined;
  readonly policy: EvictionPolicy;
  readonly #entries = new Map<string, V>();
  readonly #sizeOf: (value: V) => number;
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  readonly #touchOnRead: boolean;
  #bytes = 0;

  constructor(options: ByteBoundedMapOptions<V>) {
    this.maxBytes = options.maxBytes;
    this.policy = options.policy ?? 'lru';
    this.#sizeOf = options.sizeOf;
    this.#onEvict = options.onEvict;
    // Without a bound nothing is ever evicted, so read order need not be kept.
    this.#touchOnRead = this.policy === 'lru' && this.maxBytes !== undefined;
  }

  /** Summed size of the values held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when a value of `bytes` could never be held. */
  tooLarge(bytes: number): boolean {
    return this.maxBytes !== undefined && bytes > this.maxBytes;
  }

  /** The value under `key`, counted as a use for LRU. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined && this.#touchOnRead) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** The value under `key`, without counting a use. */
  peek(key: string): V | undefined {
    return this.#entries.get(key);
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * Stores `value` under `key` (as the newest entry), then evicts older entries until the
   * bound holds again; the entry just stored is never the one evicted. Returns whether
   * `key` is new to the map.
   */
  set(key: string, value: V): boolean {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#bytes -= this.#sizeOf(previous);
      this.#entries.delete(key);
    }
    this.#entries.set(key, value);
    this.#bytes += this.#sizeOf(value);
    this.#evictFor(key);
    return previous === undefined;
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    const value = this.#entries.get(key);
    if (value === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= this.#sizeOf(value);
    return true;
  }

  /** Every key, in eviction order (next to go first). */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** Every entry, in eviction order (next to go first). */
  entries(): IterableIterator<[string, V]> {
    return this.#entries.entries();
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #evictFor(keep: string): void {
    if (this.maxBytes === undefined) return;
    for (const [key, value] of this.#entries) {
      if (this.#bytes <= this.maxBytes) return;
      if (key === keep) continue;
      this.#entries.delete(key);
      this.#bytes -= this.#sizeOf(value);
      this.#onEvict?.(key, value);
    }
  }
}
