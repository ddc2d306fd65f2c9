import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import type { Backend } from '../../core/backend.ts';
import { type CopyProgress, copyEntries } from '../../tiered/copy-entries.ts';
import { type SyncDirection, syncTiers } from '../../tiered/sync.ts';
import { formatBytes } from '../../ui/byte-count.ts';
import { CREATE, EXISTING, globals, withStores } from '../command-context.ts';
import { printJson } from '../output.ts';

/** Registers the commands between two stores: `cp` and `sync`. */
export function registerCopyCommands(program: Command): void {
  program
    .command('cp')
    .description('copy entries from one store to another (batched, resumable, Ctrl-C stops cleanly)')
    .argument('<src>', 'source store URL (must exist)')
    .argument('<dst>', 'destination store URL (created if missing)')
    .option('-p, --prefix <prefix>', 'only keys under this prefix')
    .option('--overwrite', 'rewrite entries the destination already has with the same content')
    .action(copyStore);

  program
    .command('sync')
    .description('make two stores agree (newer modifiedAt wins when bidirectional)')
    .argument('<a>', 'first store URL (the "primary"); must exist when it is copied from')
    .argument('<b>', 'second store URL (the "secondary"); must exist when it is copied from')
    .addOption(
      new Option('-d, --direction <direction>', 'which way to copy')
        .choices(['a-to-b', 'b-to-a', 'both'])
        .default('a-to-b'),
    )
    .option('-p, --prefix <prefix>', 'only keys under this prefix')
    .option('--dry-run', 'count what would be copied, copy nothing')
    .action(syncStores);
}

async function copyStore(src: string, dst: string, opts: { prefix?: string; overwrite?: boolean }, command: Command) {
  const g = globals(command);
  await withStores(
    [
      [src, EXISTING],
      [dst, CREATE],
    ],
    async ([source, target]) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const bar = process.stderr.isTTY && !g.json ? await startProgressBar(source, opts.prefix) : undefined;
      const report = await copyEntries(source, target, {
        prefix: opts.prefix,
        overwrite: opts.overwrite,
        signal: stop.signal,
        onProgress: bar?.update,
      }).finally(() => bar?.stop());
      // The first failure ends the command with its message, as any other error does.
      if (report.failures[0]) throw report.failures[0].error;
      const { copied, skipped, bytes, interrupted } = report;
      if (g.json) printJson({ copied, skipped, bytes, interrupted });
      else
        process.stdout.write(
          `copied ${copied}, skipped ${skipped}, ${formatBytes(bytes)}${interrupted ? ' (interrupted: run again to resume)' : ''}\n`,
        );
      if (interrupted) process.exitCode = 1;
    },
  );
}

// Entries done out of the source's count (counted first), with bytes and rate.
async function startProgressBar(source: Backend, prefix: string | undefined) {
  let total = 0;
  for await (const _ of source.list(prefix)) total++;
  const started = Date.now();
  const bar = new SingleBar({ format: ' {bar} {value}/{total} entries | {size} | {rate} entries/s', hideCursor: true });
  bar.start(total, 0, { size: '0 B', rate: 0 });
  return {
    update(progress: CopyProgress) {
      const done = progress.copied + progress.skipped;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(done, { size: formatBytes(progress.bytes), rate: Math.round(done / seconds) });
    },
    stop() {
      bar.stop();
    },
  };
}

async function syncStores(
  a: string,
  b: string,
  opts: { direction: string; prefix?: string; dryRun?: boolean },
  command: Command,
) {
  const g = globals(command);
  const direction: SyncDirection =
    opts.direction === 'both'
      ? 'bidirectional'
      : opts.direction === 'b-to-a'
        ? 'secondaryToPrimary'
        : 'primaryToSecondary';
  // A store that is only copied from must exist; one that is only written to may be new.
  // A dry run writes nothing, so both must exist.
  const fromA = direction !== 'secondaryToPrimary' || opts.dryRun === true;
  const fromB = direction !== 'primaryToSecondary' || opts.dryRun === true;
  await withStores(
    [
      [a, fromA ? EXISTING : CREATE],
      [b, fromB ? EXISTING : CREATE],
    ],
    async ([first, second]) => {
      const report = await syncTiers(first, second, { direction, prefix: opts.prefix, dryRun: opts.dryRun });
      const summary = {
        copied: report.copied,
        skipped: report.skipped,
        conflicts: report.conflicts,
        errors: report.errors,
        dryRun: opts.dryRun ?? false,
      };
      if (g.json)
        printJson({ ...summary, failures: report.failures.map((f) => ({ key: f.key, error: f.error.message })) });
      else
        process.stdout.write(
          `${opts.dryRun ? 'would copy' : 'copied'} ${report.copied}, skipped ${report.skipped}, conflicts ${report.conflicts}, errors ${report.errors}\n`,
        );
      if (report.errors > 0) process.exitCode = 1;
    },
  );
}
