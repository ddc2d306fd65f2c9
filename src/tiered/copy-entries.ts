import type { Backend, Meta } from '../core/backend.ts';
import { OperationError, StorageError } from '../core/errors.ts';
import { sameJson } from '../core/json.ts';
import { compareKeyPaths, type KeyInput, parseKey } from '../core/keys.ts';
import { chunkBytesOf } from '../core/streams.ts';

/** Options of {@link copyEntries}. */
export interface CopyEntriesOptions {
  /** Only entries under this prefix (default: the whole store). */
  prefix?: KeyInput | undefined;
  /** Exactly these keys instead of a listing under `prefix`; keys neither store holds are left out. */
  keys?: readonly KeyInput[] | undefined;
  /**
   * Copy both ways: what only the target holds goes to the source too, and where both hold
   * different entries the newer `modifiedAt` wins (the source's on a tie). Without it
   * (default) only the source is copied from, its entry wins, and the target's other
   * entries are left alone.
   */
  bothWays?: boolean | undefined;
  /** Rewrite entries the other side already holds equal too (default false). */
  overwrite?: boolean | undefined;
  /** Count what would be copied, read and write nothing. */
  dryRun?: boolean | undefined;
  /** Stops the copy between batches; what was written stays (see {@link CopyReport.interrupted}). */
  signal?: AbortSignal | undefined;
  /** Called once for every entry, when it is settled (copied, found equal, left alone or failed). */
  onProgress?: ((progress: CopyProgress) => void) | undefined;
  /** Entries per `getMany` / `putMany` (default 200). */
  batchSize?: number | undefined;
}

/** Running counts of a copy. */
export interface CopyCounts {
  /** Entries written (in a dry run: that would be). */
  copied: number;
  /** Bytes of the entries written (in a dry run: that would be). */
  bytes: number;
  /** Entries both sides already held equal (see {@link sameEntry}), or gone from the source before they were read. */
  skipped: number;
  /** Keys both sides held with different entries (resolved as {@link CopyEntriesOptions.bothWays} says). */
  conflicts: number;
  /** Keys only the target holds, left alone (one-way copies only). */
  onlyInTarget: number;
  /** Entries that could not be copied; see {@link CopyReport.failures}. */
  errors: number;
}

/** What {@link CopyEntriesOptions.onProgress} is told after each entry. */
export interface CopyProgress extends Readonly<CopyCounts> {
  /** The entry just settled. */
  readonly key: string;
  /** Entries settled so far, this one included. */
  readonly processed: number;
}

/** An entry {@link copyEntries} could not copy. */
export interface CopyFailure {
  /** The key that was not copied. */
  key: string;
  /** Why. */
  error: StorageError;
}

/** What {@link copyEntries} did. */
export interface CopyReport extends CopyCounts {
  /** Each failed copy, with its key and error. */
  failures: CopyFailure[];
  /** True when the signal stopped the copy; running it again resumes where it stopped. */
  interrupted: boolean;
}

/**
 * The one rule for "the target already has it": two entries are equal when they hold the
 * same bytes (same size and same CRC-32 checksum; ETags and timestamps belong to each
 * store and are not compared) and the same attrs (compared as JSON, key order ignored).
 * An entry whose attrs differ is not equal, and a copy rewrites it. CRC-32 is not a
 * cryptographic hash: two different values of one size share a checksum with odds of
 * one in 2^32, so pass `overwrite` when an adversary chooses the values.
 */
export function sameEntry(a: Meta, b: Meta): boolean {
  return a.size === b.size && a.checksum === b.checksum && sameJson(a.attrs, b.attrs);
}

const DEFAULT_BATCH = 200;
// A batch holds its values in memory at once: it is flushed at this many bytes, and values
// past a chunk of either store go one at a time as streams (see copyMoves).
const BATCH_BYTES = 32 * 1024 * 1024;

/** One key as each side holds it. */
interface Pair {
  key: string;
  source: Meta | undefined;
  target: Meta | undefined;
}

/** One entry to write, from the side that wins. */
interface Move {
  key: string;
  size: number;
  conflict: boolean;
}

