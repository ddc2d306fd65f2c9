import type { IncomingMessage } from 'node:http';
import type { ExplorerStore, LayerPrefixes } from '../explorer-stores.ts';
import type { QueryParams, Reply } from '../http-kit.ts';
import type { ResultCache } from '../result-cache.ts';

/** What every route handler can reach. */
export interface ExplorerContext {
  readonly stores: readonly ExplorerStore[];
  readonly write: boolean;
  readonly prefixes: LayerPrefixes;
  readonly results: ResultCache;
}

/** One API request, with its checked query parameters. */
export interface ApiRequest {
  readonly query: QueryParams;
  readonly request: IncomingMessage;
  /** The store named by the `store` parameter (default 0). */
  store(): ExplorerStore;
}

/** An API route: method, path, the query parameters it accepts, and its handler. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly params: readonly string[];
  handle(request: ApiRequest): Promise<Reply>;
}
