import type { AttrFilter, Key } from '../../index.ts';
import { badRequest, json, type QueryParams } from '../http-kit.ts';
import { listByModified, listChildren, listMatching } from '../key-browser.ts';
import type { Route } from './route.ts';

/** A `/`-joined prefix from the query as key segments; `''` is the whole store. */
export function prefixParam(query: QueryParams, name = 'prefix'): Key {
  const raw = query.string(name, '');
  return raw === '' ? [] : raw.split('/');
}

function whereParam(query: QueryParams): AttrFilter | undefined {
  const where = query.jsonObject('where');
  if (where === undefined) return undefined;
  for (const [name, value] of Object.entries(where)) {
    if (value !== null && typeof value === 'object') {
      throw badRequest(`where: attribute '${name}' must be compared with a string, number, boolean or null`);
    }
  }
  return where as AttrFilter;
}

/**
 * `GET /api/keys`: one page of the key browser. By key (default): a folder's direct
 * children, paged by cursor; with `where`: matching entries at any depth; by time
 * (`sort=newest|oldest`): entries at any depth, paged by offset. `mode=keys` lists keys
 * without reading metadata.
 */
export function keyRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/keys',
      params: ['store', 'prefix', 'after', 'limit', 'search', 'mode', 'where', 'sort', 'offset'],
      handle: async (request) => {
        const { query } = request;
        const backend = request.store().backend;
        const prefix = prefixParam(query);
        const limit = query.int('limit', 100, 1, 1000);
        const withMeta = query.choice('mode', ['meta', 'keys'], 'meta') === 'meta';
        const sort = query.choice('sort', ['key', 'newest', 'oldest'], 'key');
        const where = whereParam(query);
        const search = query.string('search', '');
        const after = query.string('after');
        const offset = query.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
        if (sort !== 'key') {
          if (!withMeta) throw badRequest('Sorting by modified time needs metadata: use mode=meta');
          if (search || after !== undefined)
            throw badRequest('Sorting by modified time pages by offset, without search or after');
          return json(await listByModified(backend, prefix, { offset, limit, where, newestFirst: sort === 'newest' }));
        }
        if (offset !== 0) throw badRequest('offset pages the listing by modified time; key order pages with after');
        if (where) {
          if (search) throw badRequest('search finds names in one folder; where lists matches at any depth: use one');
          return json(await listMatching(backend, prefix, { after, limit, where, withMeta }));
        }
        return json(await listChildren(backend, prefix, { after, limit, search, withMeta }));
      },
    },
  ];
}
