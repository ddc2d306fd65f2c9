import { OperationError } from '../../core/errors.ts';
import { rejectUnknownOptions } from '../../core/known-options.ts';

/**
 * Refuses options a backend does not know, so a typo (`poolsize`) or an option of
 * another engine never passes silently. `type` is always allowed in configs.
 */
export function checkKnownOptions(
  given: Readonly<Record<string, unknown>>,
  known: readonly string[],
  backend: string,
  what = 'option',
): void {
  const { type: _type, ...rest } = given;
  rejectUnknownOptions(rest, known, `the ${backend} backend`, { backend }, what);
}

/** `value` if it is a non-empty string, else an `OperationError` naming the option. */
export function requireString(value: unknown, name: string, backend: string): string {
  if (typeof value === 'string' && value !== '') return value;
  const got = value === undefined ? 'none was given' : `got ${value === '' ? 'an empty string' : `a ${typeof value}`}`;
  throw new OperationError(`The ${backend} backend needs the option '${name}' as a non-empty string (${got})`, {
    backend,
  });
}

/**
 * A config without its `type`, as the options of the backend's `open()`. Only for
 * backends whose `open()` checks every option itself, so nothing unchecked passes.
 */
export function optionsFromConfig<T>(config: Readonly<Record<string, unknown>>): T {
  const { type: _type, ...rest } = config;
  return rest as T;
}

/** Refuses query parameters of a store URL that the backend does not know. */
export function checkKnownParams(params: URLSearchParams, known: readonly string[], backend: string): void {
  const given: Record<string, string> = {};
  for (const name of params.keys()) given[name] = '';
  checkKnownOptions(given, known, backend, 'URL parameter');
}

/** The password given directly, or read from the environment variable `passwordEnv` names. */
export function passwordFrom(options: {
  password?: string | undefined;
  passwordEnv?: string | undefined;
}): string | undefined {
  return options.password ?? (options.passwordEnv ? process.env[options.passwordEnv] : undefined);
}
