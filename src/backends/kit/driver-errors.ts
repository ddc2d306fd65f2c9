import { ConnectionError, OperationError, StorageError, UnknownOutcomeError } from '../../core/errors.ts';
import { redactedCause, redactSecrets } from './redact.ts';

/**
 * How one driver reports a lost or unreachable server. Each backend declares its own
 * table next to its driver, so this module knows Node's socket errors and nothing else.
 */
export interface DriverErrorTable {
  /** Driver or server codes meaning the server could not be reached or the connection broke. */
  readonly connectionCodes?: ReadonlySet<string> | undefined;
  /** The subset of failures that happen before a request is sent: a write was certainly not applied. */
  readonly notSentCodes?: ReadonlySet<string> | undefined;
  /** Messages meaning the connection broke (drivers that report it only in text). */
  readonly connectionMessages?: RegExp | undefined;
  /** Messages meaning the request was never sent. */
  readonly notSentMessages?: RegExp | undefined;
  /** Codes meaning the engine ran out of space (becomes `CapacityError` upstream). */
  readonly capacityCodes?: ReadonlySet<string> | undefined;
}

// Node's own socket errors, shared by every network driver.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);
const SOCKET_NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);
const SOCKET_MESSAGES = /ECONNREFUSED|ECONNRESET|socket hang up|timed out|timeout/i;

/** What was being done when a driver failed. */
export interface DriverErrorContext {
  /** Backend label (already password-free). */
  backend: string;
  /** What the operation was, e.g. `put`. */
  what: string;
  key?: string | undefined;
  /** Secrets to scrub from the driver's message (passwords). */
  secrets: readonly (string | undefined)[];
  /** True for writes: a broken connection then leaves the outcome unknown. */
  write?: boolean | undefined;
  /** Where the server is, for connection errors (`host:port`). */
  address?: string | undefined;
  /** The driver's own codes and messages. */
  table?: DriverErrorTable | undefined;
}

function codeOf(error: unknown): string {
  return String((error as { code?: unknown } | null)?.code ?? '');
}

/** True when the error means the server could not be reached or the connection broke. */
export function isConnectionFailure(error: unknown, table: DriverErrorTable = {}): boolean {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return (
    SOCKET_CODES.has(code) ||
    table.connectionCodes?.has(code) === true ||
    SOCKET_MESSAGES.test(message) ||
    table.connectionMessages?.test(message) === true ||
    error instanceof AggregateError
  );
}

/**
 * Turns a driver error into a typed, redacted {@link StorageError}. A write that failed
 * because the connection broke may have been applied: it becomes {@link UnknownOutcomeError}.
 */
export function classifyDriverError(error: unknown, context: DriverErrorContext): StorageError {
  if (error instanceof StorageError) return error;
  const table = context.table ?? {};
  const cause = redactedCause(error, context.secrets);
  const detail = redactSecrets(
    cause.message || (error instanceof AggregateError ? 'connection failed' : ''),
    context.secrets,
  );
  const where = context.address ? ` at ${context.address}` : '';
  const base = { key: context.key, backend: context.backend, cause };
  if (isConnectionFailure(error, table)) {
    const code = codeOf(error);
    const notSent =
      SOCKET_NOT_SENT.has(code) ||
      table.notSentCodes?.has(code) === true ||
      table.notSentMessages?.test(cause.message) === true ||
      error instanceof AggregateError;
    if (context.write && !notSent) {
      return new UnknownOutcomeError(
        `${context.what}: the connection to the server${where} failed during the write, so it may or may not have been applied (${detail})`,
        base,
      );
    }
    return new ConnectionError(`${context.what}: cannot reach the server${where} (${detail})`, base);
  }
  return new OperationError(`${context.what} failed: ${detail}`, base);
}
