import { stat } from 'node:fs/promises';
import { NotFoundError, OperationError } from '../core/errors.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { isBackend, openBackend, resolveStore, type StoreInput } from '../core/registry.ts';
import type { EvictionPolicy } from '../tiered/byte-cache.ts';
import type { SecondaryFailure } from '../tiered/tiered-backend.ts';
import { ResultStore } from './result-store.ts';
import type { SetFormat } from './set-formats.ts';
import { type ManagerTier, StorageManager } from './storage-manager.ts';

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
    references: true,
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

/** OptiScope's backend type names, for `primaryType` / `secondaryType`. */
export type OptiScopeBackendType = 'memory' | 'filesystem' | 'database';

/** Options of {@link createStorageManager}. */
export interface CreateStorageManagerOptions {
  /** The primary: a URL, a config, an open backend or a result store (from the factories). */
  primary?: StoreInput | ResultStore | undefined;
  /** The secondary, in the same forms. */
  secondary?: StoreInput | ResultStore | undefined;
  /** OptiScope's form: the primary's type, with {@link primaryConfig}. */
  primaryType?: OptiScopeBackendType | undefined;
  /** OptiScope's form: `base_path` (filesystem), `connection_string` (database), `max_memory_mb` (memory); camelCase works too. */
  primaryConfig?: Record<string, unknown> | undefined;
  /** OptiScope's form for the secondary. */
  secondaryType?: OptiScopeBackendType | undefined;
  /** OptiScope's form for the secondary. */
  secondaryConfig?: Record<string, unknown> | undefined;
  /** Keep recently used entries in memory (default true). */
  useCache?: boolean | undefined;
  /** Cache size in MB (default 100). */
  cacheSizeMb?: number | undefined;
  /** Cache eviction order (default `lru`). */
  cachePolicy?: EvictionPolicy | undefined;
  /** Called for each write the secondary did not take. */
  onSecondaryError?: ((failure: SecondaryFailure) => void) | undefined;
}

const CREATE_OPTIONS = [
  'primary',
  'secondary',
  'primaryType',
  'primaryConfig',
  'secondaryType',
  'secondaryConfig',
  'useCache',
  'cacheSizeMb',
  'cachePolicy',
  'onSecondaryError',
];

async function storeOfType(type: OptiScopeBackendType, config: Record<string, unknown> = {}): Promise<ResultStore> {
  const pick = (snake: string, camel: string) => config[camel] ?? config[snake];
  const known = {
    memory: ['max_memory_mb', 'maxMemoryMb', 'eviction_policy', 'evictionPolicy'],
    filesystem: ['base_path', 'basePath', 'fsync', 'format'],
    database: ['connection_string', 'connectionString', 'format'],
  }[type];
  if (!known) throw new OperationError(`Unknown backend type '${String(type)}' (known: memory, filesystem, database)`);
  rejectUnknownOptions(config, known, `the ${type} backend config`);
  if (type === 'memory') {
    return createMemoryStorage({
      maxMemoryMb: pick('max_memory_mb', 'maxMemoryMb') as number | undefined,
      evictionPolicy: pick('eviction_policy', 'evictionPolicy') as EvictionPolicy | undefined,
    });
  }
  if (type === 'filesystem') {
    const path = pick('base_path', 'basePath');
    if (typeof path !== 'string') throw new OperationError('The filesystem backend needs base_path');
    return createFilesystemStorage(path, {
      fsync: config.fsync as boolean | undefined,
      format: config.format as SetFormat,
    });
  }
  const url = pick('connection_string', 'connectionString');
  if (typeof url !== 'string') throw new OperationError('The database backend needs connection_string');
  return createDatabaseStorage(url, { format: config.format as SetFormat | undefined });
}

async function tierOf(
  given: StoreInput | ResultStore | undefined,
  type: OptiScopeBackendType | undefined,
  config: Record<string, unknown> | undefined,
  role: string,
): Promise<ManagerTier | undefined> {
  if (given !== undefined && type !== undefined) {
    throw new OperationError(`Give the ${role} as ${role} or as ${role}Type with ${role}Config, not both`);
  }
  if (type !== undefined) return storeOfType(type, config);
  if (config !== undefined) throw new OperationError(`${role}Config needs ${role}Type`);
  if (given === undefined || given instanceof ResultStore || isBackend(given)) return given;
  return (await resolveStore(given)).backend;
}

/**
 * A manager from URLs, configs, backends or result stores (OptiScope's
 * `create_storage_manager`), also in OptiScope's own form.
 *
 * @example
 * ```ts
 * const a = await createStorageManager({ primary: 'sqlite:./.stowage/results.sqlite', secondary: 'file:./.stowage/backup' });
 * const b = await createStorageManager({ primary: await createDatabaseStorage('sqlite:./.stowage/r.sqlite') });
 * const c = await createStorageManager({ primaryType: 'filesystem', primaryConfig: { base_path: './results_store' }, cacheSizeMb: 200 });
 * ```
 */
export async function createStorageManager(options: CreateStorageManagerOptions): Promise<StorageManager> {
  rejectUnknownOptions(options, CREATE_OPTIONS, 'createStorageManager');
  const primary = await tierOf(options.primary, options.primaryType, options.primaryConfig, 'primary');
  if (primary === undefined) throw new OperationError('createStorageManager needs a primary');
  const secondary = await tierOf(options.secondary, options.secondaryType, options.secondaryConfig, 'secondary');
  return new StorageManager({
    primary,
    secondary,
    useCache: options.useCache,
    cacheSizeMb: options.cacheSizeMb,
    cachePolicy: options.cachePolicy,
    onSecondaryError: options.onSecondaryError,
  });
}
