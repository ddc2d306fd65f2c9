import { stat } from 'node:fs/promises';
import type { Backend, BackendConfig, BackendInfo } from '../core/backend.ts';
import { NotFoundError } from '../core/errors.ts';
import type { JsonObject, JsonValue } from '../core/json.ts';
import type { Key, KeyInput } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { openBackend } from '../core/registry.ts';
import type { EvictionPolicy } from '../tiered/byte-cache.ts';
import type { SyncOptions, SyncReport } from '../tiered/sync.ts';
import { type SecondaryFailure, type Tier, TieredBackend } from '../tiered/tiered-backend.ts';
import type { OptimizationResult } from './optimization-result.ts';
import type { ResultSet } from './result-set.ts';
import { type ResultMetadata, ResultStore } from './result-store.ts';
import type { SetFormat } from './set-formats.ts';

/** A store given as a URL, a config, or an open backend. */
export type StoreInput = string | BackendConfig | Backend;

async function toBackend(input: StoreInput): Promise<Backend> {
  return typeof input === 'string' || !('get' in input)
    ? openBackend(input as string | BackendConfig)
    : (input as Backend);
}

/** Options of {@link StorageManager}. */
export interface StorageManagerOptions {
  primary: Backend;
  secondary?: Backend | undefined;
  /** Keep recently used entries in memory (default true). */
  useCache?: boolean | undefined;
  /** Cache size in MB (default 100, as OptiScope). */
  cacheSizeMb?: number | undefined;
  /** Cache eviction order (default `lru`). */
  cachePolicy?: EvictionPolicy | undefined;
  /** Called for each write the secondary did not take. */
  onSecondaryError?: ((failure: SecondaryFailure) => void) | undefined;
  /** Backend prefix of the results (default `results`). */
  prefix?: KeyInput | undefined;
}

/** A configuration that {@link StorageManager.fromConfig} reopens. */
export interface StorageManagerConfig {
  readonly primary: BackendConfig;
  readonly secondary?: BackendConfig | undefined;
  readonly useCache: boolean;
  readonly cacheSizeMb: number;
  readonly cachePolicy: EvictionPolicy;
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
  readonly tiered: TieredBackend;
  readonly #results: ResultStore;
  readonly #options: StorageManagerOptions;

