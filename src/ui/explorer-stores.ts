import { CallStore, ValueStore } from '../entries/cas.ts';
import { ResultStore, StorageManager } from '../entries/results.ts';
import { TieredBackend } from '../entries/tiered.ts';
import { type Backend, OperationError, resolveStore, type StoreInput } from '../index.ts';
import { ReadOnlyBackend } from './read-only-backend.ts';

/** A store for the explorer: a URL, a config, an open backend (tiered too) or a StorageManager, optionally named. */
export type ExplorerStoreInput =
  | StoreInput
  | StorageManager
  | {
      /** The name shown for the store instead of its label. */
      readonly name?: string | undefined;
      /** The store. */
      readonly store: StoreInput | StorageManager;
    };

/** The tiers behind a tiered store, for the Tiers page. */
export interface StoreTiers {
  readonly primary: Backend;
  readonly secondary: Backend | undefined;
  /** The tiered store itself: it knows what its cache holds. */
  readonly tiered: TieredBackend;
}

/** A store as the explorer's pages use it. */
export interface ExplorerStore {
  readonly id: number;
  readonly name: string;
  /** What the pages read (and write, with `--write`); a read-only view otherwise. */
  readonly backend: Backend;
  readonly results: ResultStore;
  readonly values: ValueStore;
  readonly calls: CallStore;
  readonly tiers: StoreTiers | undefined;
  /** Closes the store when the explorer opened it; a store passed in stays open. */
  close(): Promise<void>;
}

/** Prefixes under which the explorer looks for results and memoised calls. */
export interface LayerPrefixes {
  readonly results: string;
  readonly cas: string;
}

function isNamed(input: ExplorerStoreInput): input is { name?: string; store: StoreInput | StorageManager } {
  return typeof input === 'object' && input !== null && 'store' in input && !('type' in input);
}

function guard(backend: Backend, write: boolean): Backend {
  return write ? backend : new ReadOnlyBackend(backend);
}

/**
 * Opens (or adopts) one store for the explorer. Without `write`, every backend the
 * pages reach is a read-only view, and a tiered store is read without its fallback to
 * the secondary, because a fallback read copies the entry back into the primary.
 */
export async function openExplorerStore(
  id: number,
  input: ExplorerStoreInput,
  options: { write: boolean; prefixes: LayerPrefixes; create: boolean },
): Promise<ExplorerStore> {
  const name = isNamed(input) ? input.name : undefined;
  const target = isNamed(input) ? input.store : input;
  const manager = target instanceof StorageManager ? target : undefined;
  const { backend: opened, opened: ownsIt } = manager
    ? { backend: manager.tiered, opened: false }
    : await resolveStore(target as StoreInput, { create: options.create });
  const tiered = opened instanceof TieredBackend ? opened : undefined;
  const reading = tiered && !options.write ? tiered.view({ fallback: false }) : opened;
  const backend = guard(reading, options.write);
  const results = manager
    ? manager.results.withBackend(backend)
    : new ResultStore({ backend, prefix: options.prefixes.results });
  return {
    id,
    name: name ?? opened.label,
    backend,
    results,
    values: new ValueStore({ backend, prefix: options.prefixes.cas }),
    calls: new CallStore({ backend, prefix: options.prefixes.cas }),
    tiers: tiered
      ? {
          primary: guard(tiered.primary, options.write),
          secondary: tiered.secondary ? guard(tiered.secondary, options.write) : undefined,
          tiered,
        }
      : undefined,
    close: async () => {
      if (ownsIt) await opened.close();
    },
  };
}

/** Opens every store, closing the ones already opened when one fails. */
export async function openExplorerStores(
  inputs: readonly ExplorerStoreInput[],
  options: { write: boolean; prefixes: LayerPrefixes; create: boolean },
): Promise<ExplorerStore[]> {
  if (inputs.length === 0) throw new OperationError('The explorer needs at least one store');
  const stores: ExplorerStore[] = [];
  try {
    for (const [id, input] of inputs.entries()) stores.push(await openExplorerStore(id, input, options));
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    throw error;
  }
  return stores;
}
