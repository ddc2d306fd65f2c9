import type { Backend, ListedEntry, Meta } from '../core/backend.ts';
import { StorageError } from '../core/errors.ts';
import { compareKeyPaths, type KeyInput } from '../core/keys.ts';

/** Which way {@link syncTiers} copies. */
export type SyncDirection = 'primaryToSecondary' | 'secondaryToPrimary' | 'bidirectional';

/** Progress of a sync, reported after each key. */
export interface SyncProgress {
  processed: number;
  copied: number;
  skipped: number;
  conflicts: number;
  errors: number;
  key: string;
}

/** Options of a sync. */
export interface SyncOptions {
  /** Default `primaryToSecondary`. */
  direction?: SyncDirection | undefined;
  /** Only entries under this prefix. */
  prefix?: KeyInput | undefined;
  /** Count what would be copied, copy nothing. */
  dryRun?: boolean | undefined;
  /** Called after each key. */
  onProgress?: ((progress: SyncProgress) => void) | undefined;
}

/** What a sync did. */
export interface SyncReport {
  /** Entries copied (or, in a dry run, that would be). */
  copied: number;
  /** Entries already equal on both sides. */
  skipped: number;
  /** Keys present on both sides with different contents (resolved by direction, or newer wins). */
  conflicts: number;
  /** Copies that failed; see `failures`. */
  errors: number;
  failures: { key: string; error: StorageError }[];
}

function same(a: Meta, b: Meta): boolean {
  return a.size === b.size && a.checksum === b.checksum && JSON.stringify(a.attrs) === JSON.stringify(b.attrs);
}

async function* pairs(a: AsyncIterable<ListedEntry>, b: AsyncIterable<ListedEntry>) {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let x = await ia.next();
  let y = await ib.next();
  while (!x.done || !y.done) {
    const kx = x.done ? undefined : x.value.key.join('/');
    const ky = y.done ? undefined : y.value.key.join('/');
    const order = kx === undefined ? 1 : ky === undefined ? -1 : compareKeyPaths(kx, ky);
    if (order === 0) {
      yield { key: kx as string, a: (x.value as ListedEntry).meta, b: (y.value as ListedEntry).meta };
      x = await ia.next();
      y = await ib.next();
    } else if (order < 0) {
      yield { key: kx as string, a: (x.value as ListedEntry).meta, b: undefined };
      x = await ia.next();
    } else {
      yield { key: ky as string, a: undefined, b: (y.value as ListedEntry).meta };
      y = await ib.next();
    }
  }
}

// One-way syncs copy from their source only (never delete); bidirectional copies the
// side that has the entry, or the newer one when both do.
function pickWinner(
  direction: SyncDirection,
  a: Meta | undefined,
  b: Meta | undefined,
): 'primary' | 'secondary' | undefined {
  if (direction === 'primaryToSecondary') return a ? 'primary' : undefined;
  if (direction === 'secondaryToPrimary') return b ? 'secondary' : undefined;
  if (!b) return 'primary';
  if (!a) return 'secondary';
  return a.modifiedAt >= b.modifiedAt ? 'primary' : 'secondary';
}

async function copy(from: Backend, to: Backend, key: string): Promise<void> {
  const hit = await from.get(key);
  if (hit) await to.put(key, hit.value, { attrs: hit.meta.attrs });
}

/**
 * Makes two stores agree, streaming both listings in key order (a merge join: memory
 * stays flat whatever the size). Equal entries (same size, checksum and attrs) are
 * skipped; in `bidirectional` mode the newer `modifiedAt` wins a conflict.
 */
export async function syncTiers(primary: Backend, secondary: Backend, options: SyncOptions = {}): Promise<SyncReport> {
  const direction = options.direction ?? 'primaryToSecondary';
  const report: SyncReport = { copied: 0, skipped: 0, conflicts: 0, errors: 0, failures: [] };
  let processed = 0;
  for await (const { key, a, b } of pairs(primary.list(options.prefix), secondary.list(options.prefix))) {
    processed++;
    let from: Backend | undefined;
    let to: Backend | undefined;
    if (a && b && same(a, b)) {
      report.skipped++;
    } else {
      if (a && b) report.conflicts++;
      const winner = pickWinner(direction, a, b);
      if (winner === 'primary') [from, to] = [primary, secondary];
      else if (winner === 'secondary') [from, to] = [secondary, primary];
      else report.skipped++;
    }
    if (from && to) {
      try {
        if (!options.dryRun) await copy(from, to, key);
        report.copied++;
      } catch (error) {
        report.errors++;
        report.failures.push({
          key,
          error: error instanceof StorageError ? error : new StorageError(String(error), { key }),
        });
      }
    }
    options.onProgress?.({ processed, ...report, key });
  }
  return report;
}
