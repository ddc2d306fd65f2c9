import { useEffect, useState } from 'preact/hooks';

/** The pages of the explorer. */
export type PageName = 'stores' | 'keys' | 'entry' | 'results' | 'result' | 'calls' | 'tiers';

const PAGES: readonly PageName[] = ['stores', 'keys', 'entry', 'results', 'result', 'calls', 'tiers'];

/** Where the app is: a page and its parameters, read from the URL's hash (`#/keys?store=0&prefix=runs`). */
export interface Location {
  page: PageName;
  params: URLSearchParams;
}

function parse(hash: string): Location {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = text.split('?', 2);
  const page = PAGES.includes(path as PageName) ? (path as PageName) : 'stores';
  return { page, params: new URLSearchParams(query) };
}

/** A link to a page; parameters left undefined or empty are left out. */
export function href(page: PageName, params: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const query = search.toString();
  return `#/${page}${query ? `?${query}` : ''}`;
}

/** Goes to a page (a new history entry, so Back works). */
export function navigate(page: PageName, params: Record<string, string | number | undefined> = {}): void {
  window.location.hash = href(page, params);
}

/** The current location, updated when the hash changes. */
export function useLocation(): Location {
  const [location, setLocation] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const update = () => setLocation(parse(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return location;
}
