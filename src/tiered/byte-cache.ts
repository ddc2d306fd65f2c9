import { ByteBoundedMap, type EvictionPolicy } from '../backends/kit/byte-bounded-map.ts';
import { copyOut } from '../backends/kit/copy-out.ts';
import type { StoredValue } from '../core/backend.ts';
import { compareKeyPaths, isUnder } from '../core/keys.ts';

export type { EvictionPolicy };

/** Options of the in-memory cache tier. */
export interface CacheOptions {
  /** Upper bound on cached value bytes. */
  maxBytes: number;
  /** Eviction order (default `lru`). */
  policy?: EvictionPolicy | undefined;
}

/**
 * The cache tier: a byte-bounded map of recently used entries (the same map as the
 * memory backend's) that counts hits and misses. Entries larger than the whole cache are
 * not cached. Values are copied in and out, so a caller changing its bytes never changes
 * what the next reader gets.
 */
export class ByteCache {
  readonly #map: ByteBoundedMap<StoredValue>;
  /** Reads answered from the cache. */
  hits = 0;
  /** Reads the cache could not answer. */
  misses = 0;

  constructor(options: CacheOptions) {
    this.#map = new ByteBoundedMap({
      maxBytes: options.maxBytes,
      policy: options.policy,
      sizeOf: (entry) => entry.value.byteLength,
    });
  }

  /** Upper bound on cached value bytes. */
  get maxBytes(): number {
    return this.#map.maxBytes as number;
  }

  /** Eviction order. */
  get policy(): EvictionPolicy {
    return this.#map.policy;
  }

  /** Cached value bytes. */
  get bytes(): number {
    return this.#map.bytes;
  }

  /** Cached entries. */
  get size(): number {
    return this.#map.size;
  }

  /** A copy of the cached entry under `path`, counted as a hit or a miss. */
  get(path: string): StoredValue | undefined {
    const entry = this.#map.get(path);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { value: copyOut(entry.value), meta: entry.meta };
  }

  /** True when `path` is cached (without counting a hit or refreshing its place). */
  has(path: string): boolean {
    return this.#map.has(path);
  }

  /** Caches a copy of `entry` (or drops `path` when the entry could never fit). */
  set(path: string, entry: StoredValue): void {
    if (this.#map.tooLarge(entry.value.byteLength)) {
      this.#map.delete(path);
      return;
    }
    this.#map.set(path, { value: new Uint8Array(entry.value), meta: entry.meta });
  }

  /** Drops `path`; true when it was cached. */
  delete(path: string): boolean {
    return this.#map.delete(path);
  }

  /** Removes entries strictly under `prefix` (everything for `''`); returns the count. */
  deleteUnder(prefix: string): number {
    let n = 0;
    for (const path of [...this.#map.keys()]) if (isUnder(path, prefix) && this.#map.delete(path)) n++;
    return n;
  }

  /** Entries strictly under `prefix`, in key order. */
  entriesUnder(prefix: string): [string, StoredValue][] {
    return [...this.#map.entries()].filter(([path]) => isUnder(path, prefix)).sort(([a], [b]) => compareKeyPaths(a, b));
  }

  /** Drops every entry. */
  clear(): void {
    this.#map.clear();
  }
}
