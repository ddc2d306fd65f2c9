#!/usr/bin/env node
import '../builtin-stores.ts';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { StorageError } from '../core/errors.ts';
import { DEFAULT_STORE } from './command-context.ts';
import { registerCallCommands } from './commands/calls.ts';
import { registerCopyCommands } from './commands/copy.ts';
import { registerEntryCommands } from './commands/entries.ts';
import { registerInfoCommand } from './commands/info.ts';
import { registerMaintenanceCommands } from './commands/maintenance.ts';
import { registerResultCommands } from './commands/results.ts';
import { registerUiCommand } from './commands/ui.ts';
import { EXIT_CODES, exitCodeOf } from './exit-codes.ts';

// src/cli/main.ts and dist/cli/main.js are both two folders below package.json.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// An empty STOWAGE_URL (as `STOWAGE_URL= stowage ls` or a blank CI variable) means unset.
if (process.env.STOWAGE_URL === '') delete process.env.STOWAGE_URL;

// Decided before parsing, so that even a refused command line is reported as JSON.
const json = process.argv.includes('--json');
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');

const HELP_AFTER = `
Stores are URLs (default ${DEFAULT_STORE}, or STOWAGE_URL):
  sqlite:./db.sqlite  sqlite:///rel.db (SQLAlchemy: relative)  sqlite:////abs.db  file:./dir
  postgres://user@host/db  mysql://user@host/db  redis://host:6379/0  lmdb:./dir  memory://name
Every command but put opens existing stores only: a URL that points at nothing is an
error (exit code 1), and nothing is created. put, and the store cp / sync copy into,
create the store when it is missing.

Examples:
  stowage put runs/a --value '{"best":0.1}' --codec msgpack --attrs '{"solver":"nsga2"}'
  echo hello | stowage put notes/today -        # - reads stdin
  stowage ls runs --long
  stowage get runs/a --codec msgpack
  stowage --json stat runs/a
  stowage cp sqlite:./a.sqlite file:./backup
  stowage results ls run_ --store sqlite:./.stowage/results.sqlite

Exit codes:
  ${EXIT_CODES.ok}  done
  ${EXIT_CODES.failure}  the operation failed (store missing or unreachable, condition failed, ...)
  ${EXIT_CODES.usage}  the command line was refused (unknown option, bad --codec or --attrs, ...)
  ${EXIT_CODES.notFound}  the key, result or call asked for does not exist (the store does)
With --json, errors are printed to stderr as {"error": {"code", "message", ...}}.
`;

const program = new Command('stowage')
  .description(
    'Inspect, copy, sync and clean any stowage store. Stores are URLs: sqlite:./db.sqlite, file:./dir, postgres://..., redis://...',
  )
  .version(version, '-V, --version', 'print the version of stowage')
  .addOption(new Option('-s, --store <url>', 'store URL').env('STOWAGE_URL').default(DEFAULT_STORE))
  .option('--json', 'machine-readable output (errors too, on stderr)')
  .option('-v, --verbose', 'show stack traces on errors')
  .addHelpText('after', HELP_AFTER)
  .exitOverride();
if (json) {
  // Commander prints its own refusals as text; with --json they are reported below instead.
  program.configureOutput({ outputError: () => undefined });
} else {
  program.showHelpAfterError('(run with --help for usage)');
}

// The order of registration is the order of `stowage --help`.
registerEntryCommands(program);
registerInfoCommand(program);
registerCopyCommands(program);
registerMaintenanceCommands(program);
registerResultCommands(program);
registerCallCommands(program);
registerUiCommand(program);

function report(error: unknown): void {
  const message = error instanceof Error ? error.message.replace(/^error: /, '') : String(error);
  if (json) {
    const storage = error instanceof StorageError ? error : undefined;
    const commander = error instanceof CommanderError ? error : undefined;
    const body = {
      name: error instanceof Error ? error.name : 'Error',
      code: storage?.code ?? commander?.code ?? 'USAGE',
      message,
      key: storage?.key,
      backend: storage?.backend,
      exitCode: exitCodeOf(error),
    };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return;
  }
  // Commander has printed its own message already.
  if (!(error instanceof CommanderError)) process.stderr.write(`stowage: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

// A reader that closes the pipe early (`stowage ls | head`) has all it wanted: stop quietly,
// as Unix tools do, instead of reporting a failed write.
function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}
process.stdout.on('error', (error) => {
  if (isClosedPipe(error)) process.exit(EXIT_CODES.ok);
  throw error;
});

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT_CODES.ok;
    if (isClosedPipe(error)) return EXIT_CODES.ok;
    report(error);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv);
