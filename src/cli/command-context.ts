import type { Command } from 'commander';
import type { Backend } from '../core/backend.ts';
import { StoreNotFoundError } from '../core/errors.ts';
import { openBackend } from '../core/registry.ts';

/** The store used when neither `--store` nor `STOWAGE_URL` is given. */
export const DEFAULT_STORE = 'sqlite:./.stowage/store.sqlite';

/** The options every command inherits from `stowage` itself. */
export interface Globals {
  store?: string;
  json?: boolean;
  verbose?: boolean;
}

/** The global options as seen from a (sub)command. */
export function globals(command: Command): Globals {
  return command.optsWithGlobals() as Globals;
}

/** How a command opens its store. */
export interface StoreAccess {
  /**
   * True only for commands that write new data (`put`, the target of `cp` / `sync`): they
   * may create the store. Every other command opens an existing store only, so a typo in
   * a URL fails with `StoreNotFoundError` instead of creating an empty store.
   */
  readonly create: boolean;
}

/** Opens the store at `url`, runs `fn` on it and closes it, also when `fn` throws. */
export async function withStore<T>(url: string, access: StoreAccess, fn: (store: Backend) => Promise<T>): Promise<T> {
  return withStores([[url, access]], ([store]) => fn(store));
}

/**
 * Opens several stores, runs `fn` on them (in the order given) and closes them all. The
 * stores that must exist are opened first, so a missing one fails the command before
 * any store is created.
 */
export async function withStores<const Targets extends readonly (readonly [string, StoreAccess])[], T>(
  targets: Targets,
  fn: (stores: { -readonly [K in keyof Targets]: Backend }) => Promise<T>,
): Promise<T> {
  const order = targets
    .map((_, i) => i)
    .sort((i, j) => Number(targets[i]?.[1].create) - Number(targets[j]?.[1].create));
  const stores: Backend[] = [];
  try {
    for (const i of order) {
      const [url, access] = targets[i] as readonly [string, StoreAccess];
      stores[i] = await openFor(url, access);
    }
    return await fn(stores as { -readonly [K in keyof Targets]: Backend });
  } finally {
    for (const store of stores) await store?.close();
  }
}

async function openFor(url: string, access: StoreAccess): Promise<Backend> {
  try {
    return await openBackend(url, { create: access.create });
  } catch (error) {
    if (error instanceof StoreNotFoundError && url === DEFAULT_STORE) {
      const message = error.message.replace(/ \(backend [^)]*\)$/, '');
      throw new StoreNotFoundError(
        `${message}; that is the default store: put creates it, or give another with --store or STOWAGE_URL`,
        { backend: error.backend },
      );
    }
    throw error;
  }
}

/** Opening for commands that only read (or delete, or tidy): the store must exist. */
export const EXISTING: StoreAccess = { create: false };
/** Opening for commands that write new entries: the store is created if missing. */
export const CREATE: StoreAccess = { create: true };
