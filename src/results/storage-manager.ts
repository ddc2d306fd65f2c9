import type { Backend, BackendConfig, BackendInfo } from '../core/backend.ts';
import { NotFoundError, OperationError } from '../core/errors.ts';
import type { JsonObject, JsonValue } from '../core/json.ts';
import type { Key, KeyInput } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { isBackend, openBackend } from '../core/registry.ts';
import { markStoreObject } from '../core/store-object.ts';
import type { EvictionPolicy } from '../tiered/byte-cache.ts';
import type { SyncOptions, SyncReport } from '../tiered/sync.ts';
import { type SecondaryFailure, type Tier, TieredBackend } from '../tiered/tiered-backend.ts';
import type { SetSlice } from './columnar-sets.ts';
import type { OptimizationResult } from './optimization-result.ts';
import type { ResultSet } from './result-set.ts';
import { type ResultMetadata, ResultStore, type SaveOptions } from './result-store.ts';

/** A tier of a {@link StorageManager}: an open backend, or a result store (what the factories return). */
export type ManagerTier = Backend | ResultStore;

/** Options of {@link StorageManager}. */
export interface StorageManagerOptions {
  /** Where results live. A `ResultStore` lends its backend and prefix. */
  primary: ManagerTier;
  /** A backup the primary is replicated to, and read from when the primary is down or misses. */
  secondary?: ManagerTier | undefined;
  /** Keep recently used entries in memory (default true). */
  useCache?: boolean | undefined;
  /** Cache size in MB (default 100, as OptiScope). */
  cacheSizeMb?: number | undefined;
  /** Cache eviction order (default `lru`). */
  cachePolicy?: EvictionPolicy | undefined;
  /** Called for each write the secondary did not take. */
  onSecondaryError?: ((failure: SecondaryFailure) => void) | undefined;
  /** Backend prefix of the results (default: the primary result store's, else `results`). */
  prefix?: KeyInput | undefined;
}

const MANAGER_OPTIONS = [
  'primary',
  'secondary',
  'useCache',
  'cacheSizeMb',
  'cachePolicy',
  'onSecondaryError',
  'prefix',
];

function backendOf(tier: ManagerTier, role: string): Backend {
  if (tier instanceof ResultStore) return tier.backend;
  if (isBackend(tier)) return tier;
  throw new OperationError(`The ${role} tier must be an open backend or a ResultStore`);
}

// Tiers mirror keys, so result stores given as tiers must keep their results under one prefix.
function prefixOf(options: StorageManagerOptions): KeyInput | undefined {
  const stores = [options.primary, options.secondary].filter((t): t is ResultStore => t instanceof ResultStore);
  const prefixes = new Set(stores.map((store) => store.prefix.join('/')));
  if (prefixes.size > 1) {
    throw new OperationError(`The tiers' result stores use different prefixes (${[...prefixes].join(', ')})`);
  }
  return options.prefix ?? stores[0]?.prefix;
}

/** What {@link StorageManager.info} reports. */
export interface StorageManagerInfo {
  /** The primary's info. */
  primary: BackendInfo;
  /** The secondary's info, if there is one. */
  secondary?: BackendInfo | undefined;
  /** Results on the primary. */
  results: number;
  /** The cache's counters (entries, bytes, hits, misses), or `null` without a cache. */
  cache: JsonValue;
}

/** A configuration that {@link StorageManager.fromConfig} reopens. */
export interface StorageManagerConfig {
  /** The primary's config. */
  readonly primary: BackendConfig;
  /** The secondary's config, if there is one. */
  readonly secondary?: BackendConfig | undefined;
  /** Whether the cache is on. */
  readonly useCache: boolean;
  /** The cache's size in MB. */
  readonly cacheSizeMb: number;
  /** The cache's eviction order. */
  readonly cachePolicy: EvictionPolicy;
  /** Room for fields later versions add. */
  readonly [extra: string]: JsonValue | BackendConfig | undefined;
}

