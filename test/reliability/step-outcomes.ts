// How the layer models check one step's outcome: a value, or a refusal of a given kind.
import { expect } from 'vitest';

/** The value a call resolved, or the error it rejected with. */
export async function outcome<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.then(
    (v) => v,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
}

/** Fails the step unless `got` is a `kind` error (naming `key`, when one is given). */
export function expectRefused(
  got: unknown,
  kind: abstract new (...args: never[]) => Error,
  where: string,
  key?: string,
): void {
  if (!(got instanceof kind)) {
    const what = got instanceof Error ? `${got.name}: ${got.message}` : JSON.stringify(got);
    throw new Error(`${where}: expected ${kind.name}, got ${what}`);
  }
  if (key !== undefined) expect((got as Error & { key?: string }).key, where).toBe(key);
}

/** Fails the step if the call was refused. */
export function expectDone(got: unknown, where: string): void {
  if (got instanceof Error) throw new Error(`${where}: unexpected ${got.name}: ${got.message}`);
}
