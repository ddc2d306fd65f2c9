import { ByteBoundedMap, EVICTION_POLICIES, type EvictionPolicy } from '../backends/kit/byte-bounded-map.ts';
import { CapacityError, OperationError } from '../core/errors.ts';
import type { Key } from '../core/keys.ts';

/**
 * Whole-result eviction for a bounded result store. A result is a header plus one entry
 * per set, so a byte bound on the backend would evict sets on their own and leave
 * results that list but no longer load. Here the unit is the result: the store records
 * each saved result's size and evicts least recently used (or oldest) results whole.
 */
export class ResultEviction {
  readonly #sizes: ByteBoundedMap<number>;
  readonly #evicted: string[] = [];
  readonly #backend: string;

  constructor(maxBytes: number, policy: EvictionPolicy | undefined, backend: string) {
    if (!(Number.isFinite(maxBytes) && maxBytes > 0)) {
      throw new OperationError(`maxBytes must be a positive number, got ${maxBytes}`, { backend });
    }
    if (policy !== undefined && !EVICTION_POLICIES.includes(policy)) {
      throw new OperationError(`Unknown eviction policy '${String(policy)}' (known: ${EVICTION_POLICIES.join(', ')})`, {
        backend,
      });
    }
    this.#backend = backend;
    this.#sizes = new ByteBoundedMap<number>({
      maxBytes,
      policy,
      sizeOf: (bytes) => bytes,
      onEvict: (path) => this.#evicted.push(path),
    });
  }

  /** Refuses, before anything is written, a result that could never fit. */
  checkFits(key: Key, setBytes: number): void {
    if (this.#sizes.tooLarge(setBytes)) {
      throw new CapacityError(
        `The result's sets take ${setBytes} bytes, more than the store's limit of ${this.#sizes.maxBytes}`,
        { key, backend: this.#backend },
      );
    }
  }

  /** Records a saved result; returns the results to evict to make room, oldest first. */
  added(key: Key, bytes: number): Key[] {
    this.#sizes.set(key.join('/'), bytes);
    return this.#evicted.splice(0).map((path) => path.split('/'));
  }

  /** Counts a read of `key` as a use (LRU). */
  used(key: Key): void {
    this.#sizes.get(key.join('/'));
  }

  removed(key: Key): void {
    this.#sizes.delete(key.join('/'));
  }

  renamed(from: Key, to: Key): void {
    const bytes = this.#sizes.peek(from.join('/'));
    this.#sizes.delete(from.join('/'));
    if (bytes !== undefined) this.#sizes.set(to.join('/'), bytes);
  }
}
