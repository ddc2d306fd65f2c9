import type { Meta } from '../../core/backend.ts';

/*
 * One record holds an entry (a file in fs, an object in S3): 'STW1', a uint32 (LE) header length, the JSON header
 * (key and metadata), then the value bytes. Value and metadata are replaced together
 * by one rename, so they can never disagree, and `stat` reads only the header.
 */

/** The first four bytes of every entry record. */
export const MAGIC = Buffer.from('STW1');
/** Bytes before the JSON header: magic and header length. */
export const PREFIX_BYTES = 8;
/** {@link MAGIC} read as a little-endian uint32: one comparison instead of a view and a byte compare. */
export const MAGIC_WORD = MAGIC.readUInt32LE(0);

interface Header {
  k: string;
  e: string;
  s: number;
  c: number;
  t0: number;
  t1: number;
  a: Meta['attrs'];
}

/** The header and value bytes of an entry file, ready to write. */
export function encodeEntry(path: string, meta: Meta, value: Uint8Array): Buffer[] {
  const header: Header = {
    k: path,
    e: meta.etag,
    s: meta.size,
    c: meta.checksum,
    t0: meta.createdAt,
    t1: meta.modifiedAt,
    a: meta.attrs,
  };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(json.byteLength, 4);
  return [prefix, json, Buffer.from(value.buffer, value.byteOffset, value.byteLength)];
}

/** A decoded header: the stored key and its metadata. */
export interface DecodedHeader {
  readonly path: string;
  readonly meta: Meta;
  /** Offset of the value bytes in the file. */
  readonly valueOffset: number;
}

/** Thrown when a file is not a well-formed entry. */
export class MalformedEntryError extends Error {}

/**
 * Decodes the header at the start of `bytes`; `end` (default: all of them) is where the
 * bytes read end, so a caller's reusable buffer is parsed without a view made per call.
 */
export function parseHeader(bytes: Buffer, end = bytes.byteLength): DecodedHeader {
  if (end < PREFIX_BYTES || bytes.readUInt32LE(0) !== MAGIC_WORD) {
    throw new MalformedEntryError('not a stowage entry file');
  }
  const length = bytes.readUInt32LE(4);
  if (end < PREFIX_BYTES + length) throw new MalformedEntryError('truncated header');
  let h: Header;
  try {
    h = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + length));
  } catch {
    throw new MalformedEntryError('unreadable header');
  }
  if (typeof h?.k !== 'string' || typeof h.e !== 'string' || typeof h.s !== 'number') {
    throw new MalformedEntryError('incomplete header');
  }
  return {
    path: h.k,
    meta: { etag: h.e, size: h.s, checksum: h.c, createdAt: h.t0, modifiedAt: h.t1, attrs: h.a ?? {} },
    valueOffset: PREFIX_BYTES + length,
  };
}

/** Decodes a whole entry file read into memory. */
export function decodeEntry(bytes: Buffer): DecodedHeader & { value: Uint8Array } {
  const header = parseHeader(bytes);
  return {
    ...header,
    value: new Uint8Array(bytes.buffer, bytes.byteOffset + header.valueOffset, bytes.byteLength - header.valueOffset),
  };
}
