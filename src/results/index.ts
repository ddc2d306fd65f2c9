export { resultToCsv, setToCsv } from './csv.ts';
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
export { type ResultCompactReport, type ResultMetadata, ResultStore, type ResultStoreOptions } from './result-store.ts';
export {
  createDatabaseStorage,
  createFilesystemStorage,
  createMemoryStorage,
  createStorageManager,
  StorageManager,
  type StorageManagerConfig,
  type StorageManagerOptions,
  type StoreInput,
} from './storage-manager.ts';
