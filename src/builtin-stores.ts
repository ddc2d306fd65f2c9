/*
 * Registers every store type that ships with stowage: the backends, and `tiered`, which
 * stacks other stores. The root module, each layer's public entry, the adapters and the
 * CLI import this one module, so `openBackend(config)` opens any type from any of them.
 * Each type's module (and its driver) is imported only when a store of that type opens.
 */
import './backends/builtin.ts';
import { registerBackend } from './core/registry.ts';

registerBackend({ type: 'tiered', schemes: [], load: () => import('./tiered/tiered-backend.ts') });
