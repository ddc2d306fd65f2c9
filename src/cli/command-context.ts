import type { Command } from 'commander';
import type { Backend } from '../core/backend.ts';
import { openBackend } from '../core/registry.ts';

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

/** Opens the store at `url`, runs `fn` on it and closes it, also when `fn` throws. */
export async function withStore<T>(url: string, fn: (store: Backend) => Promise<T>): Promise<T> {
  const store = await openBackend(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