  constructor(options: StorageManagerOptions) {
    this.#options = options;
    const useCache = options.useCache ?? true;
    this.tiered = new TieredBackend({
      primary: options.primary,
      secondary: options.secondary,
      cache: useCache
        ? { maxBytes: Math.round((options.cacheSizeMb ?? 100) * 1024 * 1024), policy: options.cachePolicy }
        : undefined,
      onSecondaryError: options.onSecondaryError,
    });
    this.#results = new ResultStore({ backend: this.tiered, prefix: options.prefix });
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
    options: { replicate?: boolean; overwrite?: boolean; metadata?: JsonObject } = {},
  ): Promise<void> {
    await this.#on({ replicate: options.replicate ?? true }).save(key, result, {
      overwrite: options.overwrite ?? true,
      metadata: options.metadata,
    });
  }

  /** Loads from the cache, else the primary, else the secondary (refilling the cache). */
  async load(key: KeyInput, options: { useCache?: boolean } = {}): Promise<OptimizationResult> {
    return this.#on({ useCache: options.useCache ?? true }).load(key);
  }

  /** Loads one set without reading the others. */
  async loadSet(key: KeyInput, name: string, options: { useCache?: boolean } = {}): Promise<ResultSet> {
    return this.#on({ useCache: options.useCache ?? true }).loadSet(key, name);
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

  /** True when the primary (or, with `checkAll`, any tier) holds the result. */
  async exists(key: KeyInput, options: { checkAll?: boolean } = {}): Promise<boolean> {
    if (!options.checkAll) return this.#on({ useCache: false, fallback: false }).exists(key);
    return (await this.whereIs(key)).length > 0;
  }

  /** Result keys on one tier (default the primary). */
  async list(prefix?: KeyInput, options: { from?: Tier } = {}): Promise<string[]> {
    return this.#on({ readFrom: options.from ?? 'primary' }).list(prefix);
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

  /** Deletes every result from the primary and the cache, and with `fromAll` (default true) from the secondary. */
  async clearAll(options: { fromAll?: boolean } = {}): Promise<number> {
    const n = await this.#on({ fromAll: options.fromAll ?? true }).clear();
    this.tiered.clearCache();
    return n;
  }

  /** Counts per tier. */
  async info(): Promise<{ primary: BackendInfo; secondary?: BackendInfo; results: number; cache: JsonValue }> {
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

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /** Upper bound on the results' size in MB; whole results are evicted past it. */
  maxMemoryMb?: number | undefined;
  /** Which results go first: least recently used (`lru`, default) or oldest saved (`fifo`). */
  evictionPolicy?: EvictionPolicy | undefined;
  /** How sets are stored (default `binary`). */
  format?: SetFormat | undefined;
}

/**
 * A result store in memory (OptiScope's `create_memory_storage`). With `maxMemoryMb`,
 * results are evicted whole (header and every set), so a listed result always loads; a
 * result larger than the bound alone is refused with `CapacityError`.
 */
export async function createMemoryStorage(options: MemoryStorageOptions = {}): Promise<ResultStore> {
  rejectUnknownOptions(options, ['maxMemoryMb', 'evictionPolicy', 'format'], 'createMemoryStorage');
  const maxBytes = options.maxMemoryMb === undefined ? undefined : Math.round(options.maxMemoryMb * 1024 * 1024);
  return new ResultStore({
    backend: await openBackend({ type: 'memory' }),
    maxBytes,
    evictionPolicy: options.evictionPolicy,
    format: options.format,
    ownsBackend: true,
  });
}

/** Options of {@link createFilesystemStorage}. */
export interface FilesystemStorageOptions {
  /** fsync each write before it resolves (default true). */
  fsync?: boolean | undefined;
  /** How sets are stored: `binary` (default), `json` or `csv` text. */
  format?: SetFormat | undefined;
  /** Create the folder when absent (default true); with `false` an absent folder is a `NotFoundError`. */
  createIfMissing?: boolean | undefined;
}

/** A result store in a directory (OptiScope's `create_filesystem_storage`). */
export async function createFilesystemStorage(
  basePath: string,
  options: FilesystemStorageOptions = {},
): Promise<ResultStore> {
  rejectUnknownOptions(options, ['fsync', 'format', 'createIfMissing'], 'createFilesystemStorage');
  if (options.createIfMissing === false && !(await isDirectory(basePath))) {
    throw new NotFoundError(`No results folder at ${basePath} (createIfMissing is false)`, {
      backend: `file:${basePath}`,
    });
  }
  return new ResultStore({
    backend: await openBackend({ type: 'fs', root: basePath, fsync: options.fsync }),
    format: options.format,
    ownsBackend: true,
  });
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A result store in a database given by URL: sqlite:, postgres:, mysql:, duckdb: ... (OptiScope's `create_database_storage`). */
export async function createDatabaseStorage(
  url: string,
  options: { format?: SetFormat | undefined } = {},
): Promise<ResultStore> {
  rejectUnknownOptions(options, ['format'], 'createDatabaseStorage');
  return new ResultStore({ backend: await openBackend(url), format: options.format, ownsBackend: true });
}

/** A manager from URLs, configs or backends (OptiScope's `create_storage_manager`). */
export async function createStorageManager(options: {
  primary: StoreInput;
  secondary?: StoreInput | undefined;
  useCache?: boolean | undefined;
  cacheSizeMb?: number | undefined;
  cachePolicy?: EvictionPolicy | undefined;
  onSecondaryError?: ((failure: SecondaryFailure) => void) | undefined;
}): Promise<StorageManager> {
  return new StorageManager({
    ...options,
    primary: await toBackend(options.primary),
    secondary: options.secondary === undefined ? undefined : await toBackend(options.secondary),
  });
}
