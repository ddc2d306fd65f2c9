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

// ETags of engines whose lookups go through an index kept apart from the entries (SQL)
// also carry the CRC-32 of the key they were written under: a row's checksum covers its
// value only, so a damaged index that leads a lookup to another key's row would otherwise
// return that row's whole value under the wrong key.
// Every SQL read checks it, and a hit reads the same keys again and again: tags are
// remembered by key (a pure function of it), the cache emptied when full as parsed keys are.
const KEY_TAGS_MAX = 10_000;
const keyTags = new Map<string, string>();
const keyTagOf = (path: string): string => {
  let tag = keyTags.get(path);
  if (tag === undefined) {
    tag = crc32(path).toString(36);
    if (keyTags.size >= KEY_TAGS_MAX) keyTags.clear();
    keyTags.set(path, tag);
  }
  return tag;
};

/** {@link makeMeta} with an ETag that names `path`, for {@link checkEtagKey} on reads. */
export function makeKeyBoundMeta(path: string, value: Uint8Array, attrs: JsonObject | undefined): Meta {
  return { ...makeMeta(value, attrs), etag: `${newEtag()}.${keyTagOf(path)}` };
}

/**
 * Throws {@link CorruptValueError} when an entry read under `path` was written under
 * another key. ETags written before they named their key (one '.') are taken as they are.
 */
export function checkEtagKey(etag: string, path: string, backend: string): void {
  const last = etag.lastIndexOf('.');
  if (last === etag.indexOf('.')) return;
  if (etag.slice(last + 1) !== keyTagOf(path)) {
    throw new CorruptValueError('The stored entry was written under another key (a damaged index?)', {
      key: path,
      backend,
    });
  }
}

/** Throws {@link CorruptValueError} unless `value` matches the size and checksum in `meta`. */
export function verifyValue(value: Uint8Array, meta: Meta, key: string, backend: string): void {
  if (value.byteLength !== meta.size || checksumOf(value) !== meta.checksum) {
    throw new CorruptValueError('Stored bytes do not match their checksum', { key, backend });
  }
}
