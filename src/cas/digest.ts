import * as crypto from 'node:crypto';
import { msgpackCodec } from '../core/codecs/index.ts';
import { CONTAINER_KINDS, type ContainerTag, kindOf } from './node-kinds.ts';

/*
 * Digests are Merkle hashes over the value's structure:
 *   leaf:      sha256(pack(['L', value]))
 *   array:     sha256(pack(['A', [digest of each item]]))
 *   object:    sha256(pack(['O', [[key, digest], ...] sorted by key]))
 *   Map:       sha256(pack(['M', [[digest of key, digest of value], ...] sorted]))
 *   Set:       sha256(pack(['S', [digest of each item] sorted]))
 * So the same logical value always has the same digest whatever its key order, a
 * child's digest is known without re-encoding it, and how a value is split into
 * stored nodes (the inline threshold) never changes its digest.
 */

// The library's msgpack codec (Maps, Sets, typed arrays survive): deterministic for the
// tuples hashed here, whose order each kind's `parts` fixes (node-kinds.ts).
const packr = { pack: msgpackCodec.encode, unpack: msgpackCodec.decode };

// crypto.hash (Node >= 20.12) hashes in one call without a Hash object: about twice as
// fast on the small inputs that leaves and nodes mostly are.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

/** sha256 as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return oneShot ? oneShot('sha256', bytes, 'hex') : crypto.createHash('sha256').update(bytes).digest('hex');
}

// Verifying a stored node recomputes the digests of its inline leaves (a 140-number array is
// 140 encodes and hashes), so reading the same value again pays them again. A leaf's digest is
// a pure function of its value, so small primitives' digests are remembered; the cache is
// emptied when full rather than tracked as an LRU, which keeps a hit to one Map lookup.
const LEAF_CACHE_LIMIT = 50_000;
const leafCache = new Map<unknown, string>();

function cacheable(value: unknown): boolean {
  switch (typeof value) {
    case 'number': // a Map key treats -0 as 0, which is right: msgpack encodes both as 0
    case 'boolean':
      return true;
    case 'string':
      return value.length <= 64;
    default:
      return value === null;
  }
}

/** The digest of a leaf value. */
export function leafDigest(value: unknown): string {
  const cache = cacheable(value);
  if (cache) {
    const known = leafCache.get(value);
    if (known !== undefined) return known;
  }
  const digest = sha256OfPieces(leafPieces(value));
  if (cache) {
    if (leafCache.size >= LEAF_CACHE_LIMIT) leafCache.clear();
    leafCache.set(value, digest);
  }
  return digest;
}

/** Encodes a tuple for hashing or storage. */
export function packTuple(tuple: unknown): Uint8Array {
  return packr.pack(tuple);
}

/** Decodes {@link packTuple}'s output. */
export function unpackTuple(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** The bytes a leaf is stored and hashed as. */
export function leafBytes(value: unknown): Uint8Array {
  if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`${typeof value} cannot be stored`);
  return packr.pack(['L', value]);
}

// A typed array from this size on is hashed and stored where it lies instead of being
// packed: packing copies it into a new message (for 100 MB, as long as hashing it takes).
const IN_PLACE_MIN_BYTES = 64 * 1024;

type TypedArrayClass = (new (
  length: number,
) => ArrayBufferView) & {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView;
  readonly BYTES_PER_ELEMENT: number;
};

const TypedArray = Object.getPrototypeOf(Int8Array) as unknown;

// msgpackr's type byte per standard typed-array class name, learnt from how it packs an
// empty one, so the headers below stay whatever msgpackr writes (null: packed otherwise).
const typeBytes = new Map<string, number | null>();

function standardClass(name: string): TypedArrayClass | undefined {
  const Class = (globalThis as Record<string, unknown>)[name];
  // Only the standard classes: Buffer and other subclasses pack differently.
  return typeof Class === 'function' && Object.getPrototypeOf(Class) === TypedArray
    ? (Class as TypedArrayClass)
    : undefined;
}

