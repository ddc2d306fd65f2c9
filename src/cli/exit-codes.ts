import { CommanderError } from 'commander';
import { NotFoundError, StoreNotFoundError } from '../core/errors.ts';
import { UsageError } from './usage-error.ts';

/** The exit codes of `stowage`, as `--help` lists them. */
export const EXIT_CODES = {
  /** Done. */
  ok: 0,
  /** The operation failed (the store could not be opened or does not exist, a condition failed, ...). */
  failure: 1,
  /** The command line was refused: unknown command or option, missing argument, bad value. */
  usage: 2,
  /** The key (or result, or call) asked for does not exist; the store does. */
  notFound: 3,
} as const;

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError || error instanceof UsageError) return EXIT_CODES.usage;
  if (error instanceof StoreNotFoundError) return EXIT_CODES.failure;
  if (error instanceof NotFoundError) return EXIT_CODES.notFound;
  return EXIT_CODES.failure;
}
