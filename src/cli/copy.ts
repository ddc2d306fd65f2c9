import { SingleBar } from 'cli-progress';
import type { Backend, ListedEntry } from '../core/backend.ts';
import type { KeyInput } from '../core/keys.ts';
import { formatBytes } from './output.ts';

/** Counts of a copy. */
export interface CopyReport {
  copied: number;
  skipped: number;
  bytes: number;
  interrupted: boolean;
}

const BATCH = 200;

/**
 * Copies every entry under `prefix` from `source` to `target` in batches (one getMany and
 * one putMany each). Entries already present with the same checksum are skipped, so a
 * rerun resumes where an interrupted copy stopped; `shouldStop` is checked between
 * batches, and each value is written whole, so stopping leaves no partial value.
 */
export async function copyEntries(
  source: Backend,
  target: Backend,
  options: { prefix?: KeyInput; overwrite?: boolean; progress?: boolean; shouldStop?: () => boolean },
): Promise<CopyReport> {
  const report: CopyReport = { copied: 0, skipped: 0, bytes: 0, interrupted: false };
  let total = 0;
  if (options.progress) for await (const _ of source.list(options.prefix)) total++;
  const started = Date.now();
  const bar = options.progress
    ? new SingleBar({ format: ' {bar} {value}/{total} entries | {size} | {rate} entries/s', hideCursor: true })
    : undefined;
  bar?.start(total, 0, { size: '0 B', rate: 0 });
  const flush = async (batch: ListedEntry[]) => {
    const existing = options.overwrite ? [] : await target.getMany(batch.map((e) => e.key));
    const wanted = batch.filter((e, i) => {
      const there = existing[i];
      return (
        !there ||
        (options.overwrite ?? false) ||
        there.meta.checksum !== e.meta.checksum ||
        there.meta.size !== e.meta.size
      );
    });
    const skippedHere = batch.length - wanted.length;
    const values = await source.getMany(wanted.map((e) => e.key));
    const entries = wanted.flatMap((e, i) => {
      const hit = values[i];
      return hit ? [{ key: e.key, value: hit.value, attrs: hit.meta.attrs }] : [];
    });
    if (entries.length) await target.putMany(entries);
    report.copied += entries.length;
    report.skipped += skippedHere;
    report.bytes += entries.reduce((n, e) => n + e.value.byteLength, 0);
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    bar?.update(report.copied + report.skipped, {
      size: formatBytes(report.bytes),
      rate: Math.round((report.copied + report.skipped) / seconds),
    });
  };
  let batch: ListedEntry[] = [];
  try {
    for await (const entry of source.list(options.prefix)) {
      batch.push(entry);
      if (batch.length < BATCH) continue;
      await flush(batch);
      batch = [];
      if (options.shouldStop?.()) {
        report.interrupted = true;
        return report;
      }
    }
    if (batch.length) await flush(batch);
  } finally {
    bar?.stop();
  }
  return report;
}
