import { isPlainObject } from '../core/json.ts';

/** The kind of node a value becomes: a leaf, or an array, object, Map or Set container. */
export type NodeKind = 'L' | ContainerTag;

/** The tag of a container node. */
export type ContainerTag = 'A' | 'O' | 'M' | 'S';

/** A child inside a stored node: inline (small) or a reference to another node. */
export type Child = ['i', unknown] | ['d', string];

/**
 * A container's children in one flat list (a Map's key then its value, entry after entry)
 * and, for an object, the key each child sits under.
 */
export interface Children<T> {
  labels: readonly string[] | undefined;
  items: T[];
}

/**
 * Everything that differs between container kinds. The stored form of a node is
 * `[tag, stored]`; its digest is `sha256(pack([tag, parts]))` (see `digest.ts`). The
 * other functions work on the flat list, so hashing, storing, verifying, walking and
 * rebuilding are each written once, for every kind.
 */
export interface ContainerKind {
  /** The value's children, an object's sorted by key (Maps and Sets are ordered by {@link store}). */
  split(value: unknown): Children<unknown>;
  /** The stored form from the children in split order, with their digests; Map entries and Set items sorted by digest. */
  store(labels: readonly string[] | undefined, children: Child[], digests: readonly string[]): unknown[];
  /** The children of a stored form, in stored order. */
  read(stored: unknown[]): Children<Child>;
  /** The hashed parts, from the children's digests (in split or stored order: the canonical order is applied here). */
  parts(labels: readonly string[] | undefined, digests: readonly string[]): unknown[];
  /** The value again, from the children's values in stored order. */
  rebuild(labels: readonly string[] | undefined, values: unknown[]): unknown;
}

/** The container kinds, by tag: the one place where arrays, objects, Maps and Sets differ. */
export const CONTAINER_KINDS: Readonly<Record<ContainerTag, ContainerKind>> = {
  A: {
    split: (value) => ({ labels: undefined, items: value as unknown[] }),
    store: (_labels, children) => children,
    read: (stored) => ({ labels: undefined, items: stored as Child[] }),
    parts: (_labels, digests) => digests as string[],
    rebuild: (_labels, values) => values,
  },
  O: {
    split(value) {
      const object = value as Record<string, unknown>;
      const labels = Object.keys(object).sort();
      return { labels, items: labels.map((k) => object[k]) };
    },
    store: (labels, children) => children.map((c, i) => [labelAt(labels, i), c]),
    read(stored) {
      const entries = stored as [string, Child][];
      return { labels: entries.map((e) => e[0]), items: entries.map((e) => e[1]) };
    },
    parts: (labels, digests) => digests.map((d, i) => [labelAt(labels, i), d]),
    rebuild(labels, values) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) out[labelAt(labels, i)] = values[i];
      return out;
    },
  },
  M: {
    split(value) {
      const items: unknown[] = [];
      for (const [k, v] of value as Map<unknown, unknown>) items.push(k, v);
      return { labels: undefined, items };
    },
    store: (_labels, children, digests) =>
      byFirst(pairsOf(children).map(([k, v], i) => [digests[2 * i] as string, k, v] as const)).map(([, k, v]) => [
        k,
        v,
      ]),
    read: (stored) => ({ labels: undefined, items: (stored as [Child, Child][]).flat() }),
    parts: (_labels, digests) => byFirst(pairsOf(digests)),
    rebuild(_labels, values) {
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < values.length; i += 2) out.set(values[i], values[i + 1]);
      return out;
    },
  },
  S: {
    split: (value) => ({ labels: undefined, items: [...(value as Set<unknown>)] }),
    store: (_labels, children, digests) =>
      byFirst(children.map((c, i) => [digests[i] as string, c] as const)).map(([, c]) => c),
    read: (stored) => ({ labels: undefined, items: stored as Child[] }),
    parts: (_labels, digests) => [...digests].sort(),
    rebuild: (_labels, values) => new Set(values),
  },
};

/** The node kind of a value: containers are arrays, plain objects, Maps and Sets. */
export function kindOf(value: unknown): NodeKind {
  if (Array.isArray(value)) return 'A';
  if (value instanceof Map) return 'M';
  if (value instanceof Set) return 'S';
  if (isPlainObject(value)) return 'O';
  return 'L';
}

/** Orders [sortKey, ...] tuples by their first element, the canonical order of Map entries and Set items. */
export function byFirst<T extends readonly [string, ...unknown[]]>(tuples: T[]): T[] {
  return tuples.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function labelAt(labels: readonly string[] | undefined, i: number): string {
  return (labels as readonly string[])[i] as string;
}

// [k0, v0, k1, v1, ...] -> [[k0, v0], [k1, v1], ...]
function pairsOf<T>(flat: readonly T[]): [T, T][] {
  const pairs: [T, T][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as T, flat[i + 1] as T]);
  return pairs;
}
