import type { Command } from 'commander';
import { CallStore } from '../../cas/call-store.ts';
import { ValueStore } from '../../cas/value-store.ts';
import type { CompactReport } from '../../core/backend.ts';
import { OperationError } from '../../core/errors.ts';
import { formatBytes } from '../../ui/byte-count.ts';
import { EXISTING, globals, withStore } from '../command-context.ts';
import { printJson } from '../output.ts';
import { UsageError } from '../usage-error.ts';

/** Registers the commands that reclaim space: `gc`, and `compact` (alias `vacuum`). */
export function registerMaintenanceCommands(program: Command): void {
  program
    .command('gc')
    .description('remove content-addressed values no call record refers to')
    .option('--dry-run', 'report without deleting')
    .option('--prefix <prefix>', 'prefix of the value and call stores', 'cas')
    .option('--grace-ms <ms>', 'keep values written or reused this recently (a put in another process)', '60000')
    .action(collectGarbage);

  for (const name of ['compact', 'vacuum']) {
    program
      .command(name)
      .description('reclaim space: orphaned temp files and empty directories (fs), VACUUM (SQL)')
      .action(compactStore);
  }
}

async function collectGarbage(opts: { dryRun?: boolean; prefix: string; graceMs: string }, command: Command) {
  const g = globals(command);
  const graceMs = Number(opts.graceMs);
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
    throw new UsageError(`--grace-ms must be a non-negative number of milliseconds, got '${opts.graceMs}'`);
  }
  await withStore(g.store as string, EXISTING, async (store) => {
    // Read by gc after its grace clock starts: a record saved during a long query is either
    // read or names nodes young enough to be kept.
    const calls = new CallStore({ backend: store, prefix: opts.prefix });
    const roots = (async function* () {
      for await (const call of calls.query()) {
        if (call.result) yield call.result;
        yield* Object.values(call.args);
      }
    })();
    const report = await new ValueStore({ backend: store, prefix: opts.prefix }).gc({
      roots,
      dryRun: opts.dryRun,
      graceMs,
    });
    if (g.json) printJson(report);
    else
      process.stdout.write(
        `${report.dryRun ? 'would remove' : 'removed'} ${report.removed} values (${formatBytes(report.bytesFreed)}), kept ${report.kept}\n`,
      );
  });
}

async function compactStore(_opts: unknown, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, EXISTING, async (store) => {
    if (!store.compact) throw new OperationError(`${store.label} has nothing to compact`);
    const report = await store.compact();
    if (g.json) printJson(report);
    else process.stdout.write(`${describeCompaction(store.label, report)}\n`);
  });
}

function describeCompaction(label: string, report: CompactReport): string {
  const parts = [`compacted ${label}`, `removed ${report.removed} leftover${report.removed === 1 ? '' : 's'}`];
  if (report.reclaimedBytes !== undefined) parts.push(`gave back ${formatBytes(report.reclaimedBytes)}`);
  const statements = report.details?.statements;
  if (Array.isArray(statements) && statements.length > 0) parts.push(`ran ${statements.join('; ')}`);
  return parts.join(', ');
}