function typeByteOf(name: string): number | null {
  let type = typeBytes.get(name);
  if (type === undefined) {
    const Class = standardClass(name);
    const probe = Class ? leafBytes(new Class(0)) : undefined;
    // ['L', empty] is 92 a1 4c, then ext 8 (c7), length 1, 't' (0x74) and the type byte.
    const standard = probe?.byteLength === 7 && probe[3] === 0xc7 && probe[4] === 1 && probe[5] === 0x74;
    type = standard ? (probe[6] as number) : null;
    typeBytes.set(name, type);
  }
  return type;
}

/**
 * What msgpackr writes before the bytes of a typed array of class `elementType` and
 * `byteLength` bytes in a leaf (`['L', array]`: an ext record of type 't' whose first
 * byte names the class); undefined for a class it does not pack that way.
 */
export function typedLeafHeader(elementType: string, byteLength: number): Uint8Array | undefined {
  const type = typeByteOf(elementType);
  if (type === null) return undefined;
  const length = byteLength + 1; // the class byte counts
  if (length < 0x100) return Uint8Array.of(0x92, 0xa1, 0x4c, 0xc7, length, 0x74, type);
  if (length < 0x10000) return Uint8Array.of(0x92, 0xa1, 0x4c, 0xc8, length >> 8, length & 0xff, 0x74, type);
  const header = Uint8Array.of(0x92, 0xa1, 0x4c, 0xc9, 0, 0, 0, 0, 0x74, type);
  new DataView(header.buffer).setUint32(4, length);
  return header;
}

/** A leaf that is a standard typed array: its class name and its own bytes (not copied). */
export function typedLeafOf(value: unknown): { elementType: string; data: Uint8Array } | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  const elementType = value.constructor.name;
  if (standardClass(elementType) !== value.constructor || typeByteOf(elementType) === null) return undefined;
  return { elementType, data: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
}

/** The typed array a typed leaf's stored bytes hold; undefined for an unknown class or a ragged length. */
export function typedArrayOf(elementType: string, data: Uint8Array): ArrayBufferView | undefined {
  const Class = standardClass(elementType);
  if (!Class || data.byteLength % Class.BYTES_PER_ELEMENT !== 0) return undefined;
  // A view when the bytes own their buffer; else a copy, so `.buffer` holds this array only.
  const own = data.byteOffset === 0 && data.buffer.byteLength === data.byteLength ? data : data.slice();
  return new Class(own.buffer, 0, own.byteLength / Class.BYTES_PER_ELEMENT);
}

/**
 * The bytes of a leaf in pieces, the same bytes as {@link leafBytes}: a large typed array is
 * its header (see {@link typedLeafHeader}) and the array's own memory, not copied.
 */
export function leafPieces(value: unknown): Uint8Array[] {
  const typed = ArrayBuffer.isView(value) && value.byteLength >= IN_PLACE_MIN_BYTES ? typedLeafOf(value) : undefined;
  const header = typed && typedLeafHeader(typed.elementType, typed.data.byteLength);
  return typed && header ? [header, typed.data] : [leafBytes(value)];
}

/** sha256 as lower-case hex of bytes given in pieces. */
export function sha256OfPieces(pieces: readonly Uint8Array[]): string {
  if (pieces.length === 1) return sha256Hex(pieces[0] as Uint8Array);
  const hash = crypto.createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex');
}

/** The digest of a container given its parts (each kind's `parts` in node-kinds.ts). */
export function containerDigest(tag: ContainerTag, parts: unknown[]): string {
  return sha256Hex(packr.pack([tag, parts]));
}

/** The digest of any value (see the module comment). */
export function digestOf(value: unknown): string {
  const tag = kindOf(value);
  if (tag === 'L') return leafDigest(value);
  const kind = CONTAINER_KINDS[tag];
  const { labels, items } = kind.split(value);
  return containerDigest(tag, kind.parts(labels, items.map(digestOf)));
}
