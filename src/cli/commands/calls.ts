import type { Command } from 'commander';
import { CallStore } from '../../cas/call-store.ts';
import { EXISTING, type Globals, globals, withStore } from '../command-context.ts';
import { printJson, printTable } from '../output.ts';
import { UsageError } from '../usage-error.ts';

/** Registers `calls ls|query`, over the memoised call records under `--prefix`. */
export function registerCallCommands(program: Command): void {
  const calls = program
    .command('calls')
    .description('memoised call records (CallStore)')
    .option('--prefix <prefix>', 'CAS prefix', 'cas');

  for (const name of ['ls', 'query']) {
    calls
      .command(name)
      .description(name === 'ls' ? 'list call records' : 'find call records by function, version and argument values')
      .option('--fn <name>', 'function name')
      // Not --version: that is stowage's own, anywhere on the command line.
      .option('--fn-version <version>', 'function version')
      .option('--arg <name=value...>', 'argument value (JSON or text); omitted arguments match anything')
      .action(queryCalls);
  }
}

async function queryCalls(opts: { fn?: string; fnVersion?: string; arg?: string[] }, command: Command) {
  const g = globals(command) as Globals & { prefix: string };
  const args = parseArgFilters(opts.arg);
  await withStore(g.store as string, EXISTING, async (store) => {
    const rows = [];
    for await (const call of new CallStore({ backend: store, prefix: g.prefix }).query({
      fn: opts.fn,
      version: opts.fnVersion,
      args,
    })) {
      rows.push({
        id: call.id.slice(0, 12),
        fn: call.fn,
        version: call.version,
        result: call.result?.slice(0, 12) ?? call.error?.message,
        ms: call.durationMs,
        started: new Date(call.startedAt).toISOString(),
        args: call.args,
      });
    }
    if (g.json) printJson(rows);
    else printTable(rows, ['id', 'fn', 'version', 'result', 'ms', 'started']);
  });
}

// `--arg x=3 --arg name=abc`: values that parse as JSON are compared as such, others as text.
function parseArgFilters(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--arg needs name=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    try {
      out[pair.slice(0, eq)] = JSON.parse(raw);
    } catch {
      out[pair.slice(0, eq)] = raw;
    }
  }
  return out;
}
