import type { Backend, Meta } from '../core/backend.ts';
import type { JsonObject } from '../core/json.ts';
import type { Key } from '../core/keys.ts';

/**
 * Time-to-live for the adapters (keyv and unstorage both promise it): the expiry time is
 * an attribute of the entry, an expired entry is never returned, and it is removed when
 * a read finds it or by {@link purgeExpired}.
 */

/** The `expiresAt` attribute for a TTL in milliseconds (`null`: never expires). */
export function expiresAtFor(ttlMs: number | undefined): number | null {
  return typeof ttlMs === 'number' && ttlMs > 0 ? Date.now() + ttlMs : null;
}

/** True when an entry with these attributes has expired. */
export function isExpired(attrs: JsonObject): boolean {
  const at = attrs.expiresAt;
  return typeof at === 'number' && at <= Date.now();
}

/** Removes an expired entry found by a read, unless it was rewritten since (its ETag changed). */
export async function dropExpired(backend: Backend, key: Key, meta: Meta): Promise<void> {
  await backend.delete(key, { ifMatch: meta.etag }).catch(() => undefined);
}

/** Deletes every expired entry under `root`; resolves the count. */
export async function purgeExpired(backend: Backend, root: Key): Promise<number> {
  const doomed: Key[] = [];
  for await (const { key, meta } of backend.list(root)) if (isExpired(meta.attrs)) doomed.push(key);
  return doomed.length ? backend.deleteMany(doomed) : 0;
}
