import type { SqlDialect } from './dialect.ts';

const COLUMNS = ['etag', 'size', 'checksum', 'created_at', 'modified_at', 'attrs', 'value'] as const;

/** The columns of a stowage table besides its key column. */
export const TABLE_COLUMNS: readonly string[] = COLUMNS;

/** Every statement text of a table, built once per store so no call builds SQL. */
export interface SqlStatements {
  readonly table: string;
  readonly metaColumns: string;
  readonly keyColumn: string;
  readonly get: string;
  readonly stat: string;
  readonly etag: string;
  readonly createdAt: string;
  readonly insertIfAbsent: string;
  readonly upsert: string;
  readonly updateIfMatch: string;
  readonly delete: string;
  readonly deleteIfMatch: string;
  readonly clearAll: string;
  readonly clearRange: string;
  readonly count: string;
  getIn(n: number): string;
  deleteIn(n: number): string;
  upsertMany(rows: number): string;
  createdAtIn(n: number): string;
}

/** The statements of `table` in `d`'s dialect; parameters are numbered in text order. */
export function sqlStatements(d: SqlDialect, table: string): SqlStatements {
  const t = d.quote(table);
  const k = d.keyColumn;
  const p = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => d.placeholder(from + i)).join(', ');
  const metaOnly = 'etag, size, checksum, created_at, modified_at, attrs';
  const metaColumns = `${k} AS k, ${metaOnly}`;
  const insertHead = `INSERT INTO ${t} (${k}, ${COLUMNS.join(', ')}) VALUES `;
  const returning = d.returning ? ' RETURNING created_at' : '';
  const tuples = (rows: number) => Array.from({ length: rows }, (_, r) => `(${p(r * 8 + 1, 8)})`).join(', ');
  return {
    table: t,
    metaColumns,
    keyColumn: `${k} AS k`,
    // The key is known to the caller: not read back, one string fewer per get.
    get: `SELECT ${metaOnly}, value FROM ${t} WHERE ${k} = ${d.placeholder(1)}`,
    stat: `SELECT ${metaColumns} FROM ${t} WHERE ${k} = ${d.placeholder(1)}`,
    etag: `SELECT etag FROM ${t} WHERE ${k} = ${d.placeholder(1)}`,
    createdAt: `SELECT created_at FROM ${t} WHERE ${k} = ${d.placeholder(1)} AND etag = ${d.placeholder(2)}`,
    insertIfAbsent: `${insertHead}(${p(1, 8)})${d.ignoreDuplicateClause ?? ''}`,
    upsert: `${insertHead}(${p(1, 8)}) ${d.upsertClause}${returning}`,
    updateIfMatch: `UPDATE ${t} SET ${['etag', 'size', 'checksum', 'modified_at', 'attrs', 'value']
      .map((c, i) => `${c} = ${d.placeholder(i + 1)}`)
      .join(', ')} WHERE ${k} = ${d.placeholder(7)} AND etag = ${d.placeholder(8)}${returning}`,
    delete: `DELETE FROM ${t} WHERE ${k} = ${d.placeholder(1)}`,
    deleteIfMatch: `DELETE FROM ${t} WHERE ${k} = ${d.placeholder(1)} AND etag = ${d.placeholder(2)}`,
    clearAll: `DELETE FROM ${t}`,
    clearRange: `DELETE FROM ${t} WHERE ${k} >= ${d.placeholder(1)} AND ${k} < ${d.placeholder(2)}`,
    count: `SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM ${t}`,
    getIn: (n) => `SELECT ${metaColumns}, value FROM ${t} WHERE ${k} IN (${p(1, n)})`,
    deleteIn: (n) => `DELETE FROM ${t} WHERE ${k} IN (${p(1, n)})`,
    upsertMany: (rows) =>
      `${insertHead}${tuples(rows)} ${d.upsertClause}${d.returning ? ` RETURNING ${k} AS k, created_at` : ''}`,
    createdAtIn: (n) => `SELECT ${k} AS k, created_at FROM ${t} WHERE ${k} IN (${p(1, n)})`,
  };
}

/** The upsert clause of engines with `ON CONFLICT`: every column but `created_at` replaced. */
export function onConflictUpdate(keyColumn: string): string {
  const set = COLUMNS.filter((c) => c !== 'created_at')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return `ON CONFLICT (${keyColumn}) DO UPDATE SET ${set}`;
}

/** Column types of one engine, for {@link createTableSql}. */
export interface ColumnTypes {
  /** The key column's whole definition, primary key included. */
  readonly key: string;
  readonly text: string;
  readonly integer: string;
  readonly json: string;
  readonly blob: string;
  /** Appended after the column list (engine, charset). */
  readonly suffix?: string | undefined;
}

/** The one table layout every SQL engine stores, in `types`. */
export function createTableSql(quotedTable: string, keyColumn: string, types: ColumnTypes): string {
  const columns = [
    `${keyColumn} ${types.key}`,
    `etag ${types.text} NOT NULL`,
    ...['size', 'checksum', 'created_at', 'modified_at'].map((c) => `${c} ${types.integer} NOT NULL`),
    `attrs ${types.json} NOT NULL`,
    `value ${types.blob} NOT NULL`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${quotedTable} (${columns.join(', ')})${types.suffix ?? ''}`;
}
