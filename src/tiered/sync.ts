import type { Backend } from '../core/backend.ts';
import type { KeyInput } from '../core/keys.ts';
import { type CopyCounts, type CopyFailure, copyEntries } from './copy-entries.ts';

/** Which way {@link syncTiers} copies. */
export type SyncDirection = 'primaryToSecondary' | 'secondaryToPrimary' | 'bidirectional';

/** Progress of a sync, reported after each key. */
export interface SyncProgress {
  /** Keys looked at so far. */
  processed: number;
  /** Entries copied so far (or, in a dry run, that would be). */
  copied: number;
  /** Entries left alone so far. */
  skipped: number;
  /** Keys changed on both sides so far. */
  conflicts: number;
  /** Copies failed so far. */
  errors: number;
  /** The key just processed. */
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
  /** Stops the sync between batches; running it again resumes. */
  signal?: AbortSignal | undefined;
}

/** What a sync did. */
export interface SyncReport {
  /** Entries copied (or, in a dry run, that would be). */
  copied: number;
  /** Bytes copied (or, in a dry run, that would be). */
  bytes: number;
  /** Entries already equal on both sides, and entries a one-way sync does not copy (only on the receiving side). */
  skipped: number;
  /** Keys present on both sides with different contents (resolved by direction, or newer wins). */
  conflicts: number;
  /** Copies that failed; see `failures`. */
  errors: number;
  /** Each failed copy, with its key and error. */
  failures: CopyFailure[];
  /** True when `signal` stopped the sync. */
  interrupted: boolean;
}

/**
 * Makes two stores agree with {@link copyEntries} (so equal means {@link sameEntry}:
 * same bytes and same attrs): one way, never deleting, or `bidirectional`, where each
 * side receives what it lacks and the newer `modifiedAt` wins a conflict (the primary's
 * on a tie).
 */
export async function syncTiers(primary: Backend, secondary: Backend, options: SyncOptions = {}): Promise<SyncReport> {
  const direction = options.direction ?? 'primaryToSecondary';
  const [source, target] = direction === 'secondaryToPrimary' ? [secondary, primary] : [primary, secondary];
  const onProgress = options.onProgress;
  const report = await copyEntries(source, target, {
    prefix: options.prefix,
    bothWays: direction === 'bidirectional',
    dryRun: options.dryRun,
    signal: options.signal,
    onProgress: onProgress && ((p) => onProgress({ processed: p.processed, key: p.key, ...syncCounts(p) })),
  });
  return { ...syncCounts(report), bytes: report.bytes, failures: report.failures, interrupted: report.interrupted };
}

// A one-way sync counts the receiving side's own entries as skipped.
function syncCounts(counts: Readonly<CopyCounts>): Pick<SyncReport, 'copied' | 'skipped' | 'conflicts' | 'errors'> {
  return {
    copied: counts.copied,
    skipped: counts.skipped + counts.onlyInTarget,
    conflicts: counts.conflicts,
    errors: counts.errors,
  };
}
