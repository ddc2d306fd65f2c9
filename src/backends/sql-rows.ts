import type { Meta } from '../core/backend.ts';
import type { JsonObject } from '../core/json.ts';

/** The metadata columns every SQL backend stores, in that order. */
export const SQL_META_COLUMNS = ['etag', 'size', 'checksum', 'created_at', 'modified_at', 'attrs'] as const;

/** A metadata row as drivers return it (64-bit integers may arrive as strings or bigints). */
export interface SqlMetaRow {
  etag: string;
  size: number | string | bigint;
  checksum: number | string | bigint;
  created_at: number | string | bigint;
  modified_at: number | string | bigint;
  attrs: string | JsonObject;
}

/** Converts a SQL metadata row into {@link Meta}. */
export function sqlRowMeta(row: SqlMetaRow): Meta {
  return {
    etag: row.etag,
    size: Number(row.size),
    checksum: Number(row.checksum),
    createdAt: Number(row.created_at),
    modifiedAt: Number(row.modified_at),
    // Most entries have no attrs: skip the parse for the common '{}'.
    attrs: typeof row.attrs !== 'string' ? row.attrs : row.attrs === '{}' ? {} : (JSON.parse(row.attrs) as JsonObject),
  };
}

/** Rows read per page of a listing, so no statement or cursor stays open across awaits. */
export const SQL_PAGE_SIZE = 500;

/** Keeps the last entry for each key, so one multi-row upsert never touches a row twice. */
export function lastPerKey<T extends { path: string }>(rows: readonly T[]): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    byKey.delete(row.path);
    byKey.set(row.path, row);
  }
  return [...byKey.values()];
}
