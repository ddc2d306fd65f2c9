import type { Meta } from '../../core/backend.ts';
import { CorruptValueError } from '../../core/errors.ts';
import { isPlainObject, type JsonObject } from '../../core/json.ts';
import { checkEtagKey } from '../kit/meta.ts';

/** A metadata row as drivers return it (64-bit integers may arrive as strings or bigints). */
export interface SqlMetaRow {
  etag: string;
  size: number | string | bigint;
  checksum: number | string | bigint;
  created_at: number | string | bigint;
  modified_at: number | string | bigint;
  attrs: string | JsonObject;
}

/**
 * Converts a SQL metadata row into {@link Meta}; attributes that are not JSON (a damaged
 * file or a foreign write) and a row written under another key (its ETag says which) are
 * a {@link CorruptValueError} naming the key.
 */
export function sqlRowMeta(row: SqlMetaRow, key: string, backend: string): Meta {
  checkEtagKey(row.etag, key, backend);
  return {
    etag: row.etag,
    size: Number(row.size),
    checksum: Number(row.checksum),
    createdAt: Number(row.created_at),
    modifiedAt: Number(row.modified_at),
    // Most entries have no attrs: skip the parse for the common '{}'.
    attrs: typeof row.attrs !== 'string' ? row.attrs : row.attrs === '{}' ? {} : parseAttrs(row.attrs, key, backend),
  };
}

function parseAttrs(text: string, key: string, backend: string): JsonObject {
  let attrs: unknown;
  try {
    attrs = JSON.parse(text);
  } catch (error) {
    throw new CorruptValueError(`Stored attributes are not JSON: ${(error as Error).message}`, { key, backend });
  }
  if (!isPlainObject(attrs)) throw new CorruptValueError('Stored attributes are not a JSON object', { key, backend });
  return attrs as JsonObject;
}

/** Keeps the last entry for each key, so one multi-row upsert never touches a row twice. */
export function lastPerKey<T extends { path: string }>(rows: readonly T[]): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    byKey.delete(row.path);
    byKey.set(row.path, row);
  }
  return [...byKey.values()];
}

/** Splits rows into statements of at most `limit.rows` rows and about `limit.bytes` value bytes. */
export function chunkRows<T extends { value: Uint8Array }>(
  rows: readonly T[],
  limit: { readonly rows: number; readonly bytes: number },
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (bytes + row.value.byteLength > limit.bytes || current.length >= limit.rows)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.value.byteLength;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * A plain `Uint8Array` over a driver's `Buffer`. A view when the buffer owns its memory;
 * a copy when it is a slice of a shared pool, so a caller never reaches other data
 * through `.buffer`.
 */
export function plainBytes(raw: unknown): Uint8Array {
  const bytes = raw as Uint8Array;
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype) return bytes;
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}
