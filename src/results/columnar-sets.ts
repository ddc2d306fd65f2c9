import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import { CorruptValueError, OperationError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { type Key, segmentProblem } from '../core/keys.ts';
import { type Column, ResultSet, TYPED_COLUMNS, type TypedColumnClass } from './result-set.ts';

/*
 * The `columns` format: a set is a small manifest entry plus, per column, chunks of rows
 * stored as entries of their own under the set's key. A numeric chunk is the raw
 * little-endian bytes of its typed array, with the array's class name in the entry's
 * `elementType` attribute (so the hdf5 backend keeps it as a dataset of numbers); a
 * string chunk is MessagePack. Loading some columns or some rows reads only the chunks
 * they fall in, and saving encodes one chunk at a time, so neither holds a second copy
 * of a large set.
 */

/** Bytes a chunk of a column holds at most by default (rows are never split). */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

interface ManifestColumn {
  name: string;
  /** A typed array's class name, `number` (a plain array of numbers) or `string`. */
  kind: string;
  /** The key segment its chunks live under. */
  segment: string;
}

interface Manifest {
  /** The key segment all chunks of this version of the set live under. */
  chunks: string;
  name: string;
  metadata: JsonObject;
  nPoints: number;
  chunkRows: number;
  columns: ManifestColumn[];
}

/** One entry of a set in the columns format, its key relative to the set's key. */
export interface ColumnarEntry {
  readonly path: Key;
  readonly bytes: Uint8Array;
  readonly attrs: JsonObject;
}

/** Which part of a set to load. */
export interface SetSlice {
  /** Only these columns, in this order (default all). */
  columns?: readonly string[] | undefined;
  /** Only rows `start` (inclusive) to `end` (exclusive); default all. */
  rows?: readonly [number, number] | undefined;
}

function kindOf(column: Column): string {
  if (!Array.isArray(column)) return column.constructor.name;
  return column.every((v) => typeof v === 'number') ? 'number' : 'string';
}

function bytesPerRow(kind: string): number {
  if (kind === 'number') return 8;
  const Typed = TYPED_COLUMNS[kind];
  return Typed ? (Typed as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 64;
}

// The column's name when it is a usable key segment, else its position.
function segmentOf(name: string, index: number): string {
  return name.startsWith('#') || segmentProblem(name) !== undefined ? `#${index}` : name;
}

/**
 * The entries of `set` in the columns format, chunk by chunk, the manifest last (read
 * before any chunk, it is written after them all).
 */
export function* columnarEntries(
  set: ResultSet,
  nonce: string,
  chunkBytes: number,
  context: { key: string; backend: string },
): Generator<ColumnarEntry> {
  const names = set.columnNames;
  const kinds = names.map((name) => kindOf(set.columns[name] as Column));
  const widest = Math.max(1, ...kinds.map(bytesPerRow));
  const chunkRows = Math.max(1, Math.floor(chunkBytes / widest));
  const columns = names.map((name, i) => ({ name, kind: kinds[i] as string, segment: segmentOf(name, i) }));
  for (const { name, kind, segment } of columns) {
    const column = set.columns[name] as Column;
    for (let start = 0, n = 0; start < set.nPoints; start += chunkRows, n++) {
      const end = Math.min(set.nPoints, start + chunkRows);
      yield { path: [nonce, segment, String(n)], ...encodeChunk(column, kind, start, end, context) };
    }
  }
  const manifest: Manifest = {
    chunks: nonce,
    name: set.name,
    metadata: set.metadata,
    nPoints: set.nPoints,
    chunkRows,
    columns,
  };
  yield {
    path: [],
    bytes: encodeValue(msgpackCodec, manifest, context),
    attrs: { nPoints: set.nPoints, format: 'columns' },
  };
}

function encodeChunk(
  column: Column,
  kind: string,
  start: number,
  end: number,
  context: { key: string; backend: string },
): { bytes: Uint8Array; attrs: JsonObject } {
  if (kind === 'string') {
    return { bytes: encodeValue(msgpackCodec, (column as string[]).slice(start, end), context), attrs: {} };
  }
  const typed = Array.isArray(column)
    ? Float64Array.from(column.slice(start, end) as number[])
    : column.subarray(start, end);
  return {
    bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice(),
    attrs: { elementType: typed.constructor.name },
  };
}

/** The chunk folder a stored manifest names (what a replaced set's stale chunks are told apart by). */
export function chunkFolderOf(manifestBytes: Uint8Array, context: { key: string; backend: string }): string {
  return (decodeValue(msgpackCodec, manifestBytes, context) as Manifest).chunks;
}

/** Reads a set stored in the columns format: its manifest's bytes, and a way to read chunk entries. */
export async function readColumnarSet(
  manifestBytes: Uint8Array,
  readChunks: (paths: Key[]) => Promise<(Uint8Array | undefined)[]>,
  slice: SetSlice,
  context: { key: string; backend: string },
): Promise<ResultSet> {
  const manifest = decodeValue(msgpackCodec, manifestBytes, context) as Manifest;
  const [start, end] = rowRange(slice.rows, manifest.nPoints);
  const byName = new Map(manifest.columns.map((c) => [c.name, c]));
  const wanted = (slice.columns ?? manifest.columns.map((c) => c.name)).map((name) => {
    const column = byName.get(name);
    if (!column) {
      throw new OperationError(`Result set '${manifest.name}' has no column '${name}'`, context);
    }
    return column;
  });
  const first = Math.floor(start / manifest.chunkRows);
  const last = end > start ? Math.floor((end - 1) / manifest.chunkRows) : first - 1;
  const paths: Key[] = [];
  for (const column of wanted)
    for (let n = first; n <= last; n++) paths.push([manifest.chunks, column.segment, String(n)]);
  const chunks = await readChunks(paths);
  const columns: Record<string, Column> = {};
  let next = 0;
  for (const column of wanted) {
    const parts: Column[] = [];
    for (let n = first; n <= last; n++) {
      const bytes = chunks[next++];
      if (!bytes) throw new CorruptValueError(`Chunk ${n} of column '${column.name}' is missing`, context);
      parts.push(decodeChunk(bytes, column.kind, context));
    }
    const from = start - first * manifest.chunkRows;
    columns[column.name] = sliceOf(concat(parts, column.kind), from, from + (end - start));
  }
  return new ResultSet(manifest.name, columns, manifest.metadata);
}

function rowRange(rows: readonly [number, number] | undefined, n: number): [number, number] {
  if (rows === undefined) return [0, n];
  const [start, end] = rows;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new OperationError(`rows must be [start, end] with 0 <= start <= end, got [${start}, ${end}]`);
  }
  return [Math.min(start, n), Math.min(end, n)];
}

function decodeChunk(bytes: Uint8Array, kind: string, context: { key: string; backend: string }): Column {
  if (kind === 'string') return decodeValue(msgpackCodec, bytes, context) as string[];
  const Typed = kind === 'number' ? Float64Array : TYPED_COLUMNS[kind];
  if (!Typed) throw new CorruptValueError(`Unknown column kind '${kind}'`, context);
  const size = (Typed as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0)
    throw new CorruptValueError(`A ${kind} chunk of ${bytes.byteLength} bytes`, context);
  // A copy: aligned for the typed array, and never a view of the backend's buffer.
  const typed = new Typed(bytes.slice().buffer);
  return kind === 'number' ? Array.from(typed as Float64Array) : typed;
}

function concat(parts: Column[], kind: string): Column {
  if (parts.length === 1) return parts[0] as Column;
  if (kind === 'string' || kind === 'number') return (parts as unknown[][]).flat() as Column;
  // decodeChunk refused unknown kinds before the parts got here.
  const Typed = TYPED_COLUMNS[kind] as TypedColumnClass;
  const out = new Typed(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts as Exclude<Column, unknown[]>[]) {
    out.set(part as never, at);
    at += part.length;
  }
  return out;
}

function sliceOf(column: Column, from: number, to: number): Column {
  if (from === 0 && to === column.length) return column;
  return Array.isArray(column) ? (column.slice(from, to) as Column) : column.slice(from, to);
}

/** About how many bytes a set takes stored (for a bound checked before writing). */
export function estimatedBytes(set: ResultSet): number {
  let bytes = 64;
  for (const column of Object.values(set.columns)) {
    if (!Array.isArray(column)) bytes += column.byteLength;
    else for (const v of column) bytes += typeof v === 'number' ? 9 : Buffer.byteLength(String(v)) + 5;
  }
  return bytes;
}

/** The part of an in-memory set a slice asks for (what other formats do after reading the whole set). */
export function selectFrom(set: ResultSet, slice: SetSlice, context: { key: string; backend: string }): ResultSet {
  if (slice.columns === undefined && slice.rows === undefined) return set;
  const [start, end] = rowRange(slice.rows, set.nPoints);
  const columns: Record<string, Column> = {};
  for (const name of slice.columns ?? set.columnNames) {
    const column = set.columns[name];
    if (!column) throw new OperationError(`Result set '${set.name}' has no column '${name}'`, context);
    columns[name] = sliceOf(column, start, end);
  }
  return new ResultSet(set.name, columns, set.metadata);
}
