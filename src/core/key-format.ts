/**
 * A key: a non-empty sequence of segments, e.g. `['runs', 'exp-1', 'front']`.
 * Wherever a key is accepted, the `/`-joined string `'runs/exp-1/front'` is accepted too.
 */
export type Key = readonly string[];

/** A key as callers may give it: an array of segments or a `/`-joined string. */
export type KeyInput = Key | string;

/** The separator between segments in the string form of a key. */
export const SEPARATOR = '/';

/** Joins a key's segments into its string form, without validating them. */
export function keyToString(key: KeyInput): string {
  return typeof key === 'string' ? key : key.join(SEPARATOR);
}
