import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Meta } from '../../core/backend.ts';
import { CorruptValueError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/json.ts';

// A random per-process prefix plus a counter: unique across processes and restarts
// without a random draw per write.
const processTag = randomBytes(6).toString('base64url');
let counter = 0;

/** A new, never-before-used ETag. */
export function newEtag(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}${Date.now().toString(36)}.${counter.toString(36)}`;
}

/** CRC-32 of `bytes`. */
export function checksumOf(bytes: Uint8Array): number {
  return crc32(bytes);
}

/** Builds the metadata of a new write; `createdAt` is kept from the previous version. */
export function makeMeta(value: Uint8Array, attrs: JsonObject | undefined, previousCreatedAt?: number): Meta {
  const now = Date.now();
  return {
    etag: newEtag(),
    size: value.byteLength,
    createdAt: previousCreatedAt ?? now,
    modifiedAt: now,
    checksum: checksumOf(value),
    attrs: attrs ?? {},
  };
}

/** Throws {@link CorruptValueError} unless `value` matches the size and checksum in `meta`. */
export function verifyValue(value: Uint8Array, meta: Meta, key: string, backend: string): void {
  if (value.byteLength !== meta.size || checksumOf(value) !== meta.checksum) {
    throw new CorruptValueError('Stored bytes do not match their checksum', { key, backend });
  }
}
