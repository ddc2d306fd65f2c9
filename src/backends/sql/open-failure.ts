import { ConnectionError, StorageError } from '../../core/errors.ts';

/** The typed error of a database file that would not open; typed storage errors pass as they are. */
export function openFailure(engine: string, label: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  return new ConnectionError(`Cannot open ${engine} database: ${(error as Error).message}`, {
    backend: label,
    cause: error,
  });
}
