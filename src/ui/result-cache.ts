import type { Column, OptimizationResult, ResultSet } from '../entries/results.ts';
import { NotFoundError } from '../index.ts';
import type { ExplorerStore } from './explorer-stores.ts';

/** A result loaded once, kept while its header's ETag stays the same. */
export interface LoadedResult {
  readonly etag: string;
  readonly result: OptimizationResult;
  /** Row orders already computed, by `set/column/direction`. */
  readonly orders: Map<string, Uint32Array>;
}

/**
 * The last few results the pages looked at. Paging a table or drawing another plot
 * then costs one `stat` of the result's header instead of loading every set again; a
 * changed result (new ETag) is loaded anew.
 */
export class ResultCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, LoadedResult>();

  constructor(capacity = 4) {
    this.#capacity = capacity;
  }

  /** The result stored under `key`, loaded or from the cache. */
  async get(store: ExplorerStore, key: string): Promise<LoadedResult> {
    const header = await store.backend.stat(store.results.headerKeyOf(key));
    if (!header) throw new NotFoundError('No result with this key', { key, backend: store.backend.label });
    const id = `${store.id}\u0000${key}`;
    const cached = this.#entries.get(id);
    this.#entries.delete(id);
    const loaded =
      cached && cached.etag === header.etag
        ? cached
        : { etag: header.etag, result: await store.results.load(key), orders: new Map<string, Uint32Array>() };
    this.#entries.set(id, loaded);
    for (const old of this.#entries.keys()) {
      if (this.#entries.size <= this.#capacity) break;
      this.#entries.delete(old);
    }
    return loaded;
  }
}

/** A set's column by name; `NotFoundError` names the column when it does not exist. */
export function columnOf(set: ResultSet, name: string): Column {
  const column = set.columns[name];
  if (!column) throw new NotFoundError(`Result set '${set.name}' has no column '${name}'`);
  return column;
}

/**
 * Row numbers of a set sorted by one column (numbers before strings, NaN last,
 * ties by row number), computed once per result version.
 */
export function rowOrder(loaded: LoadedResult, set: ResultSet, column: string, descending: boolean): Uint32Array {
  const id = `${set.name}\u0000${column}\u0000${descending}`;
  const known = loaded.orders.get(id);
  if (known) return known;
  const values = columnOf(set, column) as ArrayLike<number | string>;
  const order = new Uint32Array(set.nPoints);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const sign = descending ? -1 : 1;
  order.sort((a, b) => {
    const x = values[a] as number | string;
    const y = values[b] as number | string;
    const nanX = typeof x === 'number' && Number.isNaN(x);
    const nanY = typeof y === 'number' && Number.isNaN(y);
    if (nanX || nanY) return nanX === nanY ? a - b : nanX ? 1 : -1;
    if (x === y) return a - b;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return (x < y ? -1 : 1) * sign;
  });
  loaded.orders.set(id, order);
  return order;
}
