import type { Backend, BackendConfig } from './backend.ts';
import { OperationError } from './errors.ts';
import { schemeOf } from './url.ts';

/** How a backend type is recognised and built; registered once per type. */
export interface BackendDefinition {
  /** The `type` of its configs, e.g. `sqlite`. */
  readonly type: string;
  /** URL schemes that open it, e.g. `['sqlite']`, `['postgres', 'postgresql']`. */
  readonly schemes: readonly string[];
  /** Loads the backend's module on first use, so unused drivers are never imported. */
  readonly load: () => Promise<BackendModule>;
}

/** What a backend module exports for {@link openBackend}. */
export interface BackendModule {
  /** Turns a URL into a config (without connecting). */
  configFromUrl(url: string): BackendConfig;
  /** Opens the store a config describes. */
  openFromConfig(config: BackendConfig): Promise<Backend>;
}

const byType = new Map<string, BackendDefinition>();
const byScheme = new Map<string, BackendDefinition>();

/** Registers a backend type so {@link openBackend} can open its URLs and configs. */
export function registerBackend(definition: BackendDefinition): void {
  byType.set(definition.type, definition);
  for (const scheme of definition.schemes) byScheme.set(scheme, definition);
}

/** The registered backend types. */
export function registeredBackendTypes(): string[] {
  return [...byType.keys()].sort();
}

function definitionFor(urlOrConfig: string | BackendConfig): BackendDefinition {
  if (typeof urlOrConfig === 'string') {
    const scheme = schemeOf(urlOrConfig);
    const found = byScheme.get(scheme);
    if (!found) {
      throw new OperationError(`No backend for URL scheme '${scheme}:' (known: ${[...byScheme.keys()].join(', ')})`);
    }
    return found;
  }
  const found = byType.get(urlOrConfig.type);
  if (!found) {
    throw new OperationError(
      `No backend of type '${urlOrConfig.type}' (known: ${registeredBackendTypes().join(', ')})`,
    );
  }
  return found;
}

/** Parses a store URL into its config without opening it. */
export async function configFromUrl(url: string): Promise<BackendConfig> {
  const module = await definitionFor(url).load();
  return module.configFromUrl(url);
}

/**
 * Opens a store from a URL or from a config returned by `toConfig()`.
 *
 * @example
 * ```ts
 * await using store = await openBackend('sqlite:./.stowage/store.sqlite');
 * await store.put('a/b', new TextEncoder().encode('hi'));
 * ```
 */
export async function openBackend(urlOrConfig: string | BackendConfig): Promise<Backend> {
  const module = await definitionFor(urlOrConfig).load();
  const config = typeof urlOrConfig === 'string' ? module.configFromUrl(urlOrConfig) : urlOrConfig;
  return module.openFromConfig(config);
}
