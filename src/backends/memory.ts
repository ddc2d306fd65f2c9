import type {
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
} from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import { CapacityError, OperationError } from '../core/errors.ts';
import { compareKeyPaths, isUnder, type KeyInput } from '../core/keys.ts';
import { makeMeta, verifyValue } from './kit/meta.ts';
import { listSorted } from './kit/sorted-keys.ts';
import { intParam, parseLocalUrl } from './kit/store-url.ts';

/** Which entry a full memory store drops first. */
export type EvictionPolicy = 'lru' | 'fifo';

/** Options of {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /** Upper bound on stored value bytes; the oldest (fifo) or least recently used (lru) entries are evicted. */
  maxBytes?: number | undefined;
  /** Eviction order when `maxBytes` is set (default `lru`). */
  policy?: EvictionPolicy | undefined;
  /** Name of a process-wide store: every backend opened with the same name shares its data. */
  name?: string | undefined;
}

interface Entry {
  value: Uint8Array;
  meta: Meta;
}

class MemoryState {
  // Map iteration order is insertion order: the front is the eviction candidate.
  readonly entries = new Map<string, Entry>();
  bytes = 0;
  sorted: string[] | undefined;
}

const namedStates = new Map<string, MemoryState>();

const CAPABILITIES: Capabilities = {
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
  readonly #maxBytes: number | undefined;
  readonly #policy: EvictionPolicy;
  readonly #name: string | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    super();
    if (options.maxBytes !== undefined && !(Number.isFinite(options.maxBytes) && options.maxBytes > 0)) {
      throw new OperationError('maxBytes must be a positive number', { backend: 'memory' });
    }
    if (options.policy !== undefined && options.policy !== 'lru' && options.policy !== 'fifo') {
      throw new OperationError(`Unknown eviction policy '${String(options.policy)}' (use lru or fifo)`, {
        backend: 'memory',
      });
    }
    this.#maxBytes = options.maxBytes;
    this.#policy = options.policy ?? 'lru';
    this.#name = options.name;
    this.label = options.name ? `memory://${options.name}` : 'memory://';
    if (options.name) {
      const state = namedStates.get(options.name) ?? new MemoryState();
      namedStates.set(options.name, state);
      this.#state = state;
    } else {
      this.#state = new MemoryState();
    }
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const { path } = this.key(input);
    const entry = this.#state.entries.get(path);
    if (!entry) return undefined;
    if (this.#policy === 'lru' && this.#maxBytes !== undefined) this.#touch(path, entry);
    verifyValue(entry.value, entry.meta, path, this.label);
    return { value: new Uint8Array(entry.value), meta: entry.meta };
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const { path } = this.key(input);
    return this.#state.entries.get(path)?.meta;
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    if (this.#maxBytes !== undefined && value.byteLength > this.#maxBytes) {
      throw new CapacityError(`Value of ${value.byteLength} bytes exceeds the store's maxBytes ${this.#maxBytes}`, {
        key: path,
        backend: this.label,
      });
    }
    const previous = this.#state.entries.get(path);
    if (options.ifAbsent && previous) throw this.conditionFailed(path, previous.meta.etag, options);
    if (options.ifMatch !== undefined && previous?.meta.etag !== options.ifMatch) {
      throw this.conditionFailed(path, previous?.meta.etag, options);
    }
    const meta = makeMeta(value, copyAttrs(options.attrs), previous?.meta.createdAt);
    this.#write(path, { value: new Uint8Array(value), meta }, previous);
    return meta;
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const previous = this.#state.entries.get(path);
    if (options.ifMatch !== undefined && previous?.meta.etag !== options.ifMatch) {
      throw this.conditionFailed(path, previous?.meta.etag, options);
    }
    if (!previous) return false;
    this.#remove(path, previous);
    return true;
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    yield* listSorted(this.#sortedKeys(), plan, (path) => this.#state.entries.get(path)?.meta);
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const checked = entries.map((e) => this.checkPut(e.key, e.value, { attrs: e.attrs }));
    if (this.#maxBytes !== undefined) {
      for (const [i, e] of entries.entries()) {
        if (e.value.byteLength > this.#maxBytes) {
          throw new CapacityError(`Value of ${e.value.byteLength} bytes exceeds maxBytes ${this.#maxBytes}`, {
            key: checked[i]?.path,
            backend: this.label,
          });
        }
      }
    }
    return entries.map((e, i) => {
      const path = (checked[i] as { path: string }).path;
      const previous = this.#state.entries.get(path);
      const meta = makeMeta(e.value, copyAttrs(e.attrs), previous?.meta.createdAt);
      this.#write(path, { value: new Uint8Array(e.value), meta }, previous);
      return meta;
    });
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput).path;
    let removed = 0;
    for (const [path, entry] of [...this.#state.entries]) {
      if (isUnder(path, prefix)) {
        this.#remove(path, entry);
        removed++;
      }
    }
    return removed;
  }

  async info(): Promise<BackendInfo> {
    return {
      type: 'memory',
      location: this.label,
      entries: this.#state.entries.size,
      bytes: this.#state.bytes,
      capabilities: this.capabilities,
      details: { maxBytes: this.#maxBytes ?? null, policy: this.#policy },
    };
  }

  toConfig(): BackendConfig {
    return { type: 'memory', maxBytes: this.#maxBytes, policy: this.#policy, name: this.#name };
  }

  protected async closeResources(): Promise<void> {
    // Named stores outlive their handles (that is their purpose); anonymous ones are dropped.
    if (!this.#name) {
      this.#state.entries.clear();
      this.#state.bytes = 0;
      this.#state.sorted = undefined;
    }
  }

  #touch(path: string, entry: Entry): void {
    this.#state.entries.delete(path);
    this.#state.entries.set(path, entry);
  }

  #write(path: string, entry: Entry, previous: Entry | undefined): void {
    const state = this.#state;
    if (previous) {
      state.bytes -= previous.value.byteLength;
      state.entries.delete(path);
    } else {
      state.sorted = undefined;
    }
    state.entries.set(path, entry);
    state.bytes += entry.value.byteLength;
    this.#evict(path);
  }

  #remove(path: string, entry: Entry): void {
    this.#state.entries.delete(path);
    this.#state.bytes -= entry.value.byteLength;
    this.#state.sorted = undefined;
  }

  #evict(keep: string): void {
    if (this.#maxBytes === undefined) return;
    for (const [path, entry] of this.#state.entries) {
      if (this.#state.bytes <= this.#maxBytes) break;
      if (path !== keep) this.#remove(path, entry);
    }
  }

  #sortedKeys(): string[] {
    this.#state.sorted ??= [...this.#state.entries.keys()].sort(compareKeyPaths);
    return this.#state.sorted;
  }
}

/** Parses `memory://` or `memory://name?maxBytes=...&policy=lru`. */
export function configFromUrl(url: string): BackendConfig {
  const parsed = parseLocalUrl(url.replace(/^memory:\/\/([^/?]+)/i, 'memory:///$1'));
  const name = parsed.path.replace(/^\//, '') || undefined;
  return {
    type: 'memory',
    name,
    maxBytes: intParam(parsed.params, 'maxBytes'),
    policy: parsed.params.get('policy') ?? undefined,
  };
}

/** Opens a memory store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<MemoryBackend> {
  return new MemoryBackend({
    maxBytes: config.maxBytes as number | undefined,
    policy: config.policy as EvictionPolicy | undefined,
    name: config.name as string | undefined,
  });
}
