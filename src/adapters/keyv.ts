import { EventEmitter } from 'node:events';
import '../builtin-stores.ts';
import type { Backend, BackendConfig } from '../core/backend.ts';
import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import { type Key, type KeyInput, parsePrefix } from '../core/keys.ts';
import { isBackend, resolveStore } from '../core/registry.ts';
import { schemeOf, urlWithoutPassword } from '../core/url.ts';
import { dropExpired, expiresAtFor, isExpired, purgeExpired } from './expiry.ts';
import { escapeSegment } from './segment-escape.ts';

/** Options of {@link KeyvStowage}. */
export interface KeyvStowageOptions {
  /** Backend prefix of this store (default `keyv`). */
  prefix?: KeyInput | undefined;
}

interface StoredRecord {
  value: unknown;
}

const NO_NAMESPACE = '%none';

/**
 * A Keyv storage adapter backed by any stowage backend:
 * `new Keyv({ store: new KeyvStowage('sqlite:./cache.sqlite') })`. Keyv keys map to
 * escaped segments under the namespace; TTLs are stored with each entry, expired entries
 * are never returned, are removed when met, and all at once by {@link purgeExpired}.
 *
 * @example
 * ```ts
 * const keyv = new Keyv({ store: new KeyvStowage('sqlite:./.stowage/keyv.sqlite'), namespace: 'sessions' });
 * await keyv.set('user:1', { name: 'Ana' }, 60_000);
 * ```
 */
export class KeyvStowage extends EventEmitter {
  /** Keyv reads the adapter's options. */
  readonly opts: {
    /** The store URL without its password; empty when opened from a config or a backend. */
    url: string;
    /** The backend type, which Keyv checks before using the iterator. */
    dialect: string;
  };
  /** Set by Keyv: the namespace of the Keyv instance using this store. */
  namespace: string | undefined;
  readonly #backend: Promise<Backend>;
  readonly #root: Key;
  readonly #owns: boolean;

  constructor(backendOrUrl: Backend | string | BackendConfig, options: KeyvStowageOptions = {}) {
    super();
    const given = isBackend(backendOrUrl) ? backendOrUrl : undefined;
    this.#owns = given === undefined;
    this.#backend = resolveStore(backendOrUrl).then((resolved) => resolved.backend);
    // An open failure surfaces on first use; keep it from being reported as unhandled now.
    this.#backend.catch(() => undefined);
    this.#root = parsePrefix(options.prefix ?? 'keyv').segments;
    // Keyv only uses a store's iterator when its dialect is on Keyv's own list (sqlite,
    // postgres, mysql, redis, ...): report the backend's real type.
    const type = given
      ? given.toConfig().type
      : typeof backendOrUrl === 'string'
        ? schemeOf(backendOrUrl)
        : (backendOrUrl as BackendConfig).type;
    this.opts = { url: typeof backendOrUrl === 'string' ? urlWithoutPassword(backendOrUrl) : '', dialect: type };
  }

  /** The value Keyv stored under the key (Keyv's own envelope), `undefined` when absent. */
  async get<Value>(key: string): Promise<Value | undefined> {
    const backend = await this.#backend;
    const hit = await backend.get(this.#key(key));
    if (!hit) return undefined;
    if (isExpired(hit.meta.attrs)) {
      await dropExpired(backend, this.#key(key), hit.meta);
      return undefined;
    }
    return (decodeValue(msgpackCodec, hit.value, { key }) as StoredRecord).value as Value;
  }

  /** Several values in one batch read, in the order asked. */
  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    const backend = await this.#backend;
    const hits = await backend.getMany(keys.map((k) => this.#key(k)));
    return hits.map((hit, i) => {
      if (!hit) return undefined;
      if (isExpired(hit.meta.attrs)) {
        void dropExpired(backend, this.#key(keys[i] as string), hit.meta);
        return undefined;
      }
      return (decodeValue(msgpackCodec, hit.value, { key: keys[i] }) as StoredRecord).value as Value;
    });
  }

  /** Stores Keyv's envelope; `ttl` (ms) is kept so the entry expires in the store too. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const backend = await this.#backend;
    await backend.put(this.#key(key), encodeValue(msgpackCodec, { value }, { key }), { attrs: this.#attrs(key, ttl) });
    return true;
  }

  /** Stores several entries in one batch write. */
  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    const backend = await this.#backend;
    await backend.putMany(
      entries.map((e) => ({
        key: this.#key(e.key),
        value: encodeValue(msgpackCodec, { value: e.value }, { key: e.key }),
        attrs: this.#attrs(e.key, e.ttl),
      })),
    );
  }

  /** Deletes the key; true when it held an unexpired value. */
  async delete(key: string): Promise<boolean> {
    const backend = await this.#backend;
    const meta = await backend.stat(this.#key(key));
    if (!meta) return false;
    await backend.delete(this.#key(key));
    return !isExpired(meta.attrs);
  }

  /** Deletes the keys in one batch; true when any existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const backend = await this.#backend;
    return (await backend.deleteMany(keys.map((k) => this.#key(k)))) > 0;
  }

  /** True when the key holds an unexpired value. */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** {@link KeyvStowage.has} for several keys. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.getMany(keys)).map((v) => v !== undefined);
  }

  /** Removes every entry of this store's namespace. */
  async clear(): Promise<void> {
    const backend = await this.#backend;
    await backend.clear(this.#namespaceKey(this.namespace));
  }

  /** Yields `[key, value]` for every live entry of `namespace`. */
  async *iterator<Value>(namespace?: string): AsyncGenerator<[string, Value], void> {
    const backend = await this.#backend;
    for await (const { key, meta } of backend.list(this.#namespaceKey(namespace ?? this.namespace))) {
      if (isExpired(meta.attrs)) continue;
      const hit = await backend.get(key);
      if (!hit) continue;
      yield [String(meta.attrs.k), (decodeValue(msgpackCodec, hit.value, { key }) as StoredRecord).value as Value];
    }
  }

  /** Deletes every expired entry (all namespaces); resolves the count. */
  async purgeExpired(): Promise<number> {
    return purgeExpired(await this.#backend, this.#root);
  }

  /** Closes the backend when the adapter opened it; a backend passed in stays open. */
  async disconnect(): Promise<void> {
    if (this.#owns) await (await this.#backend).close();
  }

  #namespaceKey(namespace: string | undefined): Key {
    return [...this.#root, namespace ? escapeSegment(namespace) : NO_NAMESPACE];
  }

  #key(key: string): Key {
    return [...this.#namespaceKey(this.namespace), escapeSegment(key)];
  }

  #attrs(key: string, ttl: number | undefined) {
    return { k: key, expiresAt: expiresAtFor(ttl) };
  }
}
