import '../builtin-stores.ts';
import type { Backend, BackendConfig, StoredValue } from '../core/backend.ts';
import { decodeValue, encodeValue, msgpackCodec, textCodec } from '../core/codecs/index.ts';
import { OperationError } from '../core/errors.ts';
import { type Key, type KeyInput, parsePrefix } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { type ResolvedStore, resolveStore, type StoreInput } from '../core/registry.ts';
import { dropExpired, expiresAtFor, isExpired, purgeExpired } from './expiry.ts';
import { escapeSegment, unescapeSegment } from './segment-escape.ts';

/** Options of {@link stowageDriver}. */
export interface StowageDriverOptions {
  /** The store: a URL or config (opened on first use, closed by `dispose`), or an open backend (left open). */
  store?: StoreInput | undefined;
  /** @deprecated Use `store`. A store URL or config. */
  url?: string | BackendConfig | undefined;
  /** @deprecated Use `store`. An open backend. */
  backend?: Backend | undefined;
  /** Backend prefix of this driver's keys (default `unstorage`). */
  prefix?: KeyInput | undefined;
  /** Default time-to-live of items, in seconds (as unstorage's redis driver); none when absent. */
  ttl?: number | undefined;
}

/** Per-call options unstorage passes to `setItem` / `setItemRaw`. */
export interface StowageSetOptions {
  /** Time-to-live of this item, in seconds; it is never returned after that. */
  ttl?: number | undefined;
  [other: string]: unknown;
}

/** unstorage's metadata shape: times, size and ETag of the item (never the driver's own bookkeeping). */
export interface StowageMeta {
  /** When the item was last written. */
  mtime: Date;
  /** When the item was first written. */
  birthtime: Date;
  /** Stored size in bytes. */
  size: number;
  /** The backend's ETag of the item. */
  etag: string;
  /** Seconds left before the item expires, when it has a TTL. */
  ttl?: number | undefined;
  [extra: string]: DriverValue | Date | undefined;
}

/** The driver object unstorage's `createStorage({ driver })` takes. */
export interface StowageDriver {
  /** The driver's name, as unstorage shows it. */
  name: 'stowage';
  /** The options the driver was made with. */
  options: StowageDriverOptions;
  /** The open backend (opened on first use when the driver was given a URL or config). */
  getInstance(): Promise<Backend>;
  /** True when the key holds an item that has not expired. */
  hasItem(key: string): Promise<boolean>;
  /** The item as written by `setItem` (text, parsed as unstorage expects) or `setItemRaw`; `null` when absent. */
  getItem(key: string): Promise<DriverValue>;
  /** Several items in one batch read, in the order asked. */
  getItems(items: { /** The item's key. */ key: string }[]): Promise<
    {
      /** The item's key. */
      key: string;
      /** The item, `null` when absent. */
      value: DriverValue;
    }[]
  >;
  /** The item as raw bytes (`Uint8Array`) when written by `setItemRaw`; `null` when absent. */
  getItemRaw(key: string): Promise<DriverValue>;
  /** Stores text under the key, with an optional TTL in seconds. */
  setItem(key: string, value: string, options?: StowageSetOptions): Promise<void>;
  /** Stores several texts in one batch write. */
  setItems(
    items: { key: string; value: string; options?: StowageSetOptions }[],
    common?: StowageSetOptions,
  ): Promise<void>;
  /** Stores bytes or any value the driver's codec can encode, with an optional TTL in seconds. */
  setItemRaw(key: string, value: unknown, options?: StowageSetOptions): Promise<void>;
  /** Deletes the item; absent keys are no error. */
  removeItem(key: string): Promise<void>;
  /** The item's times, size, ETag and TTL left; `null` when absent. */
  getMeta(key: string): Promise<StowageMeta | null>;
  /** The keys below `base` (unstorage's `:`-separated form), expired items left out. */
  getKeys(base: string): Promise<string[]>;
  /** Deletes every item below `base`. */
  clear(base: string): Promise<void>;
  /** Closes the backend when the driver opened it; a backend passed in stays open. */
  dispose(): Promise<void>;
  /** Deletes every expired item of this driver; resolves the count. */
  purgeExpired(): Promise<number>;
}

/** A value as unstorage stores it. */
export type DriverValue = null | string | number | boolean | object;

// How a value was written: text from setItem, bytes or any value from setItemRaw.
type Kind = 'text' | 'bytes' | 'value';

/**
 * An unstorage driver over any stowage backend:
 * `createStorage({ driver: stowageDriver({ url: 'sqlite:./.stowage/kv.sqlite' }) })`.
 * unstorage's `:`-separated keys become stowage key segments.
 *
 * @example
 * ```ts
 * const storage = createStorage({ driver: stowageDriver({ url: 'sqlite:./.stowage/kv.sqlite' }) });
 * await storage.setItem('users:1', { name: 'Ana' });
 * ```
 */
