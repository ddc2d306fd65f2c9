import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConnectionError, StorageError, StoreNotFoundError } from '../../core/errors.ts';

/**
 * The typed error of a database file that would not open; typed storage errors pass as
 * they are. Engines say only "unable to open database file", so when `path` is given the
 * reason is looked up (a missing or unwritable folder, a file without permission).
 */
export function openFailure(engine: string, label: string, error: unknown, path?: string): StorageError {
  if (error instanceof StorageError) return error;
  const reason = path === undefined || path === ':memory:' ? undefined : whyNotOpenable(path);
  return new ConnectionError(
    `Cannot open ${engine} database: ${(error as Error).message}${reason ? ` (${reason})` : ''}`,
    { backend: label, cause: error },
  );
}

/** Why a database file at `path` cannot be opened for writing, or `undefined` when nothing is wrong with its permissions. */
export function whyNotOpenable(path: string): string | undefined {
  const folder = dirname(path);
  if (!existsSync(folder)) return `the folder ${folder} does not exist`;
  if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
  if (existsSync(path) && !can(path, constants.R_OK | constants.W_OK)) {
    return `permission denied: ${path} cannot be read and written by this user`;
  }
  // The engine also creates journal files (-wal, -shm, .wal) beside the database.
  if (!can(folder, constants.W_OK | constants.X_OK)) {
    return `permission denied: this user cannot create files in ${folder} (the database ${basename(path)} and its journal files)`;
  }
  return undefined;
}

function can(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** The error for a database file that is not there when opening with `create: false`. */
export function missingDatabase(engine: string, label: string, path: string): StoreNotFoundError {
  const what =
    path === ':memory:' ? 'An in-memory database is new on every open' : `There is no ${engine} database at ${path}`;
  return new StoreNotFoundError(`${what}, and create is false (it opens existing stores only)`, { backend: label });
}
