/**
 * stowage: a typed storage layer for computational results.
 *
 * The root exports the backend contract, the errors, the opening functions, codecs by
 * name and the main class of each layer. Everything else of a layer is in its subpath:
 * `stowage/dict`, `stowage/cas`, `stowage/results`, `stowage/tiered`, `stowage/codecs`,
 * and each backend's own (`stowage/sqlite`, `stowage/fs`, ...).
 *
 * @packageDocumentation
 */
import './builtin-stores.ts';

export { CallStore, memoize, ValueStore } from './cas/index.ts';
export type * from './core/backend.ts';
export { BaseBackend } from './core/backend-base.ts';
export {
  type ClassOf,
  type Codec,
  type CodecName,
  getCodec,
  type RegisteredClass,
  registerClass,
  withCompression,
} from './core/codecs/index.ts';
export * from './core/errors.ts';
export type { JsonObject, JsonPrimitive, JsonValue } from './core/json.ts';
export { type Key, type KeyInput, keyToString, MAX_SEGMENT_BYTES } from './core/keys.ts';
export {
  type BackendDefinition,
  type BackendModule,
  configFromUrl,
  isBackend,
  openBackend,
  type ResolvedStore,
  registerBackend,
  registeredBackendTypes,
  resolveStore,
  type StoreInput,
} from './core/registry.ts';
export type { ByteSource, PutStreamOptions, StreamedValue } from './core/streams.ts';
export { DELETE_CURRENT, KEEP_CURRENT, PersiDict } from './dict/index.ts';
export { OptimizationResult, ResultSet, ResultStore, StorageManager } from './results/index.ts';
export { TieredBackend } from './tiered/index.ts';
