import '../builtin-stores.ts';
import type { Backend, BackendConfig, StoredValue } from '../core/backend.ts';
import { decodeValue, encodeValue, msgpackCodec, textCodec } from '../core/codecs/index.ts';
import type { JsonObject } from '../core/json.ts';
import { type Key, type KeyInput, parsePrefix } from '../core/keys.ts';
import { openBackend } from '../core/registry.ts';
import { escapeSegment, unescapeSegment } from './segment-escape.ts';

/** Options of {@link stowageDriver}. */
export interface StowageDriverOptions {
  /** A store URL or config (opened on first use), or an open backend. */
  url?: string | BackendConfig | undefined;
  backend?: Backend | undefined;
  /** Backend prefix of this driver's keys (default `unstorage`). */
  prefix?: KeyInput | undefined;
}

/** unstorage's metadata shape, plus stowage's own. */
export interface StowageMeta {
  mtime: Date;
  birthtime: Date;
  size: number;
  etag: string;
  attrs: JsonObject;
  [extra: string]: DriverValue | Date | undefined;
}

/** The driver object unstorage's `createStorage({ driver })` takes. */
export interface StowageDriver {
  name: 'stowage';
  options: StowageDriverOptions;
  getInstance(): Promise<Backend>;
  hasItem(key: string): Promise<boolean>;
  getItem(key: string): Promise<DriverValue>;
  getItems(items: { key: string }[]): Promise<{ key: string; value: DriverValue }[]>;
  getItemRaw(key: string): Promise<DriverValue>;
  setItem(key: string, value: string): Promise<void>;
  setItems(items: { key: string; value: string }[]): Promise<void>;
  setItemRaw(key: string, value: unknown): Promise<void>;
  removeItem(key: string): Promise<void>;
  getMeta(key: string): Promise<StowageMeta | null>;
  getKeys(base: string): Promise<string[]>;
  clear(base: string): Promise<void>;
  dispose(): Promise<void>;
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
  const root = parsePrefix(options.prefix ?? 'unstorage').segments;
  let opened: Promise<Backend> | undefined;
  const backend = () => {
    opened ??= options.backend ? Promise.resolve(options.backend) : openBackend(options.url ?? 'memory://');
    return opened;
  };
  const toKey = (key: string | undefined): Key => [
    ...root,
    ...(key ?? '').split(':').filter(Boolean).map(escapeSegment),
  ];
  const fromKey = (key: Key): string => key.slice(root.length).map(unescapeSegment).join(':');

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

  const write = async (key: string, value: unknown, kind: Kind) => {
    const bytes =
      kind === 'text'
        ? encodeValue(textCodec, value as string, { key })
        : kind === 'bytes'
          ? (value as Uint8Array)
          : encodeValue(msgpackCodec, value, { key });
    await (await backend()).put(toKey(key), bytes, { attrs: { kind } });
  };

  return {
    name: 'stowage',
    options,
    getInstance: backend,
    async hasItem(key) {
      return (await (await backend()).stat(toKey(key))) !== undefined;
    },
    async getItem(key) {
      return decode(await (await backend()).get(toKey(key)), key, false);
    },
    async getItems(items) {
      const hits = await (await backend()).getMany(items.map((i) => toKey(i.key)));
      return items.map((item, i) => ({ key: item.key, value: decode(hits[i], item.key, false) }));
    },
    async getItemRaw(key) {
      return decode(await (await backend()).get(toKey(key)), key, true);
    },
    async setItem(key, value) {
      await write(key, value, 'text');
    },
    async setItems(items) {
      await (await backend()).putMany(
        items.map((i) => ({
          key: toKey(i.key),
          value: encodeValue(textCodec, i.value, { key: i.key }),
          attrs: { kind: 'text' },
        })),
      );
    },
    async setItemRaw(key, value) {
      await write(key, value, value instanceof Uint8Array ? 'bytes' : 'value');
    },
    async removeItem(key) {
      await (await backend()).delete(toKey(key));
    },
    async getMeta(key) {
      const meta = await (await backend()).stat(toKey(key));
      if (!meta) return null;
      return {
        mtime: new Date(meta.modifiedAt),
        birthtime: new Date(meta.createdAt),
        size: meta.size,
        etag: meta.etag,
        attrs: meta.attrs,
      };
    },
    async getKeys(base) {
      const keys: string[] = [];
      for await (const { key } of (await backend()).list(toKey(base))) keys.push(fromKey(key));
      return keys;
    },
    async clear(base) {
      await (await backend()).clear(toKey(base));
    },
    async dispose() {
      if (opened && !options.backend) await (await opened).close();
      opened = undefined;
    },
  };
}
