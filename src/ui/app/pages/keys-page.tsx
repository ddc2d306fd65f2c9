import { useEffect, useState } from 'preact/hooks';
import type { ApiKeyItem, ApiKeyPage } from '../../api-types.ts';
import { formatBytes } from '../../byte-count.ts';
import { apiGet } from '../api.ts';
import { GridHead } from '../components/grid-head.tsx';
import { ErrorBox } from '../components/status.tsx';
import { StorePicker } from '../components/store-picker.tsx';
import { TextInput } from '../components/text-input.tsx';
import { formatTime, shortJson } from '../format.ts';
import { href, navigate } from '../router.ts';
import type { PageProps } from './page-props.ts';

const PAGE_SIZE = 100;

/** `solver=nsga2, seed=3` or a JSON object -> the JSON text of the attribute filter. */
export function whereJson(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('{')) return trimmed;
  const filter: Record<string, unknown> = {};
  for (const part of trimmed.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`'${part.trim()}' is not name=value`);
    const raw = part.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word is a string.
    }
    filter[part.slice(0, eq).trim()] = value;
  }
  return JSON.stringify(filter);
}

function Breadcrumbs({ store, prefix }: { store: number; prefix: string }) {
  const segments = prefix === '' ? [] : prefix.split('/');
  return (
    <nav class="crumbs" data-testid="crumbs">
      <a href={href('keys', { store })}>(root)</a>
      {segments.map((segment, i) => (
        <span key={i}>
          {' / '}
          <a href={href('keys', { store, prefix: segments.slice(0, i + 1).join('/') })}>{segment}</a>
        </span>
      ))}
    </nav>
  );
}

interface Listing {
  items: ApiKeyItem[];
  next?: string;
  nextOffset?: number;
  error?: Error;
  loading: boolean;
}

/**
 * Keys page: a folder's children, one page at a time ("Load more" fetches the next
 * page, nothing more is read); search by name start, filter by attributes, sort by
 * key or modified time, keys only (no metadata read).
 */
export function KeysPage({ params, session, store }: PageProps) {
  const prefix = params.get('prefix') ?? '';
  const search = params.get('search') ?? '';
  const where = params.get('where') ?? '';
  const sort = params.get('sort') ?? 'key';
  const keysOnly = params.get('mode') === 'keys';
  const [listing, setListing] = useState<Listing>({ items: [], loading: true });
  const [searchText, setSearchText] = useState(search);
  const [whereText, setWhereText] = useState(where);
  const [whereError, setWhereError] = useState<string>();

  const query = { store, prefix, search, sort, mode: keysOnly ? 'keys' : 'meta' };
  const go = (change: Record<string, string | undefined>) =>
    navigate('keys', {
      ...query,
      where,
      mode: keysOnly ? 'keys' : undefined,
      sort: sort === 'key' ? undefined : sort,
      ...change,
    });

  const fetchPage = async (cursor: { after?: string; offset?: number }, append: boolean) => {
    setListing((l) => ({ ...l, loading: true, error: undefined }));
    try {
      const page = await apiGet<ApiKeyPage>('/api/keys', {
        ...query,
        search: search || undefined,
        where: whereJson(where),
        limit: PAGE_SIZE,
        after: cursor.after,
        offset: cursor.offset,
      });
      setListing((l) => ({
        items: append ? [...l.items, ...page.items] : page.items,
        next: page.next,
        nextOffset: page.nextOffset,
        loading: false,
      }));
    } catch (error) {
      setListing((l) => ({ ...l, error: error as Error, loading: false }));
    }
  };

  useEffect(() => {
    setSearchText(search);
    setWhereText(where);
    fetchPage({}, false);
  }, [store, prefix, search, where, sort, keysOnly]);

  const flat = where !== '' || sort !== 'key';
  const showMeta = !keysOnly;
  return (
    <section>
      <h1>Keys</h1>
      <div class="toolbar">
        <StorePicker session={session} store={store} onPick={(id) => navigate('keys', { store: id })} />
        <Breadcrumbs store={store} prefix={prefix} />
      </div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            whereJson(whereText);
            setWhereError(undefined);
            go({ search: searchText || undefined, where: whereText || undefined });
          } catch (error) {
            setWhereError((error as Error).message);
          }
        }}
      >
        <TextInput
          label="Name starts with"
          value={searchText}
          onInput={setSearchText}
          placeholder="exp-1"
          testId="search"
        />
        <TextInput
          label="Attributes (where)"
          value={whereText}
          onInput={setWhereText}
          placeholder='solver=nsga2 or {"solver":"nsga2"}'
          testId="where"
        />
        <button type="submit">Apply</button>
        <label>
          Sort{' '}
          <select
            data-testid="sort"
            value={sort}
            onChange={(e) => go({ sort: (e.target as HTMLSelectElement).value, mode: undefined })}
          >
            <option value="key">by key</option>
            <option value="newest">newest first</option>
            <option value="oldest">oldest first</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="keys-only"
            checked={keysOnly}
            disabled={sort !== 'key'}
            onChange={(e) => go({ mode: (e.target as HTMLInputElement).checked ? 'keys' : undefined })}
          />{' '}
          keys only (no metadata read)
        </label>
      </form>
      <ErrorBox error={whereError} />
      <ErrorBox error={listing.error} />
      {flat ? (
        <p class="muted">
          {where ? 'Entries matching the attributes' : 'Entries'} at any depth under this folder
          {sort !== 'key' ? `, ${sort} first` : ''}.
        </p>
      ) : null}
      <table class="grid" data-testid="keys-table">
        <GridHead columns={showMeta ? ['name', 'size', 'modified', 'etag', 'attrs'] : ['name']} numeric={['size']} />
        <tbody>
          {listing.items.map((item) => (
            <tr key={`${item.kind}:${item.key}`} data-kind={item.kind}>
              <td>
                {item.kind === 'folder' ? (
                  <a
                    class="folder"
                    href={href('keys', { store, prefix: item.key, mode: keysOnly ? 'keys' : undefined })}
                  >
                    {item.name}/
                  </a>
                ) : (
                  <a class="entry" href={href('entry', { store, key: item.key })}>
                    {item.name}
                  </a>
                )}
              </td>
              {showMeta ? (
                <>
                  <td class="num">{item.meta ? formatBytes(item.meta.size) : ''}</td>
                  <td>{formatTime(item.meta?.modifiedAt)}</td>
                  <td class="mono">{item.meta?.etag}</td>
                  <td class="mono">
                    {item.meta && Object.keys(item.meta.attrs).length > 0 ? shortJson(item.meta.attrs) : ''}
                  </td>
                </>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted" data-testid="keys-count">
        {listing.loading
          ? 'Loading…'
          : `${listing.items.length} shown${listing.next || listing.nextOffset ? ', more below' : ''}`}
      </p>
      {listing.next !== undefined || listing.nextOffset !== undefined ? (
        <button
          type="button"
          data-testid="load-more"
          disabled={listing.loading}
          onClick={() => fetchPage({ after: listing.next, offset: listing.nextOffset }, true)}
        >
          Load more
        </button>
      ) : null}
    </section>
  );
}
