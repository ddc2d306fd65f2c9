import type { IncomingMessage } from 'node:http';
import type { ReadableStream } from 'node:stream/web';
import { StorageError } from '../index.ts';

/** An HTTP answer: a status, headers and a body. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A stream is sent as it is read (a stored value of any size, chunk by chunk). */
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
}

/** A request refused before it reached a store: a status and a message for the user. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** A 400 answer naming what is wrong with the request. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message);
}

/** A JSON reply; `undefined` fields are left out, bigints become strings. */
export function json(value: unknown, status = 200): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  };
}

/** A file download: the browser saves it under `filename` and never renders it. */
export function download(
  body: string | Uint8Array | ReadableStream<Uint8Array>,
  filename: string,
  contentType: string,
  size?: number,
): Reply {
  // Only characters that are safe in a quoted header value; the rest become '_'.
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) || 'download';
  const headers: Record<string, string> = {
    'content-type': contentType,
    'content-disposition': `attachment; filename="${safe}"`,
  };
  if (size !== undefined) headers['content-length'] = String(size);
  return { status: 200, headers, body };
}

const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  INVALID_KEY: 400,
  CONDITION_FAILED: 409,
  MUTATION_POLICY: 403,
  AMBIGUOUS_DIGEST: 400,
  OPERATION: 400,
  DRIVER_MISSING: 500,
  CONNECTION: 503,
  UNKNOWN_OUTCOME: 503,
};

/** The JSON error reply for anything a handler throws; storage errors keep their code. */
export function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) return json({ error: { code: error.code, message: error.message } }, error.status);
  if (error instanceof StorageError) {
    return json({ error: { code: error.code, message: error.message } }, STATUS_BY_CODE[error.code] ?? 500);
  }
  const message = error instanceof Error ? error.message : String(error);
  return json({ error: { code: 'INTERNAL', message } }, 500);
}

/**
 * The query parameters of one request, checked against the names its route accepts:
 * an unknown parameter is refused (named in the answer), never ignored.
 */
export class QueryParams {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams, accepted: readonly string[]) {
    for (const name of new Set(params.keys())) {
      if (name !== 'token' && !accepted.includes(name)) {
        throw badRequest(
          `Unknown parameter '${name}' (this request accepts: ${accepted.join(', ') || 'no parameters'})`,
        );
      }
    }
    this.#params = params;
  }

  /** A text parameter, or `fallback` when absent. */
  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.#params.get(name) ?? fallback;
  }

  /** Every value of a repeated parameter. */
  all(name: string): string[] {
    return this.#params.getAll(name);
  }

  /** A text parameter that must be present. */
  required(name: string): string {
    const value = this.#params.get(name);
    if (value === null) throw badRequest(`Missing parameter '${name}'`);
    return value;
  }

  /** An integer parameter within bounds. */
  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#params.get(name);
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw badRequest(`Parameter '${name}' must be an integer from ${min} to ${max}, got '${raw}'`);
    }
    return value;
  }

  /** A parameter that must be one of `choices`. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.#params.get(name);
    if (raw === null || raw === '') return fallback;
    if (!choices.includes(raw as T)) {
      throw badRequest(`Parameter '${name}' must be one of ${choices.join(', ')}, got '${raw}'`);
    }
    return raw as T;
  }

  /** A parameter holding a JSON object, or `undefined` when absent or empty. */
  jsonObject(name: string): Record<string, unknown> | undefined {
    const raw = this.#params.get(name);
    if (raw === null || raw.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest(`Parameter '${name}' must be a JSON object, got '${raw}'`);
    }
    if (!isPlainObject(value)) throw badRequest(`Parameter '${name}' must be a JSON object, got '${raw}'`);
    return value;
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a JSON object body (at most 1 MB). */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'TOO_LARGE', 'The request body is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('The request body must be JSON');
  }
  if (!isPlainObject(value)) throw badRequest('The request body must be a JSON object');
  return value;
}

/** The message of anything thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True for plain objects (`{...}` from JSON), not arrays or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
