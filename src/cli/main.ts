#!/usr/bin/env node
import '../builtin-stores.ts';
import { Command, CommanderError, Option } from 'commander';
import { StorageError } from '../core/errors.ts';
import { registerCallCommands } from './commands/calls.ts';
import { registerCopyCommands } from './commands/copy.ts';
import { registerEntryCommands } from './commands/entries.ts';
import { registerInfoCommand } from './commands/info.ts';
import { registerMaintenanceCommands } from './commands/maintenance.ts';
import { registerResultCommands } from './commands/results.ts';
import { registerUiCommand } from './commands/ui.ts';
import { UsageError } from './usage-error.ts';

/** The store used when neither `--store` nor `STOWAGE_URL` is given. */
export const DEFAULT_STORE = 'sqlite:./.stowage/store.sqlite';

const program = new Command('stowage')
  .description(
    'Inspect, copy, sync and clean any stowage store. Stores are URLs: sqlite:./db.sqlite, file:./dir, postgres://..., redis://...',
  )
  .addOption(new Option('-s, --store <url>', 'store URL').env('STOWAGE_URL').default(DEFAULT_STORE))
  .option('--json', 'machine-readable output')
  .option('-v, --verbose', 'show stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// The order of registration is the order of `stowage --help`.
registerEntryCommands(program);
registerInfoCommand(program);
registerCopyCommands(program);
registerMaintenanceCommands(program);
registerResultCommands(program);
registerCallCommands(program);
registerUiCommand(program);

// Exit codes: 0 done, 1 the operation failed, 2 the command line was refused.
async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
        return 0;
      return 2;
    }
    const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');
    if (error instanceof UsageError) {
      process.stderr.write(`stowage: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof StorageError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`stowage: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