export function stowageDriver(options: StowageDriverOptions = {}): StowageDriver {
  rejectUnknownOptions(options, ['store', 'url', 'backend', 'prefix', 'ttl'], 'stowageDriver');
  const given = [options.store, options.url, options.backend].filter((s) => s !== undefined);
  if (given.length > 1) throw new OperationError('stowageDriver takes one store: give `store` only');
  const root = parsePrefix(options.prefix ?? 'unstorage').segments;
  let opened: Promise<ResolvedStore> | undefined;
  const resolved = () => {
    opened ??= resolveStore(given[0] ?? 'memory://');
    return opened;
  };
  const backend = async () => (await resolved()).backend;
  const toKey = (key: string | undefined): Key => [
    ...root,
    ...(key ?? '').split(':').filter(Boolean).map(escapeSegment),
  ];
  // A segment too long to escape was hashed; the original key is in the entry's attrs.
  const fromKey = async (key: Key): Promise<string> => {
    const segments = key.slice(root.length);
    if (!segments.some((s) => s.startsWith('%h'))) return segments.map(unescapeSegment).join(':');
    const meta = await (await backend()).stat(key);
    return typeof meta?.attrs.k === 'string' ? meta.attrs.k : segments.map(unescapeSegment).join(':');
  };
  const ttlMs = (set: StowageSetOptions | undefined): number | undefined => {
    const seconds = set?.ttl ?? options.ttl;
    return typeof seconds === 'number' ? seconds * 1000 : undefined;
  };
  const attrsFor = (key: string, kind: Kind, set: StowageSetOptions | undefined) => {
    const expiresAt = expiresAtFor(ttlMs(set));
    // The original key is kept only where the stored one cannot give it back.
    const k = toKey(key).some((s) => s.startsWith('%h')) ? key : undefined;
    return { kind, ...(expiresAt === null ? {} : { expiresAt }), ...(k === undefined ? {} : { k }) };
  };

  // The live entry under `key`, or undefined (an expired one is removed on the way).
  const read = async (key: string): Promise<StoredValue | undefined> => {
    const store = await backend();
    const hit = await store.get(toKey(key));
    if (hit && isExpired(hit.meta.attrs)) {
      await dropExpired(store, toKey(key), hit.meta);
      return undefined;
    }
    return hit;
  };

  const decode = (hit: StoredValue | undefined, key: string, raw: boolean): DriverValue => {
    if (!hit) return null;
    const kind = hit.meta.attrs.kind as Kind;
    if (kind === 'text')
      return raw
        ? new TextEncoder().encode(decodeValue(textCodec, hit.value, { key }))
        : decodeValue(textCodec, hit.value, { key });
    if (kind === 'bytes') return hit.value;
    return decodeValue(msgpackCodec, hit.value, { key }) as DriverValue;
  };

  const encode = (key: string, value: unknown, kind: Kind): Uint8Array =>
    kind === 'text'
      ? encodeValue(textCodec, value as string, { key })
      : kind === 'bytes'
        ? (value as Uint8Array)
        : encodeValue(msgpackCodec, value, { key });

  const write = async (key: string, value: unknown, kind: Kind, set: StowageSetOptions | undefined) => {
    await (await backend()).put(toKey(key), encode(key, value, kind), { attrs: attrsFor(key, kind, set) });
  };

  return {
    name: 'stowage',
    options,
    getInstance: backend,
    async hasItem(key) {
      const meta = await (await backend()).stat(toKey(key));
      return meta !== undefined && !isExpired(meta.attrs);
    },
    async getItem(key) {
      return decode(await read(key), key, false);
    },
    async getItems(items) {
      const hits = await (await backend()).getMany(items.map((i) => toKey(i.key)));
      return items.map((item, i) => {
        const hit = hits[i];
        return { key: item.key, value: decode(hit && !isExpired(hit.meta.attrs) ? hit : undefined, item.key, false) };
      });
    },
    async getItemRaw(key) {
      return decode(await read(key), key, true);
    },
    async setItem(key, value, set) {
      await write(key, value, 'text', set);
    },
    async setItems(items, common) {
      await (await backend()).putMany(
        items.map((i) => ({
          key: toKey(i.key),
          value: encode(i.key, i.value, 'text'),
          attrs: attrsFor(i.key, 'text', { ...common, ...i.options }),
        })),
      );
    },
    async setItemRaw(key, value, set) {
      await write(key, value, value instanceof Uint8Array ? 'bytes' : 'value', set);
    },
    async removeItem(key) {
      await (await backend()).delete(toKey(key));
    },
    async getMeta(key) {
      const meta = await (await backend()).stat(toKey(key));
      if (!meta || isExpired(meta.attrs)) return null;
      const expiresAt = meta.attrs.expiresAt;
      return {
        mtime: new Date(meta.modifiedAt),
        birthtime: new Date(meta.createdAt),
        size: meta.size,
        etag: meta.etag,
        ...(typeof expiresAt === 'number' ? { ttl: Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000)) } : {}),
      };
    },
    async getKeys(base) {
      const keys: string[] = [];
      // With metadata: an expired item is not listed.
      for await (const { key, meta } of (await backend()).list(toKey(base))) {
        if (!isExpired(meta.attrs)) keys.push(await fromKey(key));
      }
      return keys;
    },
    async clear(base) {
      await (await backend()).clear(toKey(base));
    },
    async dispose() {
      const current = opened;
      opened = undefined;
      if (current) {
        const { backend: store, opened: owned } = await current;
        if (owned) await store.close();
      }
    },
    async purgeExpired() {
      return purgeExpired(await backend(), root);
    },
  };
}