/**
 * OptiScope's StorageManager: results on a primary store, optionally replicated to a
 * secondary, with an in-memory cache, fallback, migration and sync. Built on
 * {@link TieredBackend} and {@link ResultStore}, so the same tiers also serve any other layer.
 *
 * @example
 * ```ts
 * const manager = await createStorageManager({ primary: 'sqlite:./.stowage/results.sqlite', secondary: 'file:./.stowage/backup' });
 * await manager.save('exp-1', result);
 * const pareto = await manager.loadSet('exp-1', 'pareto');
 * ```
 */
export class StorageManager implements AsyncDisposable {
  /** The tiers as one backend (any layer can sit on it). */
  readonly tiered: TieredBackend;
  readonly #results: ResultStore;
  readonly #options: StorageManagerOptions;

  constructor(options: StorageManagerOptions) {
    rejectUnknownOptions(options, MANAGER_OPTIONS, 'StorageManager');
    const prefix = prefixOf(options);
    this.#options = { ...options, prefix };
    const useCache = options.useCache ?? true;
    this.tiered = new TieredBackend({
      primary: backendOf(options.primary, 'primary'),
      secondary: options.secondary === undefined ? undefined : backendOf(options.secondary, 'secondary'),
      cache: useCache
        ? { maxBytes: Math.round((options.cacheSizeMb ?? 100) * 1024 * 1024), policy: options.cachePolicy }
        : undefined,
      onSecondaryError: options.onSecondaryError,
    });
    this.#results = new ResultStore({ backend: this.tiered, prefix });
  }

  /** Reopens a manager from {@link toConfig}. */
  static async fromConfig(config: StorageManagerConfig): Promise<StorageManager> {
    return new StorageManager({
      primary: await openBackend(config.primary),
      secondary: config.secondary ? await openBackend(config.secondary) : undefined,
      useCache: config.useCache,
      cacheSizeMb: config.cacheSizeMb,
      cachePolicy: config.cachePolicy,
    });
  }

  /** The result store over all tiers (default per-call behaviour). */
  get results(): ResultStore {
    return this.#results;
  }

