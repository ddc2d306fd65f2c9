import type * as H5 from 'h5wasm';
import type { JsonObject } from '../../core/json.ts';

/**
 * Numeric datasets. HDF5 tools (h5py, HDFView, h5dump) show a dataset as numbers when
 * its element type says so; a value whose entry attributes name a numeric typed array in
 * `elementType` (ResultStore's column format does) is kept as a dataset of that type
 * instead of bytes. The bytes read back are always exactly the bytes written.
 */

/** The entry attribute naming a value's element type (a typed array's class name). */
export const ELEMENT_TYPE_ATTRIBUTE = 'elementType';

type TypedArrayClass = { new (buffer: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number };

/** How a kind of element is stored. */
export interface ElementType {
  /** h5wasm's dtype string. */
  readonly dtype: string;
  readonly Array: TypedArrayClass;
}

const BYTES: ElementType = { dtype: '<B', Array: Uint8Array };

const NUMERIC: Record<string, ElementType> = {
  Float64Array: { dtype: '<d', Array: Float64Array },
  Float32Array: { dtype: '<f', Array: Float32Array },
  Int32Array: { dtype: '<i', Array: Int32Array },
  Uint32Array: { dtype: '<I', Array: Uint32Array },
  Int16Array: { dtype: '<h', Array: Int16Array },
  Uint16Array: { dtype: '<H', Array: Uint16Array },
  Int8Array: { dtype: '<b', Array: Int8Array },
  Uint8Array: BYTES,
};

const BY_DTYPE = new Map(Object.values(NUMERIC).map((type) => [type.dtype, type]));

/** The element type a new dataset for this value gets: the one its attributes name, when the size fits it. */
export function elementTypeFor(attrs: JsonObject, size: number): ElementType {
  const named = attrs[ELEMENT_TYPE_ATTRIBUTE];
  const type = typeof named === 'string' ? NUMERIC[named] : undefined;
  return type && size % type.Array.BYTES_PER_ELEMENT === 0 ? type : BYTES;
}

/** The element type of an existing dataset (bytes for anything else). */
export function elementTypeOf(dataset: H5.Dataset): ElementType {
  return BY_DTYPE.get(String(dataset.dtype)) ?? BYTES;
}

/**
 * `value` as elements of `type`: an aligned copy, its last element padded with zeros
 * when the size is not a multiple (a dataset keeps its type for later values of its key;
 * the entry's size says where the value ends).
 */
export function asElements(value: Uint8Array, type: ElementType): ArrayBufferView {
  if (type === BYTES) return value;
  const size = type.Array.BYTES_PER_ELEMENT;
  const buffer = new ArrayBuffer(Math.ceil(value.byteLength / size) * size);
  new Uint8Array(buffer).set(value);
  return new type.Array(buffer);
}

/** The number of elements `bytes` bytes take in a dataset of `type`. */
export function elementCount(bytes: number, type: ElementType): number {
  return Math.ceil(bytes / type.Array.BYTES_PER_ELEMENT);
}

/** The first `size` bytes of what a dataset read returned (`null` for an empty one). */
export function bytesOf(data: unknown, size: number): Uint8Array {
  if (!ArrayBuffer.isView(data)) return new Uint8Array(0);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(0, size);
}
