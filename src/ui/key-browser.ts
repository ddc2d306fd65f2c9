import type { AttrFilter, Backend, Key, Meta } from '../index.ts';
import type { ApiKeyItem, ApiKeyPage, ApiMeta } from './api-types.ts';
import { badRequest } from './http-kit.ts';

/**
 * A segment that sorts after every segment a real key has (63 x U+10FFFF, 252 UTF-8
 * bytes): listing after `[...folder, MAX_SEGMENT]` skips the folder's whole subtree.
 */
const MAX_SEGMENT = '\u{10FFFF}'.repeat(63);

/** The API form of entry metadata. */
export function apiMeta(meta: Meta): ApiMeta {
  return {
    etag: meta.etag,
    size: meta.size,
    createdAt: meta.createdAt,
    modifiedAt: meta.modifiedAt,
    checksum: meta.checksum,
    attrs: meta.attrs,
  };
}

interface Listed {
  key: Key;
  meta?: Meta;
}

async function listBatch(
  backend: Backend,
  prefix: Key,
  options: { after?: string | undefined; limit: number; withMeta: boolean; where?: AttrFilter | undefined },
): Promise<Listed[]> {
  const { after, limit, where } = options;
  const out: Listed[] = [];
  if (options.withMeta) {
    for await (const { key, meta } of backend.list(prefix, { after, limit, where })) out.push({ key, meta });
  } else {
    for await (const key of backend.keys(prefix, { after, limit, where })) out.push({ key });
  }
  return out;
}

/** Options of {@link listChildren}. */
export interface ChildrenOptions {
  /** Cursor from a previous page. */
  after?: string | undefined;
  limit: number;
  /** Only children whose name starts with this text. */
  search?: string | undefined;
  /** Read metadata (size, times, attrs) of the entries; false lists keys only. */
  withMeta: boolean;
}

/**
 * One page of a folder's direct children: its entries and its sub-folders, in key
 * order, without reading the rest of the store. The listing runs over the store's
 * ordered recursive listing and jumps over each sub-folder's subtree (one query per
 * sub-folder), so a folder of a million entries opens as fast as one of ten.
 */
export async function listChildren(backend: Backend, prefix: Key, options: ChildrenOptions): Promise<ApiKeyPage> {
  const search = options.search ?? '';
  if (search.includes('/')) throw badRequest("A name search matches names in this folder; it may not contain '/'");
  const searchPath = search === '' ? undefined : [...prefix, search].join('/');
  const items: ApiKeyItem[] = [];
  let after = options.after;
  if (after === undefined && searchPath !== undefined) {
    // Listing starts strictly after the search text, so an entry named exactly so is looked up first.
    const exact = await backend.stat(searchPath);
    if (exact) items.push(entryItem(prefix, [...prefix, search], options.withMeta ? exact : undefined));
    after = searchPath;
  }
  const inRange = (key: Key) => searchPath === undefined || key.join('/').startsWith(searchPath);
  while (items.length <= options.limit) {
    const wanted = options.limit + 1 - items.length;
    const batch = await listBatch(backend, prefix, { after, limit: wanted, withMeta: options.withMeta });
    let jumped = false;
    for (const { key, meta } of batch) {
      if (!inRange(key)) return { items };
      if (key.length === prefix.length + 1) {
        items.push(entryItem(prefix, key, meta));
        after = key.join('/');
      } else {
        const folder = key.slice(0, prefix.length + 1);
        items.push({ kind: 'folder', name: folder[prefix.length] as string, key: folder.join('/') });
        after = [...folder, MAX_SEGMENT].join('/');
        jumped = true;
        break;
      }
      if (items.length > options.limit) break;
    }
    if (!jumped && batch.length < wanted) return { items };
  }
  // One item more than asked for was found: it proves a next page exists.
  items.pop();
  const last = items[items.length - 1] as ApiKeyItem;
  return { items, next: last.kind === 'folder' ? `${last.key}/${MAX_SEGMENT}` : last.key };
}

function entryItem(prefix: Key, key: Key, meta: Meta | undefined): ApiKeyItem {
  return {
    kind: 'entry',
    name: key.slice(prefix.length).join('/'),
    key: key.join('/'),
    ...(meta ? { meta: apiMeta(meta) } : {}),
  };
}

/** Every entry under `prefix` (any depth) whose attributes match `where`, in key order. */
export async function listMatching(
  backend: Backend,
  prefix: Key,
  options: { after?: string | undefined; limit: number; where: AttrFilter; withMeta: boolean },
): Promise<ApiKeyPage> {
  const batch = await listBatch(backend, prefix, { ...options, limit: options.limit + 1 });
  return pageOf(
    batch.map(({ key, meta }) => entryItem(prefix, key, meta)),
    options.limit,
  );
}

function pageOf(items: ApiKeyItem[], limit: number): ApiKeyPage {
  if (items.length <= limit) return { items };
  items.length = limit;
  return { items, next: (items[limit - 1] as ApiKeyItem).key };
}

/**
 * Entries under `prefix` (any depth), newest (or oldest) first, one page at an
 * offset. Needs every entry's metadata, so it reads the whole listing once, keeping
 * only the `offset + limit` entries that can still be on the page.
 */
export async function listByModified(
  backend: Backend,
  prefix: Key,
  options: { offset: number; limit: number; where?: AttrFilter | undefined; newestFirst: boolean },
): Promise<ApiKeyPage> {
  const keep = options.offset + options.limit + 1;
  const sign = options.newestFirst ? -1 : 1;
  const order = (a: Listed, b: Listed) =>
    sign * ((a.meta as Meta).modifiedAt - (b.meta as Meta).modifiedAt) || compareText(a.key, b.key);
  let kept: Listed[] = [];
  for await (const { key, meta } of backend.list(prefix, { where: options.where })) {
    kept.push({ key, meta });
    // Sorting a buffer twice the page window and cutting it keeps memory flat on any store size.
    if (kept.length >= keep * 2) kept = kept.sort(order).slice(0, keep);
  }
  kept.sort(order);
  const window = kept.slice(options.offset, options.offset + options.limit + 1);
  const items = window.slice(0, options.limit).map(({ key, meta }) => entryItem(prefix, key, meta));
  return window.length > options.limit ? { items, nextOffset: options.offset + options.limit } : { items };
}

function compareText(a: Key, b: Key): number {
  const x = a.join('/');
  const y = b.join('/');
  return x < y ? -1 : x > y ? 1 : 0;
}
