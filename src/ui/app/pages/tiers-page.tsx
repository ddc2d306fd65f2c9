import { useEffect, useState } from 'preact/hooks';
import type { ApiSyncDiff, ApiTierPage, ApiTierRow, ApiTierSource } from '../../api-types.ts';
import { apiGet } from '../api.ts';
import { GridHead } from '../components/grid-head.tsx';
import { Select } from '../components/select.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { TextInput } from '../components/text-input.tsx';
import { formatTime } from '../format.ts';
import { navigate } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

const DIRECTIONS = ['primaryToSecondary', 'secondaryToPrimary', 'bidirectional'];
const PAGE = 100;

function Mark({ on }: { on: boolean }) {
  return <td class={on ? 'yes' : 'no'}>{on ? '●' : '—'}</td>;
}

/** Tiers page: where each key lives (cache, primary, secondary), and what a sync would copy (dry run). */
export function TiersPage({ params, store }: PageProps) {
  const sources = useApi(() => apiGet<ApiTierSource[]>('/api/tiers'), []);
  const list = sources.data ?? [];
  const source = params.get('source') ?? list[0]?.id ?? '';
  const prefix = params.get('prefix') ?? '';
  const [prefixText, setPrefixText] = useState(prefix);
  const [direction, setDirection] = useState('primaryToSecondary');
  const [rows, setRows] = useState<{ rows: ApiTierRow[]; next?: string; error?: Error; loading: boolean }>({
    rows: [],
    loading: false,
  });
  const [diff, setDiff] = useState<{ data?: ApiSyncDiff; error?: Error; loading: boolean }>({ loading: false });
  const current = list.find((s) => s.id === source);

  const load = async (after: string | undefined) => {
    setRows((r) => ({ ...r, loading: true, error: undefined }));
    try {
      const page = await apiGet<ApiTierPage>('/api/tiers/keys', { source, prefix, after, limit: PAGE });
      setRows((r) => ({ rows: after ? [...r.rows, ...page.rows] : page.rows, next: page.next, loading: false }));
    } catch (error) {
      setRows((r) => ({ ...r, error: error as Error, loading: false }));
    }
  };
  useEffect(() => {
    setPrefixText(prefix);
    setDiff({ loading: false });
    if (source) load(undefined);
  }, [source, prefix]);

  const runDiff = async () => {
    setDiff({ loading: true });
    try {
      setDiff({ data: await apiGet<ApiSyncDiff>('/api/tiers/diff', { source, prefix, direction }), loading: false });
    } catch (error) {
      setDiff({ error: error as Error, loading: false });
    }
  };
  return (
    <section>
      <h1>Tiers</h1>
      <ErrorBox error={sources.error} />
      <Loading when={sources.loading && !sources.data} />
      {sources.data && list.length === 0 ? (
        <p data-testid="no-tiers">
          No tiers: start the explorer with two stores (--store primary --store backup) or on a tiered store or
          StorageManager.
        </p>
      ) : null}
      {current ? (
        <>
          <form
            class="toolbar"
            onSubmit={(e) => {
              e.preventDefault();
              navigate('tiers', { store, source, prefix: prefixText });
            }}
          >
            <label>
              Tiers{' '}
              <select
                data-testid="tier-source"
                value={source}
                onChange={(e) => navigate('tiers', { store, source: (e.target as HTMLSelectElement).value, prefix })}
              >
                {list.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.id.startsWith('tiered:')
                      ? `tiered: ${s.name}`
                      : `${s.primary} (primary) / ${s.secondary} (secondary)`}
                  </option>
                ))}
              </select>
            </label>
            <TextInput label="Prefix" value={prefixText} onInput={setPrefixText} />
            <button type="submit">Show</button>
          </form>
          <p class="muted">
            primary: {current.primary}; secondary: {current.secondary ?? '(none)'}; cache:{' '}
            {current.hasCache ? 'yes' : 'none'}
          </p>
          <ErrorBox error={rows.error} />
          <table class="grid" data-testid="tiers-table">
            <GridHead
              columns={['key', 'cache', 'primary', 'secondary', 'state', 'primary modified', 'secondary modified']}
            />
            <tbody>
              {rows.rows.map((row) => (
                <tr key={row.key}>
                  <td class="mono">{row.key}</td>
                  <Mark on={row.tiers.includes('cache')} />
                  <Mark on={row.tiers.includes('primary')} />
                  <Mark on={row.tiers.includes('secondary')} />
                  <td>
                    {row.state}
                    {row.newer ? ` (newer: ${row.newer})` : ''}
                  </td>
                  <td>{formatTime(row.primaryModifiedAt)}</td>
                  <td>{formatTime(row.secondaryModifiedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.next ? (
            <button type="button" disabled={rows.loading} onClick={() => load(rows.next)}>
              Load more
            </button>
          ) : null}
          <h2>Sync (dry run)</h2>
          <div class="toolbar">
            <Select label="Direction" value={direction} options={DIRECTIONS} onChange={setDirection} />
            <button type="button" data-testid="dry-run" disabled={diff.loading || !current.secondary} onClick={runDiff}>
              Show what a sync would copy
            </button>
          </div>
          <ErrorBox error={diff.error} />
          <Loading when={diff.loading} />
          {diff.data ? (
            <div data-testid="sync-diff">
              <p>
                Would copy {diff.data.copied}, skip {diff.data.skipped} (equal), conflicts {diff.data.conflicts}, errors{' '}
                {diff.data.errors}. Nothing was written.
              </p>
              <ul class="mono">
                {diff.data.changes.map((c) => (
                  <li key={c.key}>
                    {c.change === 'conflict' ? 'conflict, copy' : 'copy'} {c.key}
                  </li>
                ))}
                {diff.data.more ? <li class="muted">… more not listed</li> : null}
              </ul>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
