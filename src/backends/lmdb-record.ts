import type { Meta } from '../core/backend.ts';
import type { JsonObject } from '../core/json.ts';

// One LMDB record per entry: a small binary header (metadata) followed by the value, so
// a get is one B+tree lookup and one read of contiguous bytes. Layout, little-endian:
//   [0] format (1) · [1..4] CRC-32 · [5..12] createdAt f64 · [13..20] modifiedAt f64 ·
//   [21..22] etag length · etag (UTF-8) · u32 attrs length · attrs (JSON, UTF-8) · value
// The value's size is what follows the header, so it is not stored twice.
const FORMAT = 1;
const FIXED = 23;
const CREATED_AT = 5;
const EMPTY_ATTRS = Buffer.from('{}');

/** The bytes of one record holding `meta` and `value`. */
export function encodeRecord(meta: Meta, value: Uint8Array): Buffer {
  const etag = Buffer.from(meta.etag, 'utf8');
  const attrs = Object.keys(meta.attrs).length === 0 ? EMPTY_ATTRS : Buffer.from(JSON.stringify(meta.attrs), 'utf8');
  const head = FIXED + etag.length + 4 + attrs.length;
  const out = Buffer.allocUnsafe(head + value.byteLength);
  out[0] = FORMAT;
  out.writeUInt32LE(meta.checksum >>> 0, 1);
  out.writeDoubleLE(meta.createdAt, CREATED_AT);
  out.writeDoubleLE(meta.modifiedAt, 13);
  out.writeUInt16LE(etag.length, 21);
  etag.copy(out, FIXED);
  out.writeUInt32LE(attrs.length, FIXED + etag.length);
  attrs.copy(out, FIXED + etag.length + 4);
  out.set(value, head);
  return out;
}

/** Sets the `createdAt` of an encoded record in place (a put keeps the first version's). */
export function setRecordCreatedAt(record: Buffer, createdAt: number): void {
  record.writeDoubleLE(createdAt, CREATED_AT);
}

/** The metadata of a record and where its value starts; `undefined` when it is not a record of this format. */
export function decodeRecordMeta(record: Buffer): { meta: Meta; valueStart: number } | undefined {
  if (record.length < FIXED + 4 || record[0] !== FORMAT) return undefined;
  const etagEnd = FIXED + record.readUInt16LE(21);
  if (etagEnd + 4 > record.length) return undefined;
  const attrsLength = record.readUInt32LE(etagEnd);
  const valueStart = etagEnd + 4 + attrsLength;
  if (valueStart > record.length) return undefined;
  const attrs: JsonObject =
    attrsLength === 2 && record[etagEnd + 4] === 0x7b && record[etagEnd + 5] === 0x7d
      ? {}
      : (JSON.parse(record.toString('utf8', etagEnd + 4, valueStart)) as JsonObject);
  return {
    meta: {
      etag: record.toString('utf8', FIXED, etagEnd),
      size: record.length - valueStart,
      checksum: record.readUInt32LE(1),
      createdAt: record.readDoubleLE(CREATED_AT),
      modifiedAt: record.readDoubleLE(13),
      attrs,
    },
    valueStart,
  };
}

/** Just the ETag and createdAt of a record (what a conditional write checks). */
export function recordEtagAndCreated(record: Buffer): { etag: string; createdAt: number } | undefined {
  if (record.length < FIXED + 4 || record[0] !== FORMAT) return undefined;
  return {
    etag: record.toString('utf8', FIXED, FIXED + record.readUInt16LE(21)),
    createdAt: record.readDoubleLE(CREATED_AT),
  };
}
