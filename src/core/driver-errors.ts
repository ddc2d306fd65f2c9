import { ConnectionError, OperationError, StorageError, UnknownOutcomeError } from './errors.ts';
import { redactedCause, redactSecrets } from './redact.ts';

// Codes drivers use when the server cannot be reached or the connection broke.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  '57P01', // admin_shutdown
  '57P02',
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
]);

// Failures that happen before a request is sent: the write was certainly not applied.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ER_CON_COUNT_ERROR', '57P03', '08001']);
const NOT_SENT_MESSAGES =
  /ECONNREFUSED|not writeable|isn't writeable|enableOfflineQueue|Connection is closed|cannot connect|timeout exceeded when trying to connect/i;

// "max retries per request": ioredis gave up on a command queued on a connection that then
// broke; it may already have reached the server, so it is not in NOT_SENT_MESSAGES.
const CONNECTION_MESSAGES =
  /connection (terminated|closed|refused|lost|is closed)|timeout|timed out|not writeable|isn't writeable|enableOfflineQueue|socket|ECONNREFUSED|ECONNRESET|client was closed|Connection is closed|max retries per request/i;

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
}

/** True when the error means the server could not be reached or the connection broke. */
export function isConnectionFailure(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  return CONNECTION_CODES.has(code) || CONNECTION_MESSAGES.test(message) || error instanceof AggregateError;
}

/**
 * Turns a driver error into a typed, redacted {@link StorageError}. A write that failed
 * because the connection broke may have been applied: it becomes {@link UnknownOutcomeError}.
 */
export function classifyDriverError(error: unknown, context: DriverErrorContext): StorageError {
  if (error instanceof StorageError) return error;
  const cause = redactedCause(error, context.secrets);
  const detail = redactSecrets(
    cause.message || (error instanceof AggregateError ? 'connection failed' : ''),
    context.secrets,
  );
  const where = context.address ? ` at ${context.address}` : '';
  const base = { key: context.key, backend: context.backend, cause };
  if (isConnectionFailure(error)) {
    const code = String((error as { code?: unknown } | null)?.code ?? '');
    const notSent =
      NOT_SENT_CODES.has(code) || NOT_SENT_MESSAGES.test(cause.message) || error instanceof AggregateError;
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
