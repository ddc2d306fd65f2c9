import { InvalidKeyError } from './errors.ts';
import { type Key, type KeyInput, SEPARATOR } from './key-format.ts';

export { type Key, type KeyInput, keyToString, SEPARATOR } from './key-format.ts';

/** The largest segment, in UTF-8 bytes (a common file-name limit). */
export const MAX_SEGMENT_BYTES = 255;

/** A validated key: its segments and its `/`-joined string, computed once. */
export interface ParsedKey {
  readonly segments: Key;
  readonly path: string;
}

// C0 controls, DEL and C1 controls: invisible, and some are unsafe in file names and terminals.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Returns why `segment` is not a valid key segment, or `undefined` when it is. */
export function segmentProblem(segment: unknown): string | undefined {
  if (typeof segment !== 'string') return 'a segment must be a string';
  if (segment.length === 0) return 'empty segment';
  if (segment === '.' || segment === '..') return `segment '${segment}' is not allowed`;
  if (segment.includes(SEPARATOR)) return "a segment may not contain '/'";
  if (CONTROL.test(segment)) return 'a segment may not contain NUL or control characters';
  // A lone surrogate has no UTF-8 form: two different strings would share one byte sequence.
  if (!segment.isWellFormed()) return 'a segment must be well-formed Unicode (no lone surrogates)';
  if (segment.length * 3 > MAX_SEGMENT_BYTES && Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
    return `a segment may be at most ${MAX_SEGMENT_BYTES} UTF-8 bytes`;
  }
  return undefined;
}

function describe(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}

function toSegments(input: unknown, allowEmpty: boolean, backend?: string): string[] {
  let segments: unknown[];
  if (typeof input === 'string') {
    segments = input === '' ? [] : input.split(SEPARATOR);
  } else if (Array.isArray(input)) {
    segments = input;
  } else {
    throw new InvalidKeyError(`A key must be a string or an array of strings, got ${describe(input)}`, { backend });
  }
  if (segments.length === 0 && !allowEmpty) {
    throw new InvalidKeyError('A key must have at least one segment', { backend });
  }
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) throw new InvalidKeyError(`Invalid key ${describe(input)}: ${problem}`, { backend });
  }
  return segments as string[];
}

/**
 * Validates a key and returns its segments and string form.
 * Throws {@link InvalidKeyError} for anything that breaks the key rules.
 *
 * @example
 * ```ts
 * parseKey('runs/exp-1').segments // ['runs', 'exp-1']
 * ```
 */
export function parseKey(input: KeyInput, backend?: string): ParsedKey {
  const cached = cachedKey(input);
  if (cached) return cached;
  const segments = toSegments(input, false, backend);
  const parsed: ParsedKey = Object.freeze({ segments: Object.freeze(segments), path: segments.join(SEPARATOR) });
  if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.clear();
  parsedKeys.set(parsed.path, parsed);
  return parsed;
}

// Every call of every backend validates its key; a profile of memory and SQLite gets put
// that at 3-10% of a hit. Valid keys are remembered by their string form (frozen, so a
// shared result cannot be changed by a caller); a full cache is simply dropped, which
// keeps it bounded without bookkeeping per hit.
const PARSED_KEYS_MAX = 10_000;
const parsedKeys = new Map<string, ParsedKey>();

function cachedKey(input: KeyInput): ParsedKey | undefined {
  if (typeof input === 'string') return parsedKeys.get(input);
  if (!Array.isArray(input)) return undefined;
  // An array hits only when it has exactly the cached segments: the joined string is
  // cached only for valid keys, and the same segment count means no segment held a '/'.
  for (const segment of input) if (typeof segment !== 'string') return undefined;
  const hit = parsedKeys.get(input.join(SEPARATOR));
  return hit && hit.segments.length === input.length ? hit : undefined;
}

/** Validates a prefix: like a key, but may be empty (`''` or `[]`) for the whole store. */
export function parsePrefix(input: KeyInput | undefined, backend?: string): ParsedKey {
  if (input === undefined) return { segments: [], path: '' };
  const segments = toSegments(input, true, backend);
  return { segments, path: segments.join(SEPARATOR) };
}

/** Splits a stored key string (already valid) into segments. */
export function splitPath(path: string): Key {
  return path.split(SEPARATOR);
}

/** Joins a prefix and a key into one key string (the prefix may be empty). */
export function joinPath(prefix: string, path: string): string {
  return prefix === '' ? path : path === '' ? prefix : `${prefix}${SEPARATOR}${path}`;
}

/**
 * Orders key strings by their UTF-8 bytes, the order SQL `BINARY`/`C` collations,
 * LMDB, Redis lex ranges and S3 listings use, so every backend lists in one order.
 * JavaScript's `<` compares UTF-16 units, which differs for astral characters.
 */
export function compareKeyPaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * The half-open range `[lower, upper)` of key strings strictly under `prefix`
 * (`upper` is `undefined` for the whole store). `'/'` + 1 is `'0'`, so a range scan
 * on an ordered index finds `a/b/...` and never `a/bc`. With `startsWith`, only keys
 * whose next segment starts with that string: `[prefix/run_, prefix/run`)` (the last
 * character incremented), still one range scan, with no `LIKE` wildcards to escape.
 */
export function prefixRange(prefix: string, startsWith = ''): { lower: string; upper: string | undefined } {
  if (startsWith === '') {
    if (prefix === '') return { lower: '', upper: undefined };
    return { lower: prefix + SEPARATOR, upper: `${prefix}0` };
  }
  const lower = prefix === '' ? startsWith : prefix + SEPARATOR + startsWith;
  return { lower, upper: successor(lower) };
}

// The least string after every string that starts with `text`, in code point order:
// the last code point plus one (dropped when it is already the last code point).
function successor(text: string): string | undefined {
  const points = [...text];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    let next = last + 1;
    if (next === 0xd800) next = 0xe000; // surrogates are not code points of their own
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}

/** True when `path` lies in the range {@link prefixRange} gives. */
export function inRange(path: string, range: { lower: string; upper: string | undefined }): boolean {
  return (
    compareKeyPaths(path, range.lower) >= 0 && (range.upper === undefined || compareKeyPaths(path, range.upper) < 0)
  );
}

/** True when `path` lies strictly under `prefix` (the prefix itself is not under it). */
export function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || (path.length > prefix.length && path.startsWith(prefix) && path[prefix.length] === SEPARATOR);
}

/** True when `path` is a direct child of `prefix` (exactly one segment deeper). */
export function isDirectChild(path: string, prefix: string): boolean {
  if (!isUnder(path, prefix)) return false;
  return !path.includes(SEPARATOR, prefix === '' ? 0 : prefix.length + 1);
}
