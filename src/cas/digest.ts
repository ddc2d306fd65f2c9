import { createHash } from 'node:crypto';
import { msgpackCodec } from '../core/codecs/index.ts';
import { isPlainObject } from '../core/json.ts';

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
// tuples hashed here, whose order is fixed by the sorting below.
const packr = { pack: msgpackCodec.encode, unpack: msgpackCodec.decode };

/** The kind of node a value becomes. */
export type NodeKind = 'L' | 'A' | 'O' | 'M' | 'S';

/** The node kind of a value: containers are arrays, plain objects, Maps and Sets. */
export function kindOf(value: unknown): NodeKind {
  if (Array.isArray(value)) return 'A';
  if (value instanceof Map) return 'M';
  if (value instanceof Set) return 'S';
  if (isPlainObject(value)) return 'O';
  return 'L';
}

/** sha256 as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
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

/** The digest of a container given its children's digests (already ordered canonically). */
export function containerDigest(kind: Exclude<NodeKind, 'L'>, parts: unknown[]): string {
  return sha256Hex(packr.pack([kind, parts]));
}

/** Orders [sortKey, ...] pairs by their first element, the canonical order of Map entries and Set items. */
export function byFirst<T extends [string, ...unknown[]]>(pairs: T[]): T[] {
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The digest of any value (see the module comment). */
export function digestOf(value: unknown): string {
  switch (kindOf(value)) {
    case 'A':
      return containerDigest('A', (value as unknown[]).map(digestOf));
    case 'O': {
      const object = value as Record<string, unknown>;
      return containerDigest(
        'O',
        Object.keys(object)
          .sort()
          .map((k) => [k, digestOf(object[k])]),
      );
    }
    case 'M':
      return containerDigest(
        'M',
        byFirst([...(value as Map<unknown, unknown>)].map(([k, v]) => [digestOf(k), digestOf(v)])),
      );
    case 'S':
      return containerDigest('S', [...(value as Set<unknown>)].map(digestOf).sort());
    default:
      return sha256Hex(leafBytes(value));
  }
}
