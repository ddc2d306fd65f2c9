import type { Backend, BackendConfig } from '../core/backend.ts';
import { type Codec, type CodecInput, decodeValue, encodeValue, resolveCodec } from '../core/codecs/index.ts';
import { ConditionFailedError, MutationPolicyError, NotFoundError, OperationError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import { compareKeyPaths, type Key, type KeyInput, parseKey, parsePrefix } from '../core/keys.ts';
import { openBackend } from '../core/registry.ts';
import { markStoreObject } from '../core/store-object.ts';
import { putBytes } from '../core/streams.ts';
import { DELETE_CURRENT, isJoker, type Joker, KEEP_CURRENT } from './jokers.ts';
import { checkValue, type ValueClass, type ValueSchema } from './value-check.ts';

/** Options of {@link PersiDict}. */
export interface PersiDictOptions<T> {
  /** Where the values live. */
  backend: Backend;
  /** Keys of this dict live under this prefix of the backend. */
  prefix?: KeyInput | undefined;
  /** How values become bytes (default `json`); each codec is its own namespace. */
  codec?: CodecInput | undefined;
  /** When true, existing keys can be neither overwritten nor deleted. */
  appendOnly?: boolean | undefined;
  /** Only values that pass this schema (zod or anything with `safeParse`) are accepted. */
  schema?: ValueSchema<T> | undefined;
  /** Only instances of this class are accepted (`String`, `Number`, `Boolean`, `BigInt` mean the primitives). */
  valueType?: ValueClass | undefined;
  /** Close the backend when the dict is closed (set by {@link PersiDict.open}). */
  ownsBackend?: boolean | undefined;
}

/** Options of the iteration methods. */
export interface IterateOptions {
  /** Only keys under this prefix (relative to the dict). */
  prefix?: KeyInput | undefined;
  /** Yield in key order (UTF-8 byte order); otherwise in the backend's storage order. */
  sorted?: boolean | undefined;
}

/** Options of {@link PersiDict.update}. */
export interface UpdateOptions {
  /** Give up after this many conflicting writers (default 1000). */
  maxAttempts?: number | undefined;
}

/** A configuration that reopens the same dict with {@link PersiDict.fromConfig}. */
export interface PersiDictConfig {
  /** The backend's config. */
  readonly backend: BackendConfig;
  /** The dict's prefix in the backend. */
  readonly prefix: readonly string[];
  /** The codec's name. */
  readonly codec: string;
  /** Whether existing keys are frozen. */
  readonly appendOnly: boolean;
  /** Room for fields later versions add. */
  readonly [extra: string]: JsonValue | BackendConfig | readonly string[] | undefined;
}

interface Located {
  readonly key: Key;
  readonly stored: Key;
  readonly path: string;
}

/**
 * A persistent, typed, async dictionary on any backend (persidict's PersiDict).
 * Keys are hierarchical; values are encoded with a codec and stored under the key's
 * last segment plus `.<codec>` (as persidict's file suffixes), so dicts with different
 * codecs on one prefix never read each other's bytes. ETag operations use the backend's
 * atomic conditional writes, so they hold across processes.
 *
 * @example
 * ```ts
 * const dict = await PersiDict.open<number>('sqlite:./.stowage/dict.sqlite', { valueType: Number });
 * await dict.set('runs/exp-1/best', 0.12);
 * await dict.update('counters/evals', (n = 0) => n + 1);
 * for await (const [key, value] of dict.entries()) console.log(key.join('/'), value);
 * ```
 */
export class PersiDict<T = unknown> implements AsyncDisposable {
  readonly #backend: Backend;
  readonly #prefix: Key;
  readonly #codec: Codec;
  readonly #suffix: string;
  readonly #appendOnly: boolean;
  readonly #schema: ValueSchema<T> | undefined;
  readonly #valueType: ValueClass | undefined;
  readonly #ownsBackend: boolean;

  constructor(options: PersiDictOptions<T>) {
    this.#backend = options.backend;
    this.#prefix = parsePrefix(options.prefix, options.backend.label).segments;
    this.#codec = resolveCodec(options.codec ?? 'json');
    this.#suffix = `.${this.#codec.name}`;
    this.#appendOnly = options.appendOnly ?? false;
    this.#schema = options.schema;
    this.#valueType = options.valueType;
    this.#ownsBackend = options.ownsBackend ?? false;
  }

  /** Opens a backend from a URL or config and puts a dict on it; `close()` closes both. */
  static async open<T = unknown>(
    urlOrConfig: string | BackendConfig,
    options: Omit<PersiDictOptions<T>, 'backend' | 'ownsBackend'> = {},
  ): Promise<PersiDict<T>> {
    return new PersiDict<T>({ ...options, backend: await openBackend(urlOrConfig), ownsBackend: true });
  }

  /** Reopens a dict from {@link toConfig}; `schema` / `valueType` (code, not data) are given again. */
  static async fromConfig<T = unknown>(
    config: PersiDictConfig,
    options: Pick<PersiDictOptions<T>, 'schema' | 'valueType'> = {},
  ): Promise<PersiDict<T>> {
    return PersiDict.open<T>(config.backend, {
      ...options,
      prefix: config.prefix,
      codec: config.codec,
      appendOnly: config.appendOnly,
    });
  }

  /** The backend under this dict. */
  get backend(): Backend {
    return this.#backend;
  }

  /** Reads a value; throws {@link NotFoundError} when the key is absent. */
  async get(key: KeyInput): Promise<T> {
    const found = await this.#read(this.#locate(key));
    if (!found) throw new NotFoundError('No such key in the dict', { key, backend: this.#backend.label });
    return found.value;
  }

  /** Reads a value, or returns `fallback` when the key is absent. */
  async getOrDefault<D = undefined>(key: KeyInput, fallback?: D): Promise<T | D> {
    const found = await this.#read(this.#locate(key));
    return found ? found.value : (fallback as D);
  }

  /** True when the key holds a value. */
  async has(key: KeyInput): Promise<boolean> {
    return (await this.#backend.stat(this.#locate(key).stored)) !== undefined;
  }

  /**
   * Stores a value (a copy: later changes to the object do not reach the store), or
   * applies a joker. Resolves the new ETag (`undefined` for jokers).
   */
  async set(key: KeyInput, value: T | Joker): Promise<string | undefined> {
    const at = this.#locate(key);
    if (value === KEEP_CURRENT) return undefined;
    if (value === DELETE_CURRENT) {
      await this.delete(at.key);
      return undefined;
    }
    const bytes = this.#encode(at, value);
    if (!this.#appendOnly) return (await putBytes(this.#backend, at.stored, bytes)).etag;
    try {
      return (await putBytes(this.#backend, at.stored, bytes, { ifAbsent: true })).etag;
    } catch (error) {
      if (error instanceof ConditionFailedError) throw this.#appendOnlyError(at, 'overwrite');
      throw error;
    }
  }

  /** Deletes a key; resolves `true` if it existed. */
  async delete(key: KeyInput): Promise<boolean> {
    const at = this.#locate(key);
    if (this.#appendOnly) throw this.#appendOnlyError(at, 'delete');
    return this.#backend.delete(at.stored);
  }

  /** persidict's `discard` / `delete_if_exists`: deletes a key if present; resolves `true` if it existed. */
  async discard(key: KeyInput): Promise<boolean> {
    return this.delete(key);
  }

  /**
   * Removes a key and resolves the value it held (atomic: a value written by someone else
   * in between is never removed unseen). When the key is absent, resolves `fallback` if
   * one is given, else throws {@link NotFoundError}.
   */
  async pop(key: KeyInput): Promise<T>;
  async pop<D>(key: KeyInput, fallback: D): Promise<T | D>;
  async pop<D>(key: KeyInput, ...fallback: [] | [D]): Promise<T | D> {
    const at = this.#locate(key);
    if (this.#appendOnly) throw this.#appendOnlyError(at, 'delete');
    for (;;) {
      const current = await this.#read(at);
      if (!current) {
        if (fallback.length > 0) return fallback[0] as D;
        throw new NotFoundError('No such key in the dict', { key: at.path, backend: this.#backend.label });
      }
      try {
        await this.#backend.delete(at.stored, { ifMatch: current.etag });
        return current.value;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
  }

  /**
   * persidict's `setdefault`: the key's value when it has one; otherwise stores `value`
   * (atomically: of two callers racing on an absent key, both get the one value stored)
   * and resolves it.
   */
  async setDefault(key: KeyInput, value: T): Promise<T> {
    const at = this.#locate(key);
    for (;;) {
      const current = await this.#read(at);
      if (current) return current.value;
      try {
        await putBytes(this.#backend, at.stored, this.#encode(at, value), { ifAbsent: true });
        return value;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
  }

  /** The current ETag of a key; throws {@link NotFoundError} when absent. */
  async etag(key: KeyInput): Promise<string> {
    const at = this.#locate(key);
    const meta = await this.#backend.stat(at.stored);
    if (!meta) throw new NotFoundError('No such key in the dict', { key: at.path, backend: this.#backend.label });
    return meta.etag;
  }

  /** Writes only if the key's ETag is still `etag` (atomic); resolves the new ETag or throws {@link ConditionFailedError}. */
  async setIfMatch(key: KeyInput, value: T, etag: string): Promise<string> {
    const at = this.#locate(key);
    if (this.#appendOnly) throw this.#appendOnlyError(at, 'overwrite');
    return (await putBytes(this.#backend, at.stored, this.#encode(at, value), { ifMatch: etag })).etag;
  }

  /** Deletes only if the key's ETag is still `etag` (atomic); throws {@link ConditionFailedError} otherwise. */
  async deleteIfMatch(key: KeyInput, etag: string): Promise<void> {
    const at = this.#locate(key);
    if (this.#appendOnly) throw this.#appendOnlyError(at, 'delete');
    await this.#backend.delete(at.stored, { ifMatch: etag });
  }

  /** Writes only if the key is absent (atomic); resolves `true` if this call wrote it. */
  async setIfAbsent(key: KeyInput, value: T): Promise<boolean> {
    const at = this.#locate(key);
    try {
      await putBytes(this.#backend, at.stored, this.#encode(at, value), { ifAbsent: true });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /**
   * Read-modify-write that retries when another writer got in between, so no update is
   * lost, also across processes. `fn` gets the current value (`undefined` if absent) and
   * returns the new one, or a joker. Resolves the value written (or kept).
   */
  async update(
    key: KeyInput,
    fn: (current: T | undefined) => T | Joker,
    options: UpdateOptions = {},
  ): Promise<T | undefined> {
    const at = this.#locate(key);
    const maxAttempts = options.maxAttempts ?? 1000;
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read(at);
      const next = fn(current?.value);
      try {
        if (next === KEEP_CURRENT) return current?.value;
        if (next === DELETE_CURRENT) {
          if (this.#appendOnly && current) throw this.#appendOnlyError(at, 'delete');
          if (current) await this.#backend.delete(at.stored, { ifMatch: current.etag });
          return undefined;
        }
        if (this.#appendOnly && current) throw this.#appendOnlyError(at, 'overwrite');
        const bytes = this.#encode(at, next);
        await putBytes(this.#backend, at.stored, bytes, current ? { ifMatch: current.etag } : { ifAbsent: true });
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt >= maxAttempts) throw error;
        // Back off a little, more with each conflict, so contending writers spread out.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 20)));
      }
    }
  }

  /** Number of keys in this dict (and its codec namespace). */
  async size(): Promise<number> {
    let n = 0;
    for await (const _ of this.#scanKeys({})) n++;
    return n;
  }

  /** Deletes every key of this dict (only its codec namespace); resolves the count. */
  async clear(): Promise<number> {
    if (this.#appendOnly) {
      throw new MutationPolicyError('This dict is append-only: clear is not allowed', { backend: this.#backend.label });
    }
    const stored: Key[] = [];
    for await (const entry of this.#scanKeys({})) stored.push(entry.stored);
    return this.#backend.deleteMany(stored);
  }

  /** Keys of this dict, relative to its prefix. */
  async *keys(options: IterateOptions = {}): AsyncIterable<Key> {
    for await (const entry of this.#scanKeys(options)) yield entry.key;
  }

  /** Values of this dict. */
  async *values(options: IterateOptions = {}): AsyncIterable<T> {
    for await (const [, value] of this.entries(options)) yield value;
  }

  /** `[key, value]` pairs of this dict. */
  async *entries(options: IterateOptions = {}): AsyncIterable<[Key, T]> {
    const batch: Located[] = [];
    const flush = async function* (this: PersiDict<T>): AsyncIterable<[Key, T]> {
      yield* await this.#readMany(batch);
      batch.length = 0;
    }.bind(this);
    for await (const entry of this.#scanKeys(options)) {
      batch.push(entry);
      if (batch.length >= 100) yield* flush();
    }
    if (batch.length) yield* flush();
  }

  /** `[key, modifiedAt]` pairs (ms since epoch), without reading values. */
  async *timestamps(options: IterateOptions = {}): AsyncIterable<[Key, number]> {
    for await (const entry of this.#scan(options)) yield [entry.key, entry.modifiedAt];
  }

  /** When a key was last written (ms since epoch); throws {@link NotFoundError} when absent. */
  async timestamp(key: KeyInput): Promise<number> {
    const at = this.#locate(key);
    const meta = await this.#backend.stat(at.stored);
    if (!meta) throw new NotFoundError('No such key in the dict', { key: at.path, backend: this.#backend.label });
    return meta.modifiedAt;
  }

  /**
   * The `n` most recently written keys, newest first (persidict's `newest_keys`). Reads
   * the keys' metadata only, never their values.
   */
  async newestKeys(n: number): Promise<Key[]> {
    return (await this.#byModified(n, 'newest')).map((e) => e.key);
  }

  /** The `n` least recently written keys, oldest first (persidict's `oldest_keys`). */
  async oldestKeys(n: number): Promise<Key[]> {
    return (await this.#byModified(n, 'oldest')).map((e) => e.key);
  }

  /** The values of {@link newestKeys}, newest first; only those `n` values are read. */
  async newestValues(n: number): Promise<T[]> {
    return (await this.#readMany(await this.#byModified(n, 'newest'))).map(([, value]) => value);
  }

  /** The values of {@link oldestKeys}, oldest first; only those `n` values are read. */
  async oldestValues(n: number): Promise<T[]> {
    return (await this.#readMany(await this.#byModified(n, 'oldest'))).map(([, value]) => value);
  }

  /**
   * A key chosen uniformly at random, or `undefined` when the dict is empty (persidict's
   * `random_key`). One keys-only pass over the dict, holding one key at a time.
   */
  async randomKey(): Promise<Key | undefined> {
    let chosen: Key | undefined;
    let seen = 0;
    // Reservoir sampling: the i-th key replaces the choice with probability 1/i.
    for await (const entry of this.#scanKeys({})) {
      seen++;
      if (Math.random() * seen < 1) chosen = entry.key;
    }
    return chosen;
  }

  /** A view of the keys under `prefix`, sharing the backend: writes through either are seen by both. */
  subdict(prefix: KeyInput): PersiDict<T> {
    return new PersiDict<T>({
      backend: this.#backend,
      prefix: [...this.#prefix, ...parseKey(prefix, this.#backend.label).segments],
      codec: this.#codec,
      appendOnly: this.#appendOnly,
      schema: this.#schema,
      valueType: this.#valueType,
    });
  }

  /** The parameters that recreate this dict (persidict's `get_params`). */
  getParams(): PersiDictConfig {
    return this.toConfig();
  }

  /** A JSON configuration that {@link PersiDict.fromConfig} reopens. */
  toConfig(): PersiDictConfig {
    return {
      backend: this.#backend.toConfig(),
      prefix: [...this.#prefix],
      codec: this.#codec.name,
      appendOnly: this.#appendOnly,
    };
  }

  /** Closes the backend if this dict opened it. */
  async close(): Promise<void> {
    if (this.#ownsBackend) await this.#backend.close();
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** `for await (const [key, value] of dict)`: the same as {@link entries}. */
  [Symbol.asyncIterator](): AsyncIterator<[Key, T]> {
    return this.entries()[Symbol.asyncIterator]();
  }

  #locate(input: KeyInput): Located {
    const key = parseKey(input, this.#backend.label).segments;
    const last = key[key.length - 1] as string;
    const stored = [...this.#prefix, ...key.slice(0, -1), last + this.#suffix];
    parseKey(stored, this.#backend.label);
    return { key, stored, path: key.join('/') };
  }

  // The dict's own key for a stored key, or undefined for another codec's entry.
  #fromStored(stored: Key): Located | undefined {
    const last = stored[stored.length - 1] as string;
    if (!last.endsWith(this.#suffix) || last.length === this.#suffix.length) return undefined;
    const key = [...stored.slice(this.#prefix.length, -1), last.slice(0, -this.#suffix.length)];
    return { key, stored, path: key.join('/') };
  }

  #scanPrefix(options: IterateOptions): Key {
    const sub = options.prefix === undefined ? [] : parsePrefix(options.prefix, this.#backend.label).segments;
    return [...this.#prefix, ...sub];
  }

  // Keys only: the backend lists them without reading metadata.
  async *#scanKeys(options: IterateOptions): AsyncIterable<Located> {
    const found: Located[] = [];
    for await (const stored of this.#backend.keys(this.#scanPrefix(options))) {
      const entry = this.#fromStored(stored);
      if (!entry) continue;
      if (options.sorted) found.push(entry);
      else yield entry;
    }
    if (options.sorted) yield* found.sort((a, b) => compareKeyPaths(a.path, b.path));
  }

  async *#scan(options: IterateOptions): AsyncIterable<Located & { modifiedAt: number }> {
    const found: (Located & { modifiedAt: number })[] = [];
    for await (const { key: stored, meta } of this.#backend.list(this.#scanPrefix(options))) {
      const located = this.#fromStored(stored);
      if (!located) continue;
      const entry = { ...located, modifiedAt: meta.modifiedAt };
      if (options.sorted) found.push(entry);
      else yield entry;
    }
    if (options.sorted) yield* found.sort((a, b) => compareKeyPaths(a.path, b.path));
  }

  // The n entries written last (or first), keeping only n of them in memory while listing.
  async #byModified(n: number, which: 'newest' | 'oldest'): Promise<Located[]> {
    if (!Number.isInteger(n) || n < 0) {
      throw new OperationError(`The count must be a non-negative integer, got ${n}`, { backend: this.#backend.label });
    }
    const sign = which === 'newest' ? -1 : 1;
    // Sorted best first; ties in time go by key so the answer does not depend on listing order.
    const before = (a: { modifiedAt: number; path: string }, b: { modifiedAt: number; path: string }) =>
      a.modifiedAt !== b.modifiedAt ? sign * (a.modifiedAt - b.modifiedAt) < 0 : compareKeyPaths(a.path, b.path) < 0;
    const best: (Located & { modifiedAt: number })[] = [];
    if (n === 0) return best;
    for await (const entry of this.#scan({})) {
      if (best.length === n && !before(entry, best[n - 1] as Located & { modifiedAt: number })) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(best[mid] as Located & { modifiedAt: number }, entry)) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, entry);
      if (best.length > n) best.pop();
    }
    return best;
  }

  // Reads the values of `entries` in one batch, in their order; keys deleted since they
  // were listed are skipped, as a Map iterator skips them.
  async #readMany(entries: readonly Located[]): Promise<[Key, T][]> {
    const got = await this.#backend.getMany(entries.map((e) => e.stored));
    const out: [Key, T][] = [];
    for (const [i, at] of entries.entries()) {
      const hit = got[i];
      if (hit) out.push([at.key, this.#decode(at, hit.value)]);
    }
    return out;
  }

  async #read(at: Located): Promise<{ value: T; etag: string } | undefined> {
    const hit = await this.#backend.get(at.stored);
    return hit ? { value: this.#decode(at, hit.value), etag: hit.meta.etag } : undefined;
  }

  #encode(at: Located, value: T): Uint8Array {
    if (isJoker(value)) throw new OperationError('A joker cannot be stored as a value', { key: at.path });
    checkValue<T>(
      value,
      { valueType: this.#valueType, schema: this.#schema },
      { key: at.path, backend: this.#backend.label, when: 'write' },
    );
    return encodeValue(this.#codec as Codec<T>, value, { key: at.path, backend: this.#backend.label });
  }

  #decode(at: Located, bytes: Uint8Array): T {
    const value = decodeValue(this.#codec, bytes, { key: at.path, backend: this.#backend.label });
    return checkValue<T>(
      value,
      { valueType: this.#valueType, schema: this.#schema },
      { key: at.path, backend: this.#backend.label, when: 'read' },
    );
  }

  #appendOnlyError(at: Located, action: 'overwrite' | 'delete'): MutationPolicyError {
    return new MutationPolicyError(`This dict is append-only: cannot ${action} an existing key`, {
      key: at.path,
      backend: this.#backend.label,
    });
  }
}

markStoreObject(PersiDict);
