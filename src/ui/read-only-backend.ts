import {
  type Backend,
  type BackendConfig,
  type BackendInfo,
  type Capabilities,
  type Key,
  type KeyInput,
  type ListedEntry,
  type ListOptions,
  type Meta,
  MutationPolicyError,
  type StoredValue,
  type StreamedValue,
} from '../index.ts';

/**
 * A view of a backend that reads and refuses every write, so an explorer started
 * without `--write` cannot change a store whatever a request asks for (the HTTP layer
 * refuses writes too; this is the second lock). Closing the view leaves the store open.
 */
export class ReadOnlyBackend implements Backend {
  readonly #inner: Backend;

  constructor(inner: Backend) {
    this.#inner = inner;
  }

  get capabilities(): Capabilities {
    return this.#inner.capabilities;
  }

  get label(): string {
    return this.#inner.label;
  }

  get(key: KeyInput): Promise<StoredValue | undefined> {
    return this.#inner.get(key);
  }

  stat(key: KeyInput): Promise<Meta | undefined> {
    return this.#inner.stat(key);
  }

  getStream(key: KeyInput): Promise<StreamedValue | undefined> {
    return this.#inner.getStream(key);
  }

  getRange(key: KeyInput, offset: number, length: number): Promise<Uint8Array | undefined> {
    return this.#inner.getRange(key, offset, length);
  }

  list(prefix?: KeyInput, options?: ListOptions): AsyncIterable<ListedEntry> {
    return this.#inner.list(prefix, options);
  }

  keys(prefix?: KeyInput, options?: ListOptions): AsyncIterable<Key> {
    return this.#inner.keys(prefix, options);
  }

  getMany(keys: readonly KeyInput[]): Promise<(StoredValue | undefined)[]> {
    return this.#inner.getMany(keys);
  }

  info(): Promise<BackendInfo> {
    return this.#inner.info();
  }

  toConfig(): BackendConfig {
    return this.#inner.toConfig();
  }

  put(key: KeyInput): Promise<Meta> {
    return this.#refuse('put', key);
  }

  putStream(key: KeyInput): Promise<Meta> {
    return this.#refuse('putStream', key);
  }

  delete(key: KeyInput): Promise<boolean> {
    return this.#refuse('delete', key);
  }

  putMany(): Promise<Meta[]> {
    return this.#refuse('putMany');
  }

  deleteMany(): Promise<number> {
    return this.#refuse('deleteMany');
  }

  clear(prefix?: KeyInput): Promise<number> {
    return this.#refuse('clear', prefix);
  }

  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {}

  async #refuse(operation: string, key?: KeyInput): Promise<never> {
    throw new MutationPolicyError(
      `The explorer is read-only: ${operation} refused (start it with --write to edit attributes or delete entries)`,
      { key: key === '' ? undefined : key, backend: this.#inner.label },
    );
  }
}
