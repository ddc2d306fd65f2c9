import { matchesAttrs } from '../core/attr-filter.ts';
import type * as contract from '../core/backend.ts';
import { BaseBackend } from '../core/backend-base.ts';
import { ConditionFailedError, ConnectionError, OperationError, StorageError } from '../core/errors.ts';
import type { JsonValue } from '../core/json.ts';
import { compareKeyPaths, inRange, isDirectChild, type Key, type KeyInput, splitPath } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { openBackend } from '../core/registry.ts';
import { type ByteSource, type PutStreamOptions, type StreamedValue, streamOfBytes } from '../core/streams.ts';
import { ByteCache, type CacheOptions } from './byte-cache.ts';
import { type CopyFailure, copyEntries } from './copy-entries.ts';
import { type SyncDirection, type SyncOptions, type SyncReport, syncTiers } from './sync.ts';

/** The tiers of a {@link TieredBackend}. */
export type Tier = 'cache' | 'primary' | 'secondary';

/** A write or delete the secondary did not take; `sync` repairs it later. */
export interface SecondaryFailure {
  /** The call that failed on the secondary, e.g. `put`, `deleteMany`. */
  operation: string;
  /** The keys it wrote or deleted. */
  keys: string[];
  /** Why it failed. */
  error: StorageError;
}

/** Options of {@link TieredBackend}. */
export interface TieredBackendOptions {
  /** The authoritative store: every acknowledged write is here. */
  primary: contract.Backend;
  /** A copy (backup, archive); its failures never fail a write to the primary. */
  secondary?: contract.Backend | undefined;
  /** An in-memory cache in front of the primary. */
  cache?: CacheOptions | undefined;
  /** Called for each write the secondary did not take. */
  onSecondaryError?: ((failure: SecondaryFailure) => void) | undefined;
  /** A secondary call taking longer than this counts as failed (ms, default 10000). */
  secondaryTimeoutMs?: number | undefined;
  /** Close the tiers when this backend is closed (default true). */
  ownsTiers?: boolean | undefined;
}

/** Per-call behaviour, as OptiScope's StorageManager arguments. */
export interface TierView {
  /** Also write to the secondary (default true). */
  replicate?: boolean | undefined;
  /** Read through the cache (default true). */
  useCache?: boolean | undefined;
  /** Delete from every tier (default true). */
  fromAll?: boolean | undefined;
  /** Where reads and listings go (default `primary`, with fallback to the secondary; `any` checks every tier). */
  readFrom?: 'primary' | 'secondary' | 'cache' | 'any' | undefined;
  /** Consult the secondary when the primary misses or is down (default true). */
  fallback?: boolean | undefined;
}

interface Shared {
  primary: contract.Backend;
  secondary: contract.Backend | undefined;
  cache: ByteCache | undefined;
  options: TieredBackendOptions;
  failures: SecondaryFailure[];
}

// view() hands the tiers it shares to the constructor through this slot (set and read in
// one synchronous step), so the public constructor takes options only.
let viewOf: { shared: Shared; view: TierView } | undefined;

/**
 * A cache, a primary and an optional secondary behind one {@link contract.Backend}, so every
 * layer (PersiDict, ResultStore, the CAS) can sit on it unchanged. Writes go to the
 * primary, then the cache and the secondary; a secondary that fails or hangs is
 * reported, never fatal, and `sync` repairs it. Reads try the cache, then the primary,
 * then fall back to the secondary (when the primary misses or is down) and refill the cache.
 *
 * @example
 * ```ts
 * const tiered = new TieredBackend({ primary: sqlite, secondary: fs, cache: { maxBytes: 64 << 20 } });
 * await tiered.put('a', bytes);          // sqlite, cache, fs
 * await tiered.sync({ direction: 'bidirectional' });
 * ```
 */
export class TieredBackend extends BaseBackend {
  readonly capabilities: contract.Capabilities;
  readonly label: string;
  readonly #s: Shared;
  readonly #view: Required<TierView>;
  readonly #isView: boolean;

