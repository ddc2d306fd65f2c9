import { OperationError } from '../../core/errors.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks a table or prefix name that comes from configuration. Only plain
 * identifiers are accepted, and they are still quoted where used.
 */
export function checkIdentifier(name: string, what: string, backend: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new OperationError(
      `Invalid ${what} '${name}': use letters, digits and _ (at most 63, not starting with a digit)`,
      {
        backend,
      },
    );
  }
  return name;
}
