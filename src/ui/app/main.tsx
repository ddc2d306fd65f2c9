import { type ComponentType, render } from 'preact';
import type { ApiSession } from '../api-types.ts';
import { apiGet } from './api.ts';
import { lazyPage } from './components/lazy-page.tsx';
import { ErrorBox, Loading } from './components/status.tsx';
import { EntryPage } from './pages/entry-page.tsx';
import { KeysPage } from './pages/keys-page.tsx';
import type { PageProps } from './pages/page-props.ts';
import { ResultsPage } from './pages/results-page.tsx';
import { StoresPage } from './pages/stores-page.tsx';
import { TiersPage } from './pages/tiers-page.tsx';
import { href, type Location, type PageName, useLocation } from './router.ts';
import './styles.css';
import { useApi } from './use-api.ts';

const ResultPage = lazyPage(() => import('./pages/result-page.tsx').then((m) => m.ResultPage));
const CallsPage = lazyPage(() => import('./pages/calls-page.tsx').then((m) => m.CallsPage));

// The server writes the session into the page; asking the API is the fallback.
const SESSION = ((): ApiSession | undefined => {
  try {
    return JSON.parse(
      document.querySelector<HTMLMetaElement>('meta[name="stowage-session"]')?.content ?? '',
    ) as ApiSession;
  } catch {
    return undefined;
  }
})();

const TABS: { page: PageName; label: string; also: PageName[] }[] = [
  { page: 'stores', label: 'Stores', also: [] },
  { page: 'keys', label: 'Keys', also: ['entry'] },
  { page: 'results', label: 'Results', also: ['result'] },
  { page: 'calls', label: 'Calls', also: [] },
  { page: 'tiers', label: 'Tiers', also: [] },
];

function storeOf(location: Location, session: ApiSession): number {
  const id = Number(location.params.get('store') ?? 0);
  return session.stores.some((s) => s.id === id) ? id : 0;
}

const PAGES: Record<PageName, ComponentType<PageProps>> = {
  stores: StoresPage,
  keys: KeysPage,
  entry: EntryPage,
  results: ResultsPage,
  result: ResultPage,
  calls: CallsPage,
  tiers: TiersPage,
};

function Page({ location, session }: { location: Location; session: ApiSession }) {
  const Shown = PAGES[location.page];
  return <Shown params={location.params} session={session} store={storeOf(location, session)} />;
}

function App() {
  const location = useLocation();
  const session = useApi(() => (SESSION ? Promise.resolve(SESSION) : apiGet<ApiSession>('/api/session')), []);
  const data = session.data;
  const store = data ? storeOf(location, data) : 0;
  return (
    <div class="shell">
      <header>
        <a class="brand" href={href('stores')}>
          stowage explorer
        </a>
        <nav>
          {TABS.map((tab) => (
            <a
              key={tab.page}
              href={href(tab.page, { store })}
              class={tab.page === location.page || tab.also.includes(location.page) ? 'active' : ''}
            >
              {tab.label}
            </a>
          ))}
        </nav>
        {data ? (
          <span class={data.write ? 'badge write' : 'badge'} data-testid="mode">
            {data.write ? 'read-write' : 'read-only'}
          </span>
        ) : null}
      </header>
      <main>
        <ErrorBox error={session.error} />
        <Loading when={session.loading && !data} />
        {data ? <Page location={location} session={data} /> : null}
      </main>
    </div>
  );
}

// The token came in the URL; the session cookie carries it from now on, so take it out of the address bar.
if (new URLSearchParams(window.location.search).has('token')) {
  window.history.replaceState(null, '', `/${window.location.hash}`);
}

render(<App />, document.getElementById('app') as HTMLElement);
