import { type SyncDirection, syncTiers, type TieredBackend } from '../../entries/tiered.ts';
import type { Backend, Key, ListedEntry, Meta } from '../../index.ts';
import type { ApiSyncDiff, ApiTierPage, ApiTierRow, ApiTierSource } from '../api-types.ts';
import { badRequest, json } from '../http-kit.ts';
import { prefixParam } from './keys.ts';
import type { ApiRequest, ExplorerContext, Route } from './route.ts';

interface TierSource {
  primary: Backend;
  secondary: Backend | undefined;
  tiered: TieredBackend | undefined;
}

/** Every tiered store, and every ordered pair of the given stores seen as primary and secondary. */
function tierSources(context: ExplorerContext): ApiTierSource[] {
  const sources: ApiTierSource[] = [];
  for (const store of context.stores) {
    if (!store.tiers) continue;
    sources.push({
      id: `tiered:${store.id}`,
      name: store.name,
      primary: store.tiers.primary.label,
      secondary: store.tiers.secondary?.label,
      hasCache: store.tiers.tiered.toConfig().cache !== undefined,
    });
  }
  for (const a of context.stores) {
    for (const b of context.stores) {
      if (a === b) continue;
      sources.push({
        id: `pair:${a.id}:${b.id}`,
        name: `${a.name} -> ${b.name}`,
        primary: a.name,
        secondary: b.name,
        hasCache: false,
      });
    }
  }
  return sources;
}

function resolveSource(context: ExplorerContext, request: ApiRequest): TierSource {
  const id = request.query.required('source');
  const tiered = /^tiered:(\d+)$/.exec(id);
  const tiers = tiered ? context.stores[Number(tiered[1])]?.tiers : undefined;
  if (tiers) return { primary: tiers.primary, secondary: tiers.secondary, tiered: tiers.tiered };
  const pair = /^pair:(\d+):(\d+)$/.exec(id);
  const a = pair ? context.stores[Number(pair[1])] : undefined;
  const b = pair ? context.stores[Number(pair[2])] : undefined;
  if (a && b && a !== b) return { primary: a.backend, secondary: b.backend, tiered: undefined };
  throw badRequest(`Unknown tier source '${id}' (see GET /api/tiers)`);
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function sameContent(a: Meta, b: Meta): boolean {
  return a.size === b.size && a.checksum === b.checksum && JSON.stringify(a.attrs) === JSON.stringify(b.attrs);
}

function rowOf(key: string, a: Meta | undefined, b: Meta | undefined): ApiTierRow {
  const tiers: ApiTierRow['tiers'] = [];
  if (a) tiers.push('primary');
  if (b) tiers.push('secondary');
  if (!a || !b)
    return {
      key,
      tiers,
      state: a ? 'primary-only' : 'secondary-only',
      primaryModifiedAt: a?.modifiedAt,
      secondaryModifiedAt: b?.modifiedAt,
    };
  const same = sameContent(a, b);
  return {
    key,
    tiers,
    state: same ? 'same' : 'differs',
    ...(same ? {} : { newer: a.modifiedAt >= b.modifiedAt ? 'primary' : 'secondary' }),
    primaryModifiedAt: a.modifiedAt,
    secondaryModifiedAt: b.modifiedAt,
  };
}

/** One page of keys of both tiers, merged in key order (both listings stream; nothing else is read). */
async function tierPage(
  source: TierSource,
  prefix: Key,
  after: string | undefined,
  limit: number,
): Promise<ApiTierPage> {
  const empty = (async function* (): AsyncIterable<ListedEntry> {})();
  const ia = source.primary.list(prefix, { after, limit: limit + 1 })[Symbol.asyncIterator]();
  const ib = (source.secondary?.list(prefix, { after, limit: limit + 1 }) ?? empty)[Symbol.asyncIterator]();
  let x = await ia.next();
  let y = await ib.next();
  const rows: ApiTierRow[] = [];
  while ((!x.done || !y.done) && rows.length <= limit) {
    const kx = x.done ? undefined : x.value.key.join('/');
    const ky = y.done ? undefined : y.value.key.join('/');
    const order = kx === undefined ? 1 : ky === undefined ? -1 : utf8Order(kx, ky);
    if (order === 0) {
      rows.push(rowOf(kx as string, (x.value as ListedEntry).meta, (y.value as ListedEntry).meta));
      [x, y] = await Promise.all([ia.next(), ib.next()]);
    } else if (order < 0) {
      rows.push(rowOf(kx as string, (x.value as ListedEntry).meta, undefined));
      x = await ia.next();
    } else {
      rows.push(rowOf(ky as string, undefined, (y.value as ListedEntry).meta));
      y = await ib.next();
    }
  }
  await Promise.all([ia.return?.(), ib.return?.()]);
  if (source.tiered && source.tiered.toConfig().cache !== undefined) {
    for (const row of rows) if ((await source.tiered.whereIs(row.key)).includes('cache')) row.tiers.unshift('cache');
  }
  if (rows.length <= limit) return { rows };
  rows.length = limit;
  return { rows, next: (rows[limit - 1] as ApiTierRow).key };
}

const DIRECTIONS: readonly SyncDirection[] = ['primaryToSecondary', 'secondaryToPrimary', 'bidirectional'];
const MAX_LISTED_CHANGES = 1000;

/** The keys a dry-run sync would copy, told apart by the counts the library's sync reports after each key. */
async function syncDiff(source: TierSource, prefix: Key, direction: SyncDirection): Promise<ApiSyncDiff> {
  if (!source.secondary) throw badRequest('This tiered store has no secondary tier to sync with');
  const changes: ApiSyncDiff['changes'] = [];
  let copied = 0;
  let conflicts = 0;
  let more = false;
  const report = await syncTiers(source.primary, source.secondary, {
    direction,
    prefix: prefix.length === 0 ? undefined : prefix,
    dryRun: true,
    onProgress: (progress) => {
      if (progress.copied > copied) {
        if (changes.length < MAX_LISTED_CHANGES) {
          changes.push({ key: progress.key, change: progress.conflicts > conflicts ? 'conflict' : 'copy' });
        } else more = true;
      }
      copied = progress.copied;
      conflicts = progress.conflicts;
    },
  });
  return {
    direction,
    copied: report.copied,
    skipped: report.skipped,
    conflicts: report.conflicts,
    errors: report.errors,
    changes,
    more,
  };
}

/**
 * The Tiers page: for a tiered store (or a StorageManager) and for any two of the
 * given stores, where each key lives, and what a sync would copy (a dry run of the
 * library's own `syncTiers`, which reads and never writes).
 */
export function tierRoutes(context: ExplorerContext): Route[] {
  return [
    { method: 'GET', path: '/api/tiers', params: [], handle: async () => json(tierSources(context)) },
    {
      method: 'GET',
      path: '/api/tiers/keys',
      params: ['source', 'prefix', 'after', 'limit'],
      handle: async (request) => {
        const source = resolveSource(context, request);
        const limit = request.query.int('limit', 100, 1, 1000);
        return json(await tierPage(source, prefixParam(request.query), request.query.string('after'), limit));
      },
    },
    {
      method: 'GET',
      path: '/api/tiers/diff',
      params: ['source', 'prefix', 'direction'],
      handle: async (request) => {
        const source = resolveSource(context, request);
        const direction = request.query.choice('direction', DIRECTIONS, 'primaryToSecondary');
        return json(await syncDiff(source, prefixParam(request.query), direction));
      },
    },
  ];
}
