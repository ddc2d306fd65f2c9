/**
 * `stowage/ui`: the stowage explorer, a local web app over any stores (what
 * `stowage ui` starts). Start it from code to look at a StorageManager or a tiered
 * store you already hold, cache tier included.
 *
 * @packageDocumentation
 */
export type * from './api-types.ts';
export { type Explorer, type ExplorerOptions, startExplorer } from './explorer.ts';
export type { ExplorerStoreInput } from './explorer-stores.ts';
