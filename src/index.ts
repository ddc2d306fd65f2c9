/**
 * stowage: a typed storage layer for computational results.
 *
 * @packageDocumentation
 */
import './backends/builtin.ts';
import { registerBackend } from './core/registry.ts';

export * from './core/backend.ts';
export { BaseBackend, type ListPlan } from './core/backend-base.ts';
export * from './core/codecs/index.ts';
export * from './core/errors.ts';
export type { JsonObject, JsonPrimitive, JsonValue } from './core/json.ts';
export {
  compareKeyPaths,
  type Key,
  type KeyInput,
  keyToString,
  MAX_SEGMENT_BYTES,
  type ParsedKey,
  parseKey,
  parsePrefix,
} from './core/keys.ts';
export { checksumOf } from './core/meta.ts';
export {
  type BackendDefinition,
  type BackendModule,
  configFromUrl,
  openBackend,
  registerBackend,
  registeredBackendTypes,
} from './core/registry.ts';
export * from './dict/index.ts';
export * from './results/index.ts';
export * from './tiered/index.ts';

// Tiered stores wrap other stores; registered here, above the backends, so that
// openBackend(tiered.toConfig()) reopens every tier.
registerBackend({ type: 'tiered', schemes: [], load: () => import('./tiered/tiered-backend.ts') });

export * from './cas/index.ts';
