import { type Backend, ConditionFailedError, type JsonObject, NotFoundError } from '../../index.ts';
import type { ApiEntry } from '../api-types.ts';
import { badRequest, download, HttpError, isPlainObject, json, readJsonBody } from '../http-kit.ts';
import { apiMeta } from '../key-browser.ts';
import { COMPRESSION_CHOICES, DECODE_CHOICES, decodeForDisplay } from '../value-decoding.ts';
import type { ApiRequest, Route } from './route.ts';

/** The entry a request names: its store's backend and the key (`?key=runs/1`). */
function entryOf(request: ApiRequest): { backend: Backend; key: string[] } {
  const { backend } = request.store();
  const raw = request.query.required('key');
  if (raw === '') throw badRequest('key must not be empty');
  return { backend, key: raw.split('/') };
}

/** The entry a change names, with the ETag the page showed: the change applies only if it still holds. */
function changeOf(request: ApiRequest): { backend: Backend; key: string[]; etag: string } {
  return { ...entryOf(request), etag: ifMatch(request) };
}

function ifMatch(request: ApiRequest): string {
  const etag = request.request.headers['if-match'];
  if (typeof etag !== 'string' || etag === '') {
    throw new HttpError(428, 'PRECONDITION_REQUIRED', 'Changes need the ETag the page showed, in an If-Match header');
  }
  return etag;
}

/**
 * The Entry page: `GET /api/entry` (metadata and decoded value), `GET /api/entry/raw`
 * (download), and with `--write`, `POST /api/entry/attrs` and `DELETE /api/entry`,
 * both conditional on the ETag the page showed, so a concurrent change is reported
 * (409) and never overwritten.
 */
export function entryRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/entry',
      params: ['store', 'key', 'codec', 'compression'],
      handle: async (request) => {
        const { backend, key } = entryOf(request);
        const codec = request.query.choice('codec', DECODE_CHOICES, 'auto');
        const compression = request.query.choice('compression', COMPRESSION_CHOICES, 'auto');
        const hit = await backend.get(key);
        if (!hit) throw new NotFoundError('No such key', { key, backend: backend.label });
        const entry: ApiEntry = {
          key: key.join('/'),
          meta: apiMeta(hit.meta),
          decoded: decodeForDisplay(key, hit.value, codec, compression),
        };
        return json(entry);
      },
    },
    {
      method: 'GET',
      path: '/api/entry/raw',
      params: ['store', 'key'],
      handle: async (request) => {
        const { backend, key } = entryOf(request);
        const found = await backend.getStream(key);
        if (!found) throw new NotFoundError('No such key', { key, backend: backend.label });
        return download(found.stream, key[key.length - 1] as string, 'application/octet-stream', found.meta.size);
      },
    },
    {
      method: 'POST',
      path: '/api/entry/attrs',
      params: ['store', 'key'],
      handle: async (request) => {
        const { backend, key, etag } = changeOf(request);
        const body = await readJsonBody(request.request);
        if (!isPlainObject(body.attrs)) throw badRequest('The body must be { "attrs": { ... } }');
        const hit = await backend.get(key);
        if (!hit) throw new NotFoundError('No such key', { key, backend: backend.label });
        if (hit.meta.etag !== etag) {
          throw new ConditionFailedError('The entry changed since the page showed it; reload to see the new version', {
            key,
            backend: backend.label,
            actualEtag: hit.meta.etag,
          });
        }
        // The value goes back unchanged; ifMatch makes the check and the write one atomic step.
        const meta = await backend.put(key, hit.value, { ifMatch: etag, attrs: body.attrs as JsonObject });
        return json(apiMeta(meta));
      },
    },
    {
      method: 'DELETE',
      path: '/api/entry',
      params: ['store', 'key'],
      handle: async (request) => {
        const { backend, key, etag } = changeOf(request);
        const deleted = await backend.delete(key, { ifMatch: etag });
        if (!deleted) throw new NotFoundError('No such key', { key, backend: backend.label });
        return json({ deleted: true });
      },
    },
  ];
}
