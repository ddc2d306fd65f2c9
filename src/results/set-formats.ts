import { parse } from 'csv-parse/sync';
import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import { CorruptValueError, OperationError } from '../core/errors.ts';
import type { JsonObject, JsonValue } from '../core/json.ts';
import { type Column, ResultSet, TYPED_COLUMNS } from './result-set.ts';

/**
 * How result sets are stored: `binary` (one MessagePack entry per set, typed arrays kept
 * as they are; the default), `json` (text that `jq` reads), `csv` (one column per
 * variable, the header naming the columns, what pandas and Excel open), or `columns`
 * (each column in chunks of rows, so loading some columns or rows reads only those, and
 * HDF5 keeps numeric columns as datasets of numbers).
 */
export type SetFormat = 'binary' | 'json' | 'csv' | 'columns';

/** The set formats, for option checks. */
export const SET_FORMATS: readonly SetFormat[] = ['binary', 'json', 'csv', 'columns'];

/** A column's kind: a typed array's class name, or `number` / `string` for plain arrays. */
type ColumnKind = string;

function kindOf(column: Column): ColumnKind {
  if (!Array.isArray(column)) return column.constructor.name;
  return column.every((v) => typeof v === 'number') ? 'number' : 'string';
}

// Text forms of the numbers JSON has no literal for; CSV writes them the same way.
function numberText(value: number): string | number {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

function numberFrom(cell: unknown): number {
  if (typeof cell === 'number') return cell;
  if (cell === '-0') return -0;
  const n = Number(cell);
  if (cell === '' || (Number.isNaN(n) && cell !== 'NaN')) throw new TypeError(`'${String(cell)}' is not a number`);
  return n;
}

function rebuild(kinds: Record<string, ColumnKind>, cells: Record<string, unknown[]>): Record<string, Column> {
  const columns: Record<string, Column> = {};
  for (const [name, kind] of Object.entries(kinds)) {
    const values = cells[name] ?? [];
    if (kind === 'string') columns[name] = values.map((v) => String(v));
    else {
      const numbers = values.map(numberFrom);
      const Typed = TYPED_COLUMNS[kind];
      columns[name] = Typed ? new Typed(numbers) : numbers;
    }
  }
  return columns;
}

/** The JSON text of a set: columns with their kinds, numbers JSON cannot hold as strings. */
export function setToJsonText(set: ResultSet): string {
  const kinds: Record<string, ColumnKind> = {};
  const columns: Record<string, JsonValue[]> = {};
  for (const [name, column] of Object.entries(set.columns)) {
    const kind = kindOf(column);
    kinds[name] = kind;
    const values = Array.from(column as ArrayLike<number | string>);
    columns[name] = kind === 'string' ? (values as string[]) : (values as number[]).map(numberText);
  }
  return JSON.stringify({ name: set.name, columnTypes: kinds, columns, metadata: set.metadata }, null, 1);
}

/** Reads {@link setToJsonText}'s output back. */
export function setFromJsonText(text: string): ResultSet {
  const json = JSON.parse(text) as {
    name: string;
    columnTypes: Record<string, ColumnKind>;
    columns: Record<string, unknown[]>;
    metadata?: JsonObject;
  };
  return new ResultSet(json.name, rebuild(json.columnTypes, json.columns), json.metadata ?? {});
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A set as CSV: a header row naming the columns, then one row per point. */
export function setToCsvText(set: ResultSet): string {
  const names = set.columnNames;
  const texts = names.map((name) => {
    const column = set.columns[name] as Column;
    const kind = kindOf(column);
    return Array.from(column as ArrayLike<number | string>, (v) =>
      kind === 'string' ? csvCell(String(v)) : String(numberText(v as number)),
    );
  });
  if (names.length === 0) return '';
  const lines = [names.map(csvCell).join(',')];
  for (let row = 0; row < set.nPoints; row++) lines.push(texts.map((column) => column[row]).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Reads CSV text back into a set. The column kinds come from `columnTypes` when known
 * (stored beside the text); without them a column whose every cell is a number is numeric.
 */
export function setFromCsvText(
  text: string,
  name: string,
  columnTypes?: Record<string, ColumnKind>,
  metadata: JsonObject = {},
): ResultSet {
  const rows = parse(text, { relax_column_count: false, skip_empty_lines: false }) as string[][];
  const header = rows[0] ?? [];
  const body = rows.slice(1);
  const cells: Record<string, string[]> = {};
  for (const [i, column] of header.entries()) cells[column] = body.map((r) => r[i] as string);
  const kinds: Record<string, ColumnKind> = {};
  for (const column of header) {
    kinds[column] =
      columnTypes?.[column] ??
      ((cells[column] ?? []).every((c) => c !== '' && !Number.isNaN(numberFrom2(c))) ? 'number' : 'string');
  }
  return new ResultSet(name, rebuild(kinds, cells), metadata);
}

function numberFrom2(cell: string): number {
  try {
    return numberFrom(cell);
  } catch {
    return Number.NaN;
  }
}

/** How a set's bytes were written, kept in the set entry's attrs so any reader decodes it. */
export interface StoredSetAttrs extends JsonObject {
  nPoints: number;
  format: SetFormat;
}

/** A set's bytes in `format`, with the attributes a reader needs to decode them. */
export function encodeSet(
  set: ResultSet,
  format: Exclude<SetFormat, 'columns'>,
  context: { key: string; backend: string },
): { bytes: Uint8Array; attrs: JsonObject } {
  if (format === 'binary') {
    // MessagePack writes -0 as the integer 0; plain number columns travel as float64
    // (compact, exact) and are named so they come back as plain arrays.
    const columns: Record<string, Column> = {};
    const numberArrays: string[] = [];
    for (const [name, column] of Object.entries(set.columns)) {
      if (Array.isArray(column) && kindOf(column) === 'number') {
        columns[name] = Float64Array.from(column as number[]);
        numberArrays.push(name);
      } else columns[name] = column;
    }
    const stored = { name: set.name, columns, metadata: set.metadata, numberArrays };
    return { bytes: encodeValue(msgpackCodec, stored, context), attrs: { nPoints: set.nPoints } };
  }
  if (format === 'json') {
    return { bytes: new TextEncoder().encode(setToJsonText(set)), attrs: { nPoints: set.nPoints, format } };
  }
  const columnTypes: JsonObject = {};
  for (const [name, column] of Object.entries(set.columns)) columnTypes[name] = kindOf(column);
  return {
    bytes: new TextEncoder().encode(setToCsvText(set)),
    attrs: { nPoints: set.nPoints, format, name: set.name, columnTypes, metadata: set.metadata },
  };
}

/** Decodes a set entry written by {@link encodeSet} in any format (entries without a format are binary). */
export function decodeSet(bytes: Uint8Array, attrs: JsonObject, context: { key: string; backend: string }): ResultSet {
  const format = (attrs.format ?? 'binary') as SetFormat;
  if (format === 'binary') {
    const stored = decodeValue(msgpackCodec, bytes, context) as {
      name: string;
      columns: Record<string, Column>;
      metadata: JsonObject;
      numberArrays?: string[];
    };
    for (const name of stored.numberArrays ?? []) {
      stored.columns[name] = Array.from(stored.columns[name] as Float64Array);
    }
    return new ResultSet(stored.name, stored.columns, stored.metadata);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (format === 'json') return setFromJsonText(text);
    if (format === 'csv') {
      return setFromCsvText(
        text,
        String(attrs.name),
        attrs.columnTypes as Record<string, ColumnKind>,
        (attrs.metadata ?? {}) as JsonObject,
      );
    }
  } catch (error) {
    throw new CorruptValueError(`The stored ${format} set does not read back: ${(error as Error).message}`, {
      ...context,
      cause: error,
    });
  }
  throw new OperationError(`Unknown set format '${String(format)}' (known: ${SET_FORMATS.join(', ')})`, context);
}
