import { createHash } from 'node:crypto';
import { TAKE_OVER_SUFFIX } from '../kit/lock-file.ts';

/*
 * Maps key segments to file names that are safe and distinct on every common file
 * system. Only [a-z0-9_-] and inner dots stay literal; everything else becomes %xx of
 * its UTF-8 bytes (lower-case hex). So:
 * - no upper case survives: case-insensitive file systems cannot merge two keys;
 * - Unicode is spelled as bytes: NFC and NFD spellings stay distinct on macOS;
 * - '~' is always escaped, so the '~' suffixes below never clash with a key;
 * - trailing dots and Windows device names (CON, NUL, COM1.txt, ...) are escaped.
 * Names that would grow past file-name limits are shortened and made unique with a
 * hash of the segment; the real key is then read from the entry's header.
 */

const LITERAL = /[a-z0-9_.-]/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/;
const MAX_ENCODED = 200;
const encoder = new TextEncoder();

/** Suffix of a value file. */
export const VALUE_SUFFIX = '~v';
/** Suffix of a key's lock file. */
export const LOCK_SUFFIX = '~l';
/** Marker of a temporary file being written. */
export const TEMP_MARKER = '~t';
/** Marker of a lock's take-over claim (named by the lock-file protocol). */
export const STALE_MARKER = TAKE_OVER_SUFFIX;
/** Name of the file that holds a hashed directory's real segment. */
export const SEGMENT_FILE = '~n';

function escapeByte(byte: number): string {
  return `%${byte.toString(16).padStart(2, '0')}`;
}

/** Encodes one valid segment as a file-name stem (without suffix). */
export function encodeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (LITERAL.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += escapeByte(byte);
  }
  if (out.endsWith('.')) out = `${out.slice(0, -1)}%2e`;
  if (WINDOWS_DEVICE.test(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  if (out.length > MAX_ENCODED) {
    const hash = createHash('sha256').update(segment).digest('hex').slice(0, 40);
    out = `${out.slice(0, 120)}~h${hash}`;
  }
  return out;
}

/** True for stems produced by the hashing fallback (not decodable on their own). */
export function isHashedStem(stem: string): boolean {
  return stem.includes('~h');
}

/** Decodes a non-hashed stem back into its segment. */
export function decodeStem(stem: string): string {
  return decodeURIComponent(stem);
}

/** What a directory entry is, judged from its name. */
export type NameKind = 'value' | 'dir' | 'lock' | 'temp' | 'stale' | 'segment' | 'other';

/** Classifies a name found in a store directory. */
export function classifyName(name: string, isDirectory: boolean): NameKind {
  if (isDirectory) return name.includes('~') && !isHashedStem(name) ? 'other' : 'dir';
  if (name === SEGMENT_FILE) return 'segment';
  const tilde = name.lastIndexOf('~');
  if (tilde < 0) return 'other';
  const suffix = name.slice(tilde);
  if (suffix === VALUE_SUFFIX) return 'value';
  if (suffix === LOCK_SUFFIX) return 'lock';
  if (suffix.startsWith(TEMP_MARKER)) return 'temp';
  if (suffix.startsWith(STALE_MARKER)) return 'stale';
  return 'other';
}
