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

/**
 * What an option's value must be: a string, `true` / `false`, a number of milliseconds
 * handed to a timer or a driver (`milliseconds` from 0, `positive milliseconds` above 0;
 * at most Node's timer limit), a span of time only compared with clocks (`duration` from
 * 0, `positive duration` above 0; `Infinity` allowed), a whole number (`integer`; its
 * range checked where it is used), a number, a TCP port, an SQL echo (`true` / `false`
 * or a function of the statement), or one of listed strings.
 */
export type OptionRule =
  | 'string'
  | 'boolean'
  | 'milliseconds'
  | 'positive milliseconds'
  | 'duration'
  | 'positive duration'
  | 'integer'
  | 'number'
  | 'port'
  | 'echo'
  | readonly string[];

/** A backend's options, each with the rule its value must meet. */
export type OptionRules = Readonly<Record<string, OptionRule>>;

// Node's timers hold at most 2^31 - 1 ms; a longer timeout silently becomes 1 ms.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Refuses options a backend does not know (as {@link checkKnownOptions}) and options whose
 * value breaks its rule, naming the option and what it must be: a `fsync: 'no'` or a
 * `connectTimeoutMs: -5` fails here, not as a silent truthy value or a driver's crash.
 * Values set to `undefined` count as not given. The value itself is repeated in the error
 * only as a number where the rule asks for one, or as one of a listed choice's strings:
 * anything else may be a password in the wrong place.
 */
export function checkOptions(given: object, rules: OptionRules, backend: string): void {
  const options = given as Readonly<Record<string, unknown>>;
  checkKnownOptions(options, Object.keys(rules), backend);
  for (const [name, rule] of Object.entries(rules)) {
    const value = options[name];
    if (value === undefined) continue;
    const wanted = unmetRule(rule, value);
    if (wanted === undefined) continue;
    throw new OperationError(
      `The ${backend} backend's option '${name}' must be ${wanted} (got ${describeValue(value, rule)})`,
      { backend },
    );
  }
}

/** What `value` fails to be under `rule`, or `undefined` when it meets it. */
function unmetRule(rule: OptionRule, value: unknown): string | undefined {
  if (Array.isArray(rule)) return rule.includes(value as string) ? undefined : `one of ${rule.join(', ')}`;
  const number = typeof value === 'number' ? value : Number.NaN;
  switch (rule) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'echo':
      return typeof value === 'boolean' || typeof value === 'function' ? undefined : 'true, false or a function';
    case 'number':
      return Number.isFinite(number) ? undefined : 'a finite number';
    case 'integer':
      return Number.isSafeInteger(number) ? undefined : 'a whole number';
    case 'port':
      return Number.isInteger(number) && number >= 1 && number <= 65_535 ? undefined : 'a port number from 1 to 65535';
    case 'milliseconds':
      return number >= 0 && number <= MAX_TIMER_MS ? undefined : `a number of milliseconds from 0 to ${MAX_TIMER_MS}`;
    case 'positive milliseconds':
      return number > 0 && number <= MAX_TIMER_MS
        ? undefined
        : `a number of milliseconds above 0, at most ${MAX_TIMER_MS}`;
    case 'duration':
      return number >= 0 ? undefined : 'a number of milliseconds from 0 (Infinity allowed)';
    case 'positive duration':
      return number > 0 ? undefined : 'a number of milliseconds above 0 (Infinity allowed)';
  }
  return undefined;
}

const NUMERIC_RULES: readonly OptionRule[] = [
  'number',
  'integer',
  'port',
  'milliseconds',
  'positive milliseconds',
  'duration',
  'positive duration',
];

function describeValue(value: unknown, rule: OptionRule): string {
  const choice = Array.isArray(rule);
  if (typeof value === 'number' && (choice || NUMERIC_RULES.includes(rule))) return String(value);
  if (typeof value === 'string' && choice) return `'${value.slice(0, 40)}'`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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
