import { type KeyInput, keyToString } from './key-format.ts';

/** Stable machine-readable codes carried by every {@link StorageError}. */
export type StorageErrorCode =
  | 'STORAGE_ERROR'
  | 'NOT_FOUND'
  | 'STORE_NOT_FOUND'
  | 'INVALID_KEY'
  | 'CONDITION_FAILED'
  | 'MUTATION_POLICY'
  | 'AMBIGUOUS_DIGEST'
  | 'SERIALIZATION'
  | 'CORRUPT_VALUE'
  | 'CAPACITY'
  | 'CONNECTION'
  | 'OPERATION'
  | 'DRIVER_MISSING'
  | 'UNKNOWN_OUTCOME'
  | 'VALUE_TYPE';

/** Context attached to an error: which key and which backend it concerns. */
export interface ErrorContext {
  /** The key the operation was about, if any. */
  key?: KeyInput | undefined;
  /** A short, password-free description of the backend, e.g. `sqlite:/data/db.sqlite`. */
  backend?: string | undefined;
  /** The underlying error, already redacted by the caller. */
  cause?: unknown;
}

/**
 * Root of stowage's error hierarchy. Every error thrown by the library is a
 * `StorageError` with a stable {@link StorageErrorCode}; catch by class or by `code`.
 *
 * @example
 * ```ts
 * try { await store.get('a') } catch (e) { if (e instanceof StorageError) console.log(e.code) }
 * ```
 */
export class StorageError extends Error {
  /** Stable code for programmatic handling. */
  readonly code: StorageErrorCode;
  /** The key concerned, as a `/`-joined string. */
  readonly key: string | undefined;
  /** The backend concerned, without credentials. */
  readonly backend: string | undefined;

  constructor(message: string, context: ErrorContext = {}, code: StorageErrorCode = 'STORAGE_ERROR') {
    const key = context.key === undefined ? undefined : safeKeyString(context.key);
    const where = [key === undefined ? '' : `key '${key}'`, context.backend ? `backend ${context.backend}` : '']
      .filter(Boolean)
      .join(', ');
    super(
      where ? `${message} (${where})` : message,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.key = key;
    this.backend = context.backend;
  }
}

function safeKeyString(key: KeyInput): string {
  try {
    return keyToString(key);
  } catch {
    return String(key);
  }
}

/** The key does not exist. */
export class NotFoundError extends StorageError {
  constructor(message: string, context: ErrorContext = {}, code: StorageErrorCode = 'NOT_FOUND') {
    super(message, context, code);
  }
}

/**
 * The store itself does not exist: `openBackend(url, { create: false })` found no file,
 * folder, table or entries where the URL points, and created nothing.
 */
export class StoreNotFoundError extends NotFoundError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'STORE_NOT_FOUND');
  }
}

/** The key (or prefix) breaks the key rules; raised before any I/O. */
export class InvalidKeyError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'INVALID_KEY');
  }
}

/** An `ifMatch` / `ifAbsent` condition did not hold; nothing was written. */
export class ConditionFailedError extends StorageError {
  /** The ETag found in the store (`undefined` when the key is absent). */
  readonly actualEtag: string | undefined;
  constructor(message: string, context: ErrorContext & { actualEtag?: string | undefined } = {}) {
    super(message, context, 'CONDITION_FAILED');
    this.actualEtag = context.actualEtag;
  }
}

/** A write broke the store's mutation policy (e.g. append-only). Nothing changed. */
export class MutationPolicyError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'MUTATION_POLICY');
  }
}

/** A short digest matches several stored digests. */
export class AmbiguousDigestError extends StorageError {
  /** The full digests that share the prefix. */
  readonly candidates: readonly string[];
  constructor(message: string, candidates: readonly string[], context: ErrorContext = {}) {
    super(message, context, 'AMBIGUOUS_DIGEST');
    this.candidates = candidates;
  }
}

/** A value could not be encoded by its codec; nothing was written. */
export class SerializationError extends StorageError {
  /** The codec that failed. */
  readonly codec: string | undefined;
  constructor(message: string, context: ErrorContext & { codec?: string } = {}) {
    super(context.codec ? `${message} [codec ${context.codec}]` : message, context, 'SERIALIZATION');
    this.codec = context.codec;
  }
}

/** Stored bytes failed their checksum or could not be decoded. */
export class CorruptValueError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'CORRUPT_VALUE');
  }
}

/** A capacity limit (e.g. a memory backend's `maxBytes`) would be exceeded. */
export class CapacityError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'CAPACITY');
  }
}

/** The backend's server or file could not be reached. */
export class ConnectionError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'CONNECTION');
  }
}

/** An operation failed for another reason (driver error, I/O error, bad configuration). */
export class OperationError extends StorageError {
  constructor(message: string, context: ErrorContext = {}, code: StorageErrorCode = 'OPERATION') {
    super(message, context, code);
  }
}

/** A backend's optional driver package is not installed. */
export class DriverMissingError extends OperationError {
  /** The npm package to install. */
  readonly packageName: string;
  constructor(packageName: string, backendName: string, cause?: unknown) {
    super(
      `The ${backendName} backend needs the '${packageName}' package; install it with: npm install ${packageName}`,
      { backend: backendName, cause },
      'DRIVER_MISSING',
    );
    this.packageName = packageName;
  }
}

/**
 * A write to a server timed out or the connection dropped mid-request: it may or may
 * not have been applied. Never reported as "not written".
 */
export class UnknownOutcomeError extends ConnectionError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context);
    (this as { code: StorageErrorCode }).code = 'UNKNOWN_OUTCOME';
  }
}

/** A value does not fit a store's declared type or schema (on write: nothing written; on read: named key). */
export class ValueTypeError extends StorageError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context, 'VALUE_TYPE');
  }
}