/**
 * Copies entries from `source` to `target` (and back, with `bothWays`): the one routine
 * behind `stowage cp`, `stowage sync`, `TieredBackend.sync` and `migrate`. Both listings
 * are walked in key order side by side (a merge join: memory stays flat whatever the
 * size), values move in batches (one `getMany` and one `putMany` each), and entries the
 * other side already holds equal ({@link sameEntry}) are skipped, so a copy that was
 * stopped resumes where it stopped when run again. Every value is written whole, so
 * stopping (`signal`) or failing never leaves a partial value. A batch that fails is
 * retried entry by entry: the entries that still fail are reported in `failures` and the
 * copy goes on; a failing listing throws.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const report = await copyEntries(sqlite, s3, { prefix: 'runs', signal: controller.signal });
 * if (report.interrupted) console.log('run again to resume');
 * ```
 */
export async function copyEntries(
  source: Backend,
  target: Backend,
  options: CopyEntriesOptions = {},
): Promise<CopyReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new OperationError(`batchSize must be a positive integer, got ${batchSize}`, { backend: source.label });
  if (options.keys && options.prefix !== undefined)
    throw new OperationError('Copy either a prefix or a list of keys, not both', { backend: source.label });
  const report: CopyReport = {
    copied: 0,
    bytes: 0,
    skipped: 0,
    conflicts: 0,
    onlyInTarget: 0,
    errors: 0,
    failures: [],
    interrupted: false,
  };
  let processed = 0;
  const settle = (key: string) => {
    processed++;
    if (!options.onProgress) return;
    const { failures: _f, interrupted: _i, ...counts } = report;
    options.onProgress({ ...counts, key, processed });
  };

  const flush = async (moves: Move[], from: Backend, to: Backend) => {
    const batch = moves.splice(0);
    if (batch.length === 0) return;
    const outcomes = options.dryRun ? batch.map((m) => m.size) : await copyMoves(from, to, batch);
    for (const [i, move] of batch.entries()) {
      const outcome = outcomes[i];
      if (move.conflict) report.conflicts++;
      if (outcome instanceof StorageError) {
        report.errors++;
        report.failures.push({ key: move.key, error: outcome });
      } else if (outcome === undefined) {
        report.skipped++;
      } else {
        report.copied++;
        report.bytes += outcome;
      }
      settle(move.key);
    }
  };

  const forward: Move[] = [];
  const back: Move[] = [];
  const pairs = options.keys
    ? keyedPairs(source, target, options.keys, batchSize)
    : listedPairs(source, target, options.prefix);
  for await (const pair of pairs) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      return report;
    }
    const way = wayOf(pair, options);
    if (way === 'equal') report.skipped++;
    else if (way === 'onlyInTarget') report.onlyInTarget++;
    if (way === 'equal' || way === 'onlyInTarget') {
      settle(pair.key);
      continue;
    }
    const winner = (way === 'forward' ? pair.source : pair.target) as Meta;
    const queue = way === 'forward' ? forward : back;
    const conflict = pair.source !== undefined && pair.target !== undefined && !sameEntry(pair.source, pair.target);
    queue.push({ key: pair.key, size: winner.size, conflict });
    if (queue.length < batchSize && queue.reduce((sum, m) => sum + m.size, 0) < BATCH_BYTES) continue;
    if (way === 'forward') await flush(forward, source, target);
    else await flush(back, target, source);
  }
  if (options.signal?.aborted) {
    report.interrupted = true;
    return report;
  }
  await flush(forward, source, target);
  await flush(back, target, source);
  return report;
}

function wayOf(pair: Pair, options: CopyEntriesOptions): 'forward' | 'back' | 'equal' | 'onlyInTarget' {
  const { source, target } = pair;
  if (!target) return 'forward';
  if (!source) return options.bothWays ? 'back' : 'onlyInTarget';
  if (sameEntry(source, target)) return options.overwrite ? 'forward' : 'equal';
  if (!options.bothWays) return 'forward';
  return source.modifiedAt >= target.modifiedAt ? 'forward' : 'back';
}

/**
 * Copies the moves of one batch, in their order of outcomes: values up to a chunk of both
 * stores in one `getMany` / `putMany`, larger ones one by one as streams, so a copy of
 * values larger than memory stays in flat memory.
 */
