import { OperationError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';

/** A column of a result set: numbers (typed arrays preferred), or strings. */
export type Column =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint8Array
  | number[]
  | string[];

/** The JSON form of a {@link ResultSet}. */
export interface ResultSetJSON {
  /** The set's name. */
  name: string;
  /** The columns as plain arrays. */
  columns: Record<string, (number | string)[]>;
  /** Which columns were typed arrays, and of which kind, so `fromJSON` restores them. */
  columnTypes?: Record<string, string>;
  /** The set's own metadata. */
  metadata: JsonObject;
}

/** A typed-array column. */
export type TypedColumn = Exclude<Column, unknown[]>;

/** A typed-array column class, built from values, a length or a buffer. */
export interface TypedColumnClass {
  new (values: ArrayLike<number>): TypedColumn;
  new (length: number): TypedColumn;
  new (buffer: ArrayBuffer): TypedColumn;
}

/** The typed-array classes a column may be, by class name (as stored in set formats). */
export const TYPED_COLUMNS: Readonly<Record<string, TypedColumnClass | undefined>> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint8Array,
};

function columnLength(column: Column): number {
  return column.length;
}

/**
 * A named table of points (OptiScope's ResultSet): equally long columns of numbers or
 * strings, with metadata of its own.
 *
 * @example
 * ```ts
 * const front = new ResultSet('pareto', { f1: new Float64Array([0.1, 0.4]), f2: new Float64Array([0.9, 0.2]) });
 * front.nPoints; // 2
 * ```
 */
export class ResultSet {
  /** The set's name, unique within its result. */
  readonly name: string;
  /** The columns by name, all of one length. */
  readonly columns: Readonly<Record<string, Column>>;
  /** The set's own metadata (generation, algorithm state, ...). */
  metadata: JsonObject;

  constructor(name: string, columns: Record<string, Column> = {}, metadata: JsonObject = {}) {
    if (typeof name !== 'string' || name === '') throw new OperationError('A result set needs a non-empty name');
    const lengths = new Set(Object.values(columns).map(columnLength));
    if (lengths.size > 1) {
      throw new OperationError(`Columns of result set '${name}' have different lengths (${[...lengths].join(', ')})`);
    }
    this.name = name;
    this.columns = { ...columns };
    this.metadata = metadata;
  }

  /** Number of points (rows). */
  get nPoints(): number {
    const first = Object.values(this.columns)[0];
    return first ? columnLength(first) : 0;
  }

  /** Column names, in insertion order. */
  get columnNames(): string[] {
    return Object.keys(this.columns);
  }

  /** One column; throws when it does not exist. */
  column(name: string): Column {
    const column = this.columns[name];
    if (!column) throw new OperationError(`Result set '${this.name}' has no column '${name}'`);
    return column;
  }

  /** The same set under another name. */
  withName(name: string): ResultSet {
    return new ResultSet(name, this.columns as Record<string, Column>, this.metadata);
  }

  /** A plain JSON form (typed arrays become arrays, their kind is recorded). */
  toJSON(): ResultSetJSON {
    const columns: Record<string, (number | string)[]> = {};
    const columnTypes: Record<string, string> = {};
    for (const [name, column] of Object.entries(this.columns)) {
      columns[name] = Array.from(column as ArrayLike<number | string>);
      if (!Array.isArray(column)) columnTypes[name] = column.constructor.name;
    }
    return { name: this.name, columns, columnTypes, metadata: this.metadata };
  }

  /** Rebuilds a set from {@link toJSON}'s output. */
  static fromJSON(json: ResultSetJSON): ResultSet {
    const columns: Record<string, Column> = {};
    for (const [name, values] of Object.entries(json.columns)) {
      const kind = json.columnTypes?.[name];
      const Typed = kind ? TYPED_COLUMNS[kind] : undefined;
      columns[name] = Typed ? new Typed(values as number[]) : (values as Column);
    }
    return new ResultSet(json.name, columns, json.metadata ?? {});
  }
}
