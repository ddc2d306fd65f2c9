import type { Backend, BackendConfig, OpenOptions } from './backend.ts';
import { OperationError } from './errors.ts';
import { isPlainObject } from './json.ts';
import { rejectUnknownOptions } from './known-options.ts';
import { schemeOf } from './url.ts';

/** How a backend type is recognised and built; registered once per type. */
export interface BackendDefinition {
  /** The `type` of its configs, e.g. `sqlite`. */
  readonly type: string;
  /** URL schemes that open it, e.g. `['sqlite']`, `['postgres', 'postgresql']`. */
  readonly schemes: readonly string[];
  /** Loads the backend's module on first use, so unused drivers are never imported. */
  readonly load: () => Promise<BackendModule>;
  /**
   * True when its URLs may name a driver after a `+` (`postgresql+psycopg2://`), as
   * SQLAlchemy users write them; the module's `configFromUrl` gets the URL as it is and
   * notes the driver it ignores.
   */
  readonly driverSuffixes?: boolean | undefined;
}

/** What a backend module exports for {@link openBackend}. */
export interface BackendModule {
  /** Turns a URL into a config (without connecting). */
  configFromUrl(url: string): BackendConfig;
  /** Opens the store a config describes; `options.create === false` opens an existing store only. */
  openFromConfig(config: BackendConfig, options?: OpenOptions): Promise<Backend>;
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
    const plus = scheme.indexOf('+');
    const base = plus > 0 ? byScheme.get(scheme.slice(0, plus)) : undefined;
    const found = byScheme.get(scheme) ?? (base?.driverSuffixes ? base : undefined);
    if (!found) {
      const hint = base ? ` ('+${scheme.slice(plus + 1)}' names a driver; ${base.type} URLs take none)` : '';
      throw new OperationError(
        `No backend for URL scheme '${scheme}:'${hint} (known: ${[...byScheme.keys()].join(', ')})`,
      );
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

/** The checked options of an open, with defaults filled in. */
export function checkOpenOptions(options: OpenOptions | undefined): Required<OpenOptions> {
  if (options !== undefined && !isPlainObject(options)) {
    throw new OperationError(`The options of openBackend must be an object, got ${describe(options)}`);
  }
  rejectUnknownOptions(options, ['create'], 'openBackend');
  const create = options?.create ?? true;
  if (typeof create !== 'boolean')
    throw new OperationError(`openBackend's create must be true or false, got ${describe(create)}`);
  return { create };
}

/**
 * Opens a store from a URL or from a config returned by `toConfig()`. With
 * `{ create: false }` it opens an existing store only and creates nothing: a missing
 * file, folder, table or bucket is a `StoreNotFoundError`.
 *
 * @example
 * ```ts
 * await using store = await openBackend('sqlite:./.stowage/store.sqlite');
 * await store.put('a/b', new TextEncoder().encode('hi'));
 * await using existing = await openBackend('sqlite:./.stowage/store.sqlite', { create: false });
 * ```
 */
export async function openBackend(urlOrConfig: string | BackendConfig, options?: OpenOptions): Promise<Backend> {
  if (typeof urlOrConfig !== 'string' && !(isPlainObject(urlOrConfig) && typeof urlOrConfig.type === 'string')) {
    throw new OperationError(
      `openBackend takes a store URL or a config with a 'type' (from toConfig()); got ${describe(urlOrConfig)}`,
    );
  }
  const open = checkOpenOptions(options);
  const module = await definitionFor(urlOrConfig).load();
  const config = typeof urlOrConfig === 'string' ? module.configFromUrl(urlOrConfig) : urlOrConfig;
  return module.openFromConfig(config, open);
}

/** A store as layers accept it: a URL, a config from `toConfig()`, or an open backend. */
export type StoreInput = string | BackendConfig | Backend;

/** A store resolved by {@link resolveStore}. */
export interface ResolvedStore {
  /** The open backend. */
  readonly backend: Backend;
  /** True when it was opened here from a URL or config: the caller closes it; false for a backend passed in. */
  readonly opened: boolean;
}

/** True for an open backend (anything with the contract's methods), as opposed to a URL or a config. */
export function isBackend(input: unknown): input is Backend {
  const candidate = input as Partial<Backend> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.get === 'function' &&
    typeof candidate.put === 'function' &&
    typeof candidate.list === 'function' &&
    typeof candidate.toConfig === 'function'
  );
}

/**
 * The one way every layer, adapter and the CLI accept a store: a URL or a config is
 * opened with `options` (and is then the caller's to close), an open backend is used as it is.
 *
 * @example
 * ```ts
 * const { backend, opened } = await resolveStore('sqlite:./.stowage/store.sqlite');
 * if (opened) await backend.close();
 * ```
 */
export async function resolveStore(input: StoreInput, options?: OpenOptions): Promise<ResolvedStore> {
  if (isBackend(input)) return { backend: input, opened: false };
  if (typeof input === 'string') return { backend: await openBackend(input, options), opened: true };
  if (isPlainObject(input) && typeof (input as BackendConfig).type === 'string') {
    return { backend: await openBackend(input as BackendConfig, options), opened: true };
  }
  throw new OperationError(
    `A store must be a URL, a config with a 'type' (from toConfig()) or an open backend; got ${describe(input)}`,
  );
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input !== 'object') return typeof input;
  const name = (input as object).constructor?.name;
  return name && name !== 'Object'
    ? `a ${name}`
    : `an object with keys ${Object.keys(input as object).join(', ') || '(none)'}`;
}