async function copyMoves(from: Backend, to: Backend, moves: Move[]): Promise<(number | undefined | StorageError)[]> {
  const streamAbove = Math.min(chunkBytesOf(from.capabilities), chunkBytesOf(to.capabilities));
  const small = moves.filter((m) => m.size <= streamAbove);
  const batched = await copyBatch(
    from,
    to,
    small.map((m) => m.key),
  );
  const outcomes = new Map(small.map((m, i) => [m.key, batched[i]]));
  for (const move of moves) if (move.size > streamAbove) outcomes.set(move.key, await copyOne(from, to, move.key));
  return moves.map((m) => outcomes.get(m.key));
}

/**
 * Copies one batch; for each key: the bytes written, `undefined` when `from` no longer
 * holds it, or the error that kept it from being copied.
 */
async function copyBatch(from: Backend, to: Backend, keys: string[]): Promise<(number | undefined | StorageError)[]> {
  if (keys.length === 0) return [];
  try {
    const hits = await from.getMany(keys);
    const entries = hits.flatMap((hit, i) =>
      hit ? [{ key: keys[i] as string, value: hit.value, attrs: hit.meta.attrs }] : [],
    );
    if (entries.length > 0) await to.putMany(entries);
    return hits.map((hit) => hit?.value.byteLength);
  } catch {
    // A batch fails as a whole; copying its entries one by one tells the failing ones from the rest.
    const outcomes: (number | undefined | StorageError)[] = [];
    for (const key of keys) outcomes.push(await copyOne(from, to, key));
    return outcomes;
  }
}

async function copyOne(from: Backend, to: Backend, key: string): Promise<number | undefined | StorageError> {
  try {
    // A value past the target's chunk size is streamed, so one larger than the target takes
    // in one entry (MariaDB's packet limit) is chunked there and never all in memory.
    const found = await from.getStream(key);
    if (!found) return undefined;
    if (found.meta.size > chunkBytesOf(to.capabilities)) {
      await to.putStream(key, found.stream, { attrs: found.meta.attrs });
    } else {
      const parts: Uint8Array[] = [];
      for await (const part of found.stream) parts.push(part);
      await to.put(key, parts.length === 1 ? (parts[0] as Uint8Array) : new Uint8Array(Buffer.concat(parts)), {
        attrs: found.meta.attrs,
      });
    }
    return found.meta.size;
  } catch (error) {
    return error instanceof StorageError ? error : new StorageError(String(error), { key, cause: error });
  }
}

/** Both listings under `prefix`, joined on the key (both list in the same byte order). */
async function* listedPairs(source: Backend, target: Backend, prefix: KeyInput | undefined): AsyncIterable<Pair> {
  const a = source.list(prefix)[Symbol.asyncIterator]();
  const b = target.list(prefix)[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    const kx = x.done ? undefined : x.value.key.join('/');
    const ky = y.done ? undefined : y.value.key.join('/');
    const order = kx === undefined ? 1 : ky === undefined ? -1 : compareKeyPaths(kx, ky);
    const pair: Pair = {
      key: (order <= 0 ? kx : ky) as string,
      source: order <= 0 && !x.done ? x.value.meta : undefined,
      target: order >= 0 && !y.done ? y.value.meta : undefined,
    };
    if (order <= 0) x = await a.next();
    if (order >= 0) y = await b.next();
    yield pair;
  }
}

/** The given keys as each side holds them, looked up a batch at a time. */
async function* keyedPairs(
  source: Backend,
  target: Backend,
  keys: readonly KeyInput[],
  batchSize: number,
): AsyncIterable<Pair> {
  const paths = keys.map((k) => parseKey(k, source.label).path);
  for (let i = 0; i < paths.length; i += batchSize) {
    const chunk = paths.slice(i, i + batchSize);
    const [here, there] = await Promise.all([
      Promise.all(chunk.map((p) => source.stat(p))),
      Promise.all(chunk.map((p) => target.stat(p))),
    ]);
    for (const [j, key] of chunk.entries()) {
      if (here[j] || there[j]) yield { key, source: here[j], target: there[j] };
    }
  }
}
