import type { ApiSession, ApiStoreInfo } from '../api-types.ts';
import type { ExplorerStore } from '../explorer-stores.ts';
import { describeError, json } from '../http-kit.ts';
import type { ExplorerContext, Route } from './route.ts';

// The package each backend type loads (sqlite reports its own: better-sqlite3 or node:sqlite).
const DRIVERS: Record<string, string> = {
  postgres: 'pg',
  mysql: 'mysql2',
  redis: 'ioredis',
  lmdb: 'lmdb',
  duckdb: '@duckdb/node-api',
  s3: '@aws-sdk/client-s3',
  hdf5: 'h5wasm',
  fs: 'none (node:fs)',
  memory: 'none',
  void: 'none',
};

function driverOf(type: string, details: Record<string, unknown> | undefined): string | undefined {
  if (typeof details?.driver === 'string') return details.driver;
  if (type === 'tiered') {
    const tier = (name: string) => {
      const info = details?.[name] as { type?: string; details?: Record<string, unknown> } | null | undefined;
      return info?.type ? `${name}: ${driverOf(info.type, info.details) ?? info.type}` : undefined;
    };
    return [tier('primary'), tier('secondary')].filter(Boolean).join(', ');
  }
  return DRIVERS[type];
}

async function storeInfo(store: ExplorerStore): Promise<ApiStoreInfo> {
  try {
    const info = await store.backend.info();
    const details = info.details as Record<string, unknown> | undefined;
    return {
      id: store.id,
      name: store.name,
      type: info.type,
      location: info.location,
      entries: info.entries,
      bytes: info.bytes,
      capabilities: { ...info.capabilities },
      driver: driverOf(info.type, details),
      details,
    };
  } catch (error) {
    return { id: store.id, name: store.name, error: describeError(error) };
  }
}

/** What the app starts with: the stores, the layer prefixes, and whether it may write. */
export function sessionOf(context: ExplorerContext): ApiSession {
  return {
    write: context.write,
    stores: context.stores.map((s) => ({ id: s.id, name: s.name, tiered: s.tiers !== undefined })),
    resultsPrefix: context.prefixes.results,
    casPrefix: context.prefixes.cas,
  };
}

/** `GET /api/session` (also written into the page) and `GET /api/stores` (the Stores page). */
export function storeRoutes(context: ExplorerContext): Route[] {
  return [
    { method: 'GET', path: '/api/session', params: [], handle: async () => json(sessionOf(context)) },
    {
      method: 'GET',
      path: '/api/stores',
      params: [],
      handle: async () => json(await Promise.all(context.stores.map(storeInfo))),
    },
  ];
}
