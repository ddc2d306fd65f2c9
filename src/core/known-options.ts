import { OperationError } from './errors.ts';

/**
 * Refuses options nobody reads: a misspelt or unsupported option must fail loudly,
 * naming itself and the ones that exist, never be dropped without a word. `owner` says
 * whose options they are (`KeyvStowage`, `createStorageManager`, ...), `what` what they
 * are (`option`, `URL parameter`). Options set to `undefined` count as not given.
 */
export function rejectUnknownOptions(
  given: object | undefined,
  known: readonly string[],
  owner: string,
  context: { backend?: string | undefined } = {},
  what = 'option',
): void {
  if (given === undefined || given === null) return;
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || known.includes(name)) continue;
    throw new OperationError(`Unknown ${what} '${name}' of ${owner} (known: ${known.join(', ') || 'none'})`, context);
  }
}
