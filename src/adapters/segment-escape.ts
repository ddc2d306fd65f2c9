import { createHash } from 'node:crypto';
import { MAX_SEGMENT_BYTES } from '../core/keys.ts';

// '%' (the escape itself), '/', controls and lone surrogates cannot appear raw in a segment.
const UNSAFE = /[%/\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Turns any string (a keyv key, an unstorage path segment) into a valid key segment,
 * reversibly. Strings whose escaped form is too long become a hash; callers that must
 * list keys keep the original string in the entry's attributes.
 */
export function escapeSegment(text: string): string {
  let out = text.replace(UNSAFE, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (out === '' || out === '.' || out === '..') out = `%${out}`;
  if (Buffer.byteLength(out) > MAX_SEGMENT_BYTES) out = `%h${createHash('sha256').update(text).digest('hex')}`;
  return out;
}

/** Reverses {@link escapeSegment} (not for hashed segments, which callers resolve from attrs). */
export function unescapeSegment(segment: string): string {
  if (segment === '%' || segment === '%.' || segment === '%..') return segment.slice(1);
  return segment.replace(/%([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