  #on(view: Parameters<TieredBackend['view']>[0]): ResultStore {
    return this.#results.withBackend(this.tiered.view(view));
  }

  /** Saves to the primary and, with `replicate` (default true), to the secondary. */
  async save(
    key: KeyInput,
    result: OptimizationResult,
    options: SaveOptions & { replicate?: boolean } = {},
  ): Promise<void> {
    const { replicate, ...saveOptions } = options;
    await this.#on({ replicate: replicate ?? true }).save(key, result, saveOptions);
  }

  /** Loads from the cache, else the primary, else (primary down or missing it) the secondary, refilling the cache. */
  async load(key: KeyInput, options: { useCache?: boolean } = {}): Promise<OptimizationResult> {
    return this.#on({ useCache: options.useCache ?? true }).load(key);
  }

  /** Loads one set without reading the others. */
  async loadSet(key: KeyInput, name: string, options: SetSlice & { useCache?: boolean } = {}): Promise<ResultSet> {
    const { useCache, ...slice } = options;
    return this.#on({ useCache: useCache ?? true }).loadSet(key, name, slice);
  }

  /** Saves one set into a stored result. */
  async saveSet(key: KeyInput, name: string, set: ResultSet, options: { replicate?: boolean } = {}): Promise<void> {
    await this.#on({ replicate: options.replicate ?? true }).saveSet(key, name, set);
  }

  /** Deletes from the primary and the cache, and with `fromAll` (default true) from the secondary. */
  async delete(key: KeyInput, options: { fromAll?: boolean } = {}): Promise<void> {
    await this.#on({ fromAll: options.fromAll ?? true }).delete(key);
  }

  /** Renames on every tier. */
  async rename(from: KeyInput, to: KeyInput): Promise<void> {
    await this.#on({ replicate: true, fromAll: true }).rename(from, to);
  }

  /** True when the primary holds the result, or the secondary does when the primary is down or misses it; with `checkAll`, any tier. */
  async exists(key: KeyInput, options: { checkAll?: boolean } = {}): Promise<boolean> {
    if (!options.checkAll) return this.#on({ useCache: false }).exists(key);
    return (await this.whereIs(key)).length > 0;
  }

  /** Result keys on one tier (default the primary, or the secondary when the primary is down). */
  async list(prefix?: KeyInput, options: { from?: Tier } = {}): Promise<string[]> {
    return this.#on({ readFrom: options.from ?? 'primary' }).list(prefix);
  }

  /** Names of a result's sets, with the same fallback as {@link load}. */
  async listSets(key: KeyInput): Promise<string[]> {
    return this.#results.listSets(key);
  }

  /** Which tiers hold the result (OptiScope's `get_result_storage_type`). */
  async whereIs(key: KeyInput): Promise<Tier[]> {
    return this.tiered.whereIs(this.#results.headerKeyOf(key));
  }

  /** Copies a whole result (header and sets) from one tier to another (see {@link TieredBackend.migrateMany}). */
  async migrate(key: KeyInput, from: Tier, to: Tier): Promise<boolean> {
    const [header, ...sets] = await this.#on({ readFrom: from }).entriesOf(key);
    // Sets first, header last: the copy becomes visible only once complete.
    const moved =
      (await this.tiered.migrateMany(sets, from, to)) + (await this.tiered.migrateMany([header as Key], from, to));
    return moved > 0;
  }

  /** Makes primary and secondary agree (see {@link TieredBackend.sync}). */
  async sync(options: SyncOptions = {}): Promise<SyncReport> {
    return this.tiered.sync({ ...options, prefix: options.prefix ?? this.#options.prefix ?? 'results' });
  }

  /** Metadata without loading the result. */
  async getMetadata(key: KeyInput): Promise<ResultMetadata> {
    return this.#results.getMetadata(key);
  }

  /** Merges custom metadata. */
  async updateMetadata(key: KeyInput, patch: JsonObject): Promise<void> {
    await this.#results.updateMetadata(key, patch);
  }

  /** Empties the cache. */
  clearCache(): void {
    this.tiered.clearCache();
  }

  /**
   * Deletes every result from the primary and the cache, and with `fromAll` (default
   * true) from the secondary, including results only the secondary holds. Resolves the
   * number of distinct results removed.
   */
  async clearAll(options: { fromAll?: boolean } = {}): Promise<number> {
    const tiers: Tier[] = options.fromAll === false || !this.tiered.secondary ? ['primary'] : ['primary', 'secondary'];
    const removed = new Set<string>();
    for (const tier of tiers) {
      const onTier = this.#results.withBackend(
        tier === 'primary' ? this.tiered.primary : (this.tiered.secondary as Backend),
      );
      for (const key of await onTier.list()) {
        await onTier.delete(key).catch((error: unknown) => {
          if (!(error instanceof NotFoundError)) throw error;
        });
        removed.add(key);
      }
    }
    this.tiered.clearCache();
    return removed.size;
  }

  /** Counts per tier. */
  async info(): Promise<StorageManagerInfo> {
    const summary = await this.#results.info();
    const info = await this.tiered.info();
    return {
      primary: await this.tiered.primary.info(),
      secondary: await this.tiered.secondary?.info(),
      results: summary.results,
      cache: (info.details?.cache ?? null) as JsonValue,
    };
  }

  /** A configuration that reopens the same manager (no passwords). */
  toConfig(): StorageManagerConfig {
    return {
      primary: this.tiered.primary.toConfig(),
      secondary: this.tiered.secondary?.toConfig(),
      useCache: this.#options.useCache ?? true,
      cacheSizeMb: this.#options.cacheSizeMb ?? 100,
      cachePolicy: this.#options.cachePolicy ?? 'lru',
    };
  }

  /** Closes every tier. */
  async close(): Promise<void> {
    await this.tiered.close();
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

markStoreObject(StorageManager);
