import type { Command } from 'commander';
import { CallStore } from '../../cas/call-store.ts';
import { ValueStore } from '../../cas/value-store.ts';
import type { Backend } from '../../core/backend.ts';
import { OperationError } from '../../core/errors.ts';
import { globals, withStore } from '../command-context.ts';
import { formatBytes, printJson } from '../output.ts';

/** Registers the commands that reclaim space: `gc`, and `compact` (alias `vacuum`). */
export function registerMaintenanceCommands(program: Command): void {
  program
    .command('gc')
    .description('remove content-addressed values no call record refers to')
    .option('--dry-run', 'report without deleting')
    .option('--prefix <prefix>', 'prefix of the value and call stores', 'cas')
    .action(collectGarbage);

  for (const name of ['compact', 'vacuum']) {
    program
      .command(name)
      .description('reclaim space: orphaned temp files and empty directories (fs), VACUUM (SQL)')
      .action(compactStore);
  }
}

async function collectGarbage(opts: { dryRun?: boolean; prefix: string }, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, async (store) => {
    const roots = new Set<string>();
    for await (const call of new CallStore({ backend: store, prefix: opts.prefix }).query()) {
      if (call.result) roots.add(call.result);
      for (const d of Object.values(call.args)) roots.add(d);
    }
    const report = await new ValueStore({ backend: store, prefix: opts.prefix }).gc({ roots, dryRun: opts.dryRun });
    if (g.json) printJson(report);
    else
      process.stdout.write(
        `${report.dryRun ? 'would remove' : 'removed'} ${report.removed} values (${formatBytes(report.bytesFreed)}), kept ${report.kept}\n`,
      );
  });
}

async function compactStore(_opts: unknown, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, async (store) => {
    const engine = store as Backend & Partial<{ compact(): Promise<unknown>; vacuum(): Promise<unknown> }>;
    if (!engine.compact && !engine.vacuum) throw new OperationError(`${store.label} has nothing to compact`);
    const report = engine.compact ? await engine.compact() : await engine.vacuum?.();
    if (g.json) printJson(report ?? { ok: true });
    else process.stdout.write(`${report ? JSON.stringify(report) : 'done'}\n`);
  });
}
