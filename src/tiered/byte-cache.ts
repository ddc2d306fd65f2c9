import type { StoredValue } from '../core/backend.ts';
import { compareKeyPaths, isUnder } from '../core/keys.ts';

/** Which entry a full cache drops first. */
export type CachePolicy = 'lru' | 'fifo';

/** Options of the in-memory cache tier. */
export interface CacheOptions {
  /** Upper bound on cached value bytes. */
  maxBytes: number;
  /** Eviction order (default `lru`). */
  policy?: CachePolicy | undefined;
}

/**
 * A byte-bounded map of recently used entries. Entries larger than the whole cache
 * are not cached. Values are copied in and out.
 */
export class ByteCache {
  readonly maxBytes: number;
  readonly policy: CachePolicy;
  // Map order is insertion order: the front is the next to evict.
  readonly #entries = new Map<string, StoredValue>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(options: CacheOptions) {
    this.maxBytes = options.maxBytes;
    this.policy = options.policy ?? 'lru';
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(path: string): StoredValue | undefined {
    const entry = this.#entries.get(path);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.policy === 'lru') {
      this.#entries.delete(path);
      this.#entries.set(path, entry);
    }
    return { value: new Uint8Array(entry.value), meta: entry.meta };
  }

  has(path: string): boolean {
    return this.#entries.has(path);
  }

  set(path: string, entry: StoredValue): void {
    this.delete(path);
    if (entry.value.byteLength > this.maxBytes) return;
    this.#entries.set(path, { value: new Uint8Array(entry.value), meta: entry.meta });
    this.#bytes += entry.value.byteLength;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.value.byteLength;
    }
  }

  delete(path: string): boolean {
    const entry = this.#entries.get(path);
    if (!entry) return false;
    this.#entries.delete(path);
    this.#bytes -= entry.value.byteLength;
    return true;
  }

  /** Removes entries strictly under `prefix` (everything for `''`); returns the count. */
  deleteUnder(prefix: string): number {
    let n = 0;
    for (const path of [...this.#entries.keys()]) if (isUnder(path, prefix) && this.delete(path)) n++;
    return n;
  }

  /** Entries strictly under `prefix`, in key order. */
  entriesUnder(prefix: string): [string, StoredValue][] {
    return [...this.#entries].filter(([path]) => isUnder(path, prefix)).sort(([a], [b]) => compareKeyPaths(a, b));
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
