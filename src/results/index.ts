export type { SetSlice } from './columnar-sets.ts';
export { resultToCsv, setToCsv } from './csv.ts';
export {
  type CreateStorageManagerOptions,
  createDatabaseStorage,
  createFilesystemStorage,
  createMemoryStorage,
  createStorageManager,
  type FilesystemStorageOptions,
  type MemoryStorageOptions,
  type OptiScopeBackendType,
} from './factories.ts';
export {
  type Constraint,
  type DesignVariable,
  type Objective,
  OptimizationResult,
  type OptimizationResultInit,
  type OptimizationResultJSON,
  type ProblemDescription,
} from './optimization-result.ts';
export { type Column, ResultSet, type ResultSetJSON } from './result-set.ts';
export {
  type ExportDirectoryOptions,
  type ResultCompactReport,
  type ResultMetadata,
  ResultStore,
  type ResultStoreInfo,
  type ResultStoreOptions,
  type SaveOptions,
} from './result-store.ts';
export { SET_FORMATS, type SetFormat } from './set-formats.ts';
export {
  type ManagerTier,
  StorageManager,
  type StorageManagerConfig,
  type StorageManagerInfo,
  type StorageManagerOptions,
} from './storage-manager.ts';
