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

// One entry, linked into the eviction order (head: next to go).
interface Node<V> {
  readonly key: string;
  value: V;
  prev: Node<V> | undefined;
  next: Node<V> | undefined;
}

/**
 * A string-keyed map bounded by the summed byte size of its values, evicting in LRU or
 * FIFO order: the one piece behind the memory backend and the tiered cache.
 *
 * The eviction order is a linked list of the entries. A `Map`'s own insertion order would
 * do without one, but moving an entry to its back is a delete and a set: 0.18 µs per read
 * of 1,000 keys in turn, against 0.08 µs with the list, most of a tiered cache hit.
 * lru-cache, the obvious library, has no FIFO order.
 */
export class ByteBoundedMap<V> {
  readonly maxBytes: number | undefined;
  readonly policy: EvictionPolicy;
  readonly #nodes = new Map<string, Node<V>>();
  #head: Node<V> | undefined;
  #tail: Node<V> | undefined;
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
    return this.#nodes.size;
  }

  /** True when a value of `bytes` could never be held. */
  tooLarge(bytes: number): boolean {
    return this.maxBytes !== undefined && bytes > this.maxBytes;
  }

  /** The value under `key`, counted as a use for LRU. */
  get(key: string): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    if (this.#touchOnRead && node !== this.#tail) {
      this.#unlink(node);
      this.#append(node);
    }
    return node.value;
  }

  /** The value under `key`, without counting a use. */
  peek(key: string): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#nodes.has(key);
  }

  /**
   * Stores `value` under `key` (as the newest entry), then evicts older entries until the
   * bound holds again; the entry just stored is never the one evicted. Returns whether
   * `key` is new to the map.
   */
  set(key: string, value: V): boolean {
    let node = this.#nodes.get(key);
    const isNew = node === undefined;
    if (node === undefined) {
      node = { key, value, prev: undefined, next: undefined };
      this.#nodes.set(key, node);
    } else {
      this.#bytes -= this.#sizeOf(node.value);
      node.value = value;
      this.#unlink(node);
    }
    this.#append(node);
    this.#bytes += this.#sizeOf(value);
    this.#evictFor(node);
    return isNew;
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#remove(node);
    return true;
  }

  /** Every key, in eviction order (next to go first). */
  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** Every entry, in eviction order (next to go first); copy it before changing the map. */
  *entries(): IterableIterator<[string, V]> {
    // The next node is read before yielding, so deleting the current one does not end the walk.
    let node = this.#head;
    while (node !== undefined) {
      const next = node.next;
      yield [node.key, node.value];
      node = next;
    }
  }

  clear(): void {
    this.#nodes.clear();
    this.#head = undefined;
    this.#tail = undefined;
    this.#bytes = 0;
  }

  #append(node: Node<V>): void {
    node.prev = this.#tail;
    node.next = undefined;
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
  }

  #unlink(node: Node<V>): void {
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
  }

  #remove(node: Node<V>): void {
    this.#nodes.delete(node.key);
    this.#unlink(node);
    this.#bytes -= this.#sizeOf(node.value);
  }

  #evictFor(keep: Node<V>): void {
    if (this.maxBytes === undefined) return;
    let node = this.#head;
    while (node !== undefined && this.#bytes > this.maxBytes) {
      const next = node.next;
      if (node !== keep) {
        this.#remove(node);
        this.#onEvict?.(node.key, node.value);
      }
      node = next;
    }
  }
}