  /** Puts the tiers together; the caller keeps ownership of them until `close()`. */
  constructor(options: TieredBackendOptions) {
    // Streams go to the tiers, which store large values as chunks themselves.
    super({ chunkedValues: false });
    const from = viewOf;
    viewOf = undefined;
    this.#s = from?.shared ?? {
      primary: options.primary,
      secondary: options.secondary,
      cache: options.cache ? new ByteCache(options.cache) : undefined,
      options,
      failures: [],
    };
    this.#isView = from !== undefined;
    this.#view = { replicate: true, useCache: true, fromAll: true, readFrom: 'primary', fallback: true, ...from?.view };
    const p = this.#s.primary.capabilities;
    this.capabilities = {
      persistent: p.persistent,
      atomicConditionalWrite: p.atomicConditionalWrite,
      // Another process's writes would not reach this process's cache.
      multiProcess: p.multiProcess && this.#s.cache === undefined,
      queryAttrs: p.queryAttrs,
      atomicBatch: p.atomicBatch,
    };
    this.label = `tiered(${this.#s.primary.label}${this.#s.secondary ? ` + ${this.#s.secondary.label}` : ''})`;
  }

  /** The same tiers with other per-call defaults; closing a view leaves the tiers open. */
  view(view: TierView): TieredBackend {
    viewOf = { shared: this.#s, view: { ...this.#view, ...view } };
    return new TieredBackend(this.#s.options);
  }

  /** The primary tier. */
  get primary(): contract.Backend {
    return this.#s.primary;
  }

  /** The secondary tier, if any. */
  get secondary(): contract.Backend | undefined {
    return this.#s.secondary;
  }

  /** Writes the secondary did not take since the last {@link takeSecondaryFailures}. */
  get secondaryFailures(): readonly SecondaryFailure[] {
    return this.#s.failures;
  }

  /** Returns and forgets the recorded secondary failures. */
  takeSecondaryFailures(): SecondaryFailure[] {
    return this.#s.failures.splice(0);
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    const from = this.#view.readFrom;
    if (from === 'secondary') return this.#s.secondary?.get(path);
    const cache = this.#s.cache;
    if (cache && this.#view.useCache) {
      const hit = cache.get(path);
      if (hit || from === 'cache') return hit;
    } else if (from === 'cache') {
      return undefined;
    }
    const found = await this.#read(path);
    if (found && cache && this.#view.useCache) cache.set(path, found);
    return found;
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    const from = this.#view.readFrom;
    if (from === 'secondary') return this.#s.secondary?.stat(path);
    const cached = this.#s.cache && this.#view.useCache ? this.#s.cache.get(path)?.meta : undefined;
    if (cached || from === 'cache') return cached;
    const meta = await this.#s.primary.stat(path).catch((error: unknown) => this.#whenPrimaryDown(error));
    if (meta !== undefined && meta !== null) return meta;
    const secondary = this.#s.secondary;
    if (!this.#view.fallback || !secondary) return undefined;
    // Primary down or missing it: the secondary answers. Metadata alone is never copied
    // back (a read of the value repairs the primary), so asking never writes.
    return this.#secondaryRead('stat', path, () => secondary.stat(path));
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { path } = this.checkPut(input, value, options);
    let meta: contract.Meta;
    try {
      meta = await this.#s.primary.put(path, value, options);
    } catch (error) {
      // Another writer changed the key: whatever we cached for it is stale.
      if (error instanceof ConditionFailedError) this.#s.cache?.delete(path);
      throw error;
    }
    this.#s.cache?.set(path, { value, meta });
    if (this.#view.replicate) await this.#onSecondary('put', [path], (b) => b.put(path, value, { attrs: meta.attrs }));
    return meta;
  }

  /**
   * Streams the value into the primary (which chunks it), then, with `replicate`, from the
   * primary into the secondary. A large value is not cached; a cached older one is dropped.
   */
  override async putStream(
    input: KeyInput,
    source: ByteSource,
    options: PutStreamOptions = {},
  ): Promise<contract.Meta> {
    const { path } = this.key(input);
    this.#s.cache?.delete(path);
    const meta = await this.#s.primary.putStream(path, source, options);
    if (this.#view.replicate) {
      await this.#onSecondary('putStream', [path], async (b) => {
        const copy = await this.#s.primary.getStream(path);
        if (copy) await b.putStream(path, copy.stream, { attrs: meta.attrs, chunkBytes: options.chunkBytes });
      });
    }
    return meta;
  }

  /** Streams from the cache when it holds the value, else from the primary, else the secondary. */
  override async getStream(input: KeyInput): Promise<StreamedValue | undefined> {
    const { path } = this.key(input);
    if (this.#view.readFrom === 'secondary') return this.#s.secondary?.getStream(path);
    const hit = this.#s.cache && this.#view.useCache ? this.#s.cache.get(path) : undefined;
    if (hit) return { meta: hit.meta, stream: streamOfBytes(hit.value) };
    if (this.#view.readFrom === 'cache') return undefined;
    const found = await this.#s.primary.getStream(path).catch((error: unknown) => this.#whenPrimaryDown(error));
    const secondary = this.#s.secondary;
    if (found || !secondary || !this.#view.fallback) return found ?? undefined;
    return this.#secondaryRead('getStream', path, () => secondary.getStream(path));
  }

  /** Reads a range from the cache, else the primary, else the secondary. */
  override async getRange(input: KeyInput, offset: number, length: number): Promise<Uint8Array | undefined> {
    const { path } = this.key(input);
    if (this.#view.readFrom === 'secondary') return this.#s.secondary?.getRange(path, offset, length);
    const hit = this.#s.cache && this.#view.useCache ? this.#s.cache.get(path) : undefined;
    // The tiers check offset and length; a cache hit still goes through them for that.
    if (hit && Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0) {
      return hit.value.slice(offset, offset + length);
    }
    if (this.#view.readFrom === 'cache') return undefined;
    const found = await this.#s.primary
      .getRange(path, offset, length)
      .catch((error: unknown) => this.#whenPrimaryDown(error));
    const secondary = this.#s.secondary;
    if (found || !secondary || !this.#view.fallback) return found ?? undefined;
    return this.#secondaryRead('getRange', path, () => secondary.getRange(path, offset, length));
  }

  /** Runs the maintenance of each tier (the primary's, then the secondary's) and adds up what they removed. */
  async compact(options?: contract.CompactOptions): Promise<contract.CompactReport> {
    this.assertOpen();
    let removed = 0;
    let orphanChunkSets = 0;
    for (const tier of [this.#s.primary, this.#s.secondary]) {
      if (!tier?.compact) continue;
      const report = await tier.compact(options);
      removed += report.removed;
      const sets = report.details?.orphanChunkSets;
      if (typeof sets === 'number') orphanChunkSets += sets;
    }
    return { removed, details: { orphanChunkSets } };
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    this.#s.cache?.delete(path);
    const existed = await this.#s.primary.delete(path, options);
    let fromSecondary = false;
    if (this.#view.fromAll) {
      await this.#onSecondary('delete', [path], async (b) => {
        fromSecondary = await b.delete(path);
      });
    }
    return existed || fromSecondary;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    const from = this.#view.readFrom;
    if (from === 'cache') {
      let n = 0;
      for (const [path, entry] of this.#s.cache?.entriesUnder(plan.prefix.path) ?? []) {
        if (n >= plan.limit) return;
        if (!inRange(path, plan.range)) continue;
        if (plan.after !== undefined && compareKeyPaths(path, plan.after) <= 0) continue;
        if (!plan.recursive && !isDirectChild(path, plan.prefix.path)) continue;
        if (!matchesAttrs(entry.meta.attrs, plan.where)) continue;
        n++;
        yield { key: splitPath(path), meta: entry.meta };
      }
      return;
    }
    yield* this.#listTier(plan.prefix.segments, options, (b, p, o) => b.list(p, o));
  }

  override async *keys(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<Key> {
    const plan = this.planList(prefixInput, options);
    const from = this.#view.readFrom;
    if (from === 'cache') {
      for await (const { key } of this.list(prefixInput, options)) yield key;
      return;
    }
    yield* this.#listTier(plan.prefix.segments, options, (b, p, o) => b.keys(p, o));
  }

  // list() and keys() share this past the cache (which only list() reads entry by entry).
  async *#listTier<T>(
    prefix: Key,
    options: contract.ListOptions,
    listOf: (backend: contract.Backend, prefix: Key, options: contract.ListOptions) => AsyncIterable<T>,
  ): AsyncIterable<T> {
    const tier = this.#view.readFrom === 'secondary' ? this.#s.secondary : this.#s.primary;
    if (!tier) return;
    if (tier === this.#s.primary && this.#view.fallback && this.#s.secondary) {
      yield* this.#listWithFallback(prefix, options, listOf);
    } else {
      yield* listOf(tier, prefix, options);
    }
  }

  // Lists the primary; when it is down before the first item, lists the secondary instead.
  // A failure part-way through a listing is not hidden: entries would silently go missing.
  async *#listWithFallback<T>(
    prefix: Key,
    options: contract.ListOptions,
    listOf: (backend: contract.Backend, prefix: Key, options: contract.ListOptions) => AsyncIterable<T>,
  ): AsyncIterable<T> {
    const iterator = listOf(this.#s.primary, prefix, options)[Symbol.asyncIterator]();
    let first: IteratorResult<T>;
    try {
      first = await iterator.next();
    } catch (error) {
      this.#whenPrimaryDown(error);
      yield* listOf(this.#s.secondary as contract.Backend, prefix, options);
      return;
    }
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  override async getMany(keys: readonly KeyInput[]): Promise<(contract.StoredValue | undefined)[]> {
    const paths = keys.map((k) => this.key(k).path);
    if (this.#view.readFrom !== 'primary' && this.#view.readFrom !== 'any')
      return Promise.all(paths.map((p) => this.get(p)));
    const cache = this.#view.useCache ? this.#s.cache : undefined;
    const out: (contract.StoredValue | undefined)[] = paths.map((p) => cache?.get(p));
    const missing = paths.map((_p, i) => (out[i] ? -1 : i)).filter((i) => i >= 0);
    if (missing.length) {
      const found = await this.#readMany(missing.map((i) => paths[i] as string));
      for (const [j, i] of missing.entries()) {
        out[i] = found[j];
        if (found[j] && cache) cache.set(paths[i] as string, found[j]);
      }
    }
    return out;
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const paths = entries.map((e) => this.checkPut(e.key, e.value, { attrs: e.attrs }).path);
    const metas = await this.#s.primary.putMany(entries);
    for (const [i, path] of paths.entries())
      this.#s.cache?.set(path, { value: (entries[i] as contract.PutManyEntry).value, meta: metas[i] as contract.Meta });
    if (this.#view.replicate) {
      await this.#onSecondary('putMany', paths, (b) =>
        b.putMany(entries.map((e, i) => ({ key: paths[i] as string, value: e.value, attrs: metas[i]?.attrs }))),
      );
    }
    return metas;
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = keys.map((k) => this.key(k).path);
    for (const p of paths) this.#s.cache?.delete(p);
    const removed = await this.#s.primary.deleteMany(paths);
    if (this.#view.fromAll) await this.#onSecondary('deleteMany', paths, (b) => b.deleteMany(paths));
    return removed;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput);
    this.#s.cache?.deleteUnder(prefix.path);
    const removed = await this.#s.primary.clear(prefix.segments);
    if (this.#view.fromAll) await this.#onSecondary('clear', [prefix.path], (b) => b.clear(prefix.segments));
    return removed;
  }

  /** Empties the cache tier. */
  clearCache(): void {
    this.#s.cache?.clear();
  }

  /** Which tiers hold `key` (OptiScope's `get_result_storage_type`). */
  async whereIs(input: KeyInput): Promise<Tier[]> {
    const { path } = this.key(input);
    const tiers: Tier[] = [];
    if (this.#s.cache?.has(path)) tiers.push('cache');
    if (await this.#s.primary.stat(path).catch(() => undefined)) tiers.push('primary');
    if (this.#s.secondary && (await this.#s.secondary.stat(path).catch(() => undefined))) tiers.push('secondary');
    return tiers;
  }

  /** Copies one entry from one tier to another (see {@link migrateMany}); resolves `false` when `from` lacks it. */
  async migrate(input: KeyInput, from: Tier, to: Tier): Promise<boolean> {
    return (await this.migrateMany([input], from, to)) === 1;
  }

  /**
   * Copies entries (values and attrs) from one tier to another, with {@link copyEntries}
   * between stores: an entry `to` already holds equal is left as it is. Resolves how many
   * of `keys` `from` holds, all of which `to` now holds too. Into the cache the values are
   * loaded as they are; an entry copied into the primary leaves the cache, which held an
   * older version (or none).
   */
  async migrateMany(keys: readonly KeyInput[], from: Tier, to: Tier): Promise<number> {
    const paths = keys.map((k) => this.key(k).path);
    if (to === 'cache') {
      const cache = this.#cacheOrThrow();
      const found = from === 'cache' ? paths.map((p) => cache.get(p)) : await this.#tier(from).getMany(paths);
      for (const [i, hit] of found.entries()) if (hit) cache.set(paths[i] as string, hit);
      return found.filter(Boolean).length;
    }
    if (from === 'cache') this.#cacheOrThrow();
    const source = from === 'cache' ? this.view({ readFrom: 'cache' }) : this.#tier(from);
    const report = await copyEntries(source, this.#tier(to), { keys: paths });
    if (report.errors > 0) throw (report.failures[0] as CopyFailure).error;
    if (to === 'primary') for (const p of paths) this.#s.cache?.delete(p);
    return report.copied + report.skipped;
  }

  /**
   * Makes the secondary and the primary agree under `prefix` ({@link syncTiers}): one way,
   * or both ways with the newer `modifiedAt` winning. Entries with the same bytes and
   * attrs are skipped.
   */
  async sync(options: SyncOptions = {}): Promise<SyncReport> {
    const secondary = this.#s.secondary;
    if (!secondary) throw new OperationError('sync needs a secondary tier', { backend: this.label });
    const report = await syncTiers(this.#s.primary, secondary, options);
    // Entries written to the primary behind the cache's back make cached copies stale.
    if (!options.dryRun && report.copied > 0 && (options.direction ?? 'primaryToSecondary') !== 'primaryToSecondary') {
      this.#s.cache?.deleteUnder(this.prefix(options.prefix).path);
    }
    if (!options.dryRun && report.errors === 0) this.#s.failures.length = 0;
    return report;
  }

  async info(): Promise<contract.BackendInfo> {
    this.prefix(undefined);
    const primary = await this.#s.primary.info();
    const secondary = this.#s.secondary
      ? await this.#s.secondary.info().catch((e: unknown) => ({ error: String(e) }))
      : undefined;
    const cache = this.#s.cache;
    return {
      ...primary,
      type: 'tiered',
      capabilities: this.capabilities,
      details: {
        primary: primary as unknown as JsonValue,
        secondary: (secondary ?? null) as unknown as JsonValue,
        cache: cache
          ? {
              entries: cache.size,
              bytes: cache.bytes,
              maxBytes: cache.maxBytes,
              policy: cache.policy,
              hits: cache.hits,
              misses: cache.misses,
            }
          : null,
        pendingSecondaryFailures: this.#s.failures.length,
      },
    };
  }

  toConfig(): contract.BackendConfig {
    const cache = this.#s.cache;
    return {
      type: 'tiered',
      primary: this.#s.primary.toConfig() as unknown as JsonValue,
      secondary: (this.#s.secondary?.toConfig() ?? undefined) as unknown as JsonValue,
      cache: cache ? { maxBytes: cache.maxBytes, policy: cache.policy } : undefined,
    };
  }

  protected async closeResources(): Promise<void> {
    if (this.#isView || this.#s.options.ownsTiers === false) return;
    this.#s.cache?.clear();
    await this.#s.primary.close();
    await this.#s.secondary?.close();
  }

  #tier(tier: Tier): contract.Backend {
    if (tier === 'primary') return this.#s.primary;
    if (tier === 'secondary' && this.#s.secondary) return this.#s.secondary;
    throw new OperationError(`This tiered store has no ${tier} tier`, { backend: this.label });
  }

  #cacheOrThrow(): ByteCache {
    if (!this.#s.cache) throw new OperationError('This tiered store has no cache tier', { backend: this.label });
    return this.#s.cache;
  }

  // null means "the primary is down, but a secondary may answer"; other errors propagate.
  #whenPrimaryDown(error: unknown): null {
    if (error instanceof ConnectionError && this.#s.secondary && this.#view.fallback) return null;
    throw error;
  }

  /**
   * Reads the primary, falling back to the secondary when the primary misses or is
   * down. A secondary hit found on a primary miss is copied back to the primary (read
   * repair), so the ETag returned is the primary's and conditional writes work on it.
   */
  async #read(path: string): Promise<contract.StoredValue | undefined> {
    const primary = await this.#s.primary.get(path).catch((error: unknown) => this.#whenPrimaryDown(error));
    const secondary = this.#s.secondary;
    if (primary || !secondary || !this.#view.fallback) return primary ?? undefined;
    const copy = await this.#secondaryRead('get', path, () => secondary.get(path));
    if (!copy) return undefined;
    return primary === null ? copy : this.#repair(path, copy);
  }

  async #readMany(paths: string[]): Promise<(contract.StoredValue | undefined)[]> {
    const found = await this.#s.primary.getMany(paths).catch((error: unknown) => this.#whenPrimaryDown(error));
    const secondary = this.#s.secondary;
    if (found && (!secondary || !this.#view.fallback)) return found;
    const missing = paths.filter((_, i) => !found?.[i]);
    if (!secondary || missing.length === 0) return found ?? paths.map(() => undefined);
    const copies = (await this.#secondaryRead('getMany', missing[0] as string, () => secondary.getMany(missing))) ?? [];
    const repaired = new Map<string, contract.StoredValue | undefined>();
    for (const [j, path] of missing.entries()) {
      const copy = copies[j];
      repaired.set(path, copy && found ? await this.#repair(path, copy) : copy);
    }
    return paths.map((path, i) => found?.[i] ?? repaired.get(path));
  }

  async #repair(path: string, copy: contract.StoredValue): Promise<contract.StoredValue | undefined> {
    try {
      const meta = await this.#s.primary.put(path, copy.value, { ifAbsent: true, attrs: copy.meta.attrs });
      return { value: copy.value, meta };
    } catch (error) {
      // Written meanwhile by someone else: the primary's version wins.
      if (error instanceof ConditionFailedError) return this.#s.primary.get(path);
      throw error;
    }
  }

  // A secondary that fails or hangs while we fall back counts as a miss, and is reported.
  async #secondaryRead<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T | undefined> {
    let result: T | undefined;
    await this.#onSecondary(operation, [key], async () => {
      result = await fn();
    });
    return result;
  }

  async #onSecondary(operation: string, keys: string[], fn: (b: contract.Backend) => Promise<unknown>): Promise<void> {
    const secondary = this.#s.secondary;
    if (!secondary) return;
    try {
      await this.#withTimeout(fn(secondary), operation, keys[0] as string);
    } catch (error) {
      const failure: SecondaryFailure = {
        operation,
        keys,
        error: error instanceof StorageError ? error : this.wrap(error, operation, keys[0]),
      };
      this.#s.failures.push(failure);
      this.#s.options.onSecondaryError?.(failure);
    }
  }

  async #withTimeout<T>(promise: Promise<T>, what: string, key: string): Promise<T> {
    const ms = this.#s.options.secondaryTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConnectionError(`The secondary did not answer ${what} within ${ms} ms`, {
              key,
              backend: this.#s.secondary?.label,
            }),
          ),
        ms,
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Parses nothing: tiered stores are configured with objects, not URLs. */
export function configFromUrl(url: string): contract.BackendConfig {
  throw new OperationError(`A tiered store is opened from a config object, not a URL (${url})`);
}

/**
 * Opens a tiered store from {@link TieredBackend.toConfig}'s output; `options` (such as
 * `{ create: false }`) apply to the primary and the secondary. The cache is in memory.
 */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<TieredBackend> {
  const { type: _type, ...given } = config;
  rejectUnknownOptions(given, ['primary', 'secondary', 'cache'], 'a tiered config', { backend: 'tiered' });
  const primary = await openBackend(config.primary as unknown as contract.BackendConfig, options);
  let secondary: contract.Backend | undefined;
  try {
    secondary = config.secondary
      ? await openBackend(config.secondary as unknown as contract.BackendConfig, options)
      : undefined;
  } catch (error) {
    await primary.close().catch(() => undefined);
    throw error;
  }
  return new TieredBackend({ primary, secondary, cache: config.cache as unknown as CacheOptions | undefined });
}

export type { Key, SyncDirection };
