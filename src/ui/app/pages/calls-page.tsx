import { useEffect, useState } from 'preact/hooks';
import type { ApiCall, ApiCallQuery, ApiDigestValue, ApiFunctionSummary } from '../../api-types.ts';
import { apiGet } from '../api.ts';
import { GridHead } from '../components/grid-head.tsx';
import { LayerToolbar } from '../components/layer-toolbar.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { TextInput } from '../components/text-input.tsx';
import { formatMs, formatTime, nodeText } from '../format.ts';
import { histogramPlot } from '../plots/histogram.ts';
import { PlotFigure } from '../plots/plot-figure.tsx';
import { href, navigate } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

const PAGE = 20;

function DigestCell({ value }: { value: ApiDigestValue | undefined }) {
  if (!value) return null;
  if (value.error) return <span class="error">{value.error}</span>;
  if (!value.stored || !value.preview)
    return <span class="muted mono">{value.digest.slice(0, 12)} (value not stored)</span>;
  return <span class="mono">{nodeText(value.preview)}</span>;
}

/** `x=3` lines (JSON values; a bare word is a string) -> the argument template of `calls.query`. */
function argsTemplate(values: Record<string, string>): string | undefined {
  const template: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (raw.trim() === '') continue;
    try {
      template[name] = JSON.parse(raw);
    } catch {
      template[name] = raw;
    }
  }
  return Object.keys(template).length > 0 ? JSON.stringify(template) : undefined;
}

function CallsTable({ calls }: { calls: ApiCall[] }) {
  return (
    <table class="grid" data-testid="calls-table">
      <GridHead columns={['duration', 'function', 'started', 'arguments', 'result']} numeric={['duration']} />
      <tbody>
        {calls.map((call) => (
          <tr key={call.id}>
            <td class="num">{formatMs(call.durationMs)}</td>
            <td>
              {call.fn} <span class="muted">v{call.version}</span>
            </td>
            <td>{formatTime(call.startedAt)}</td>
            <td>
              <ul class="args">
                {Object.entries(call.args).map(([name, value]) => (
                  <li key={name}>
                    <span class="v-key">{name}</span> = <DigestCell value={value} />
                  </li>
                ))}
              </ul>
            </td>
            <td>
              {call.error ? (
                <span class="error">{`${call.error.name}: ${call.error.message}`}</span>
              ) : (
                <DigestCell value={call.result} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Calls page: memoised functions, and a query by function and argument values (as calls.query) with durations. */
export function CallsPage({ params, session, store }: PageProps) {
  const fn = params.get('fn') ?? '';
  const version = params.get('version') ?? '';
  const args = params.get('args') ?? '';
  const [offset, setOffset] = useState(0);
  const functions = useApi(() => apiGet<ApiFunctionSummary[]>('/api/calls', { store }), [store]);
  const result = useApi(
    () =>
      apiGet<ApiCallQuery>('/api/calls/query', {
        store,
        fn: fn || undefined,
        version: version || undefined,
        args: args || undefined,
        offset,
        limit: PAGE,
      }),
    [store, fn, version, args, offset],
  );
  const params0 = functions.data?.find((f) => f.fn === fn)?.params ?? [];
  const [argValues, setArgValues] = useState<Record<string, string>>({});
  const [versionText, setVersionText] = useState(version);
  useEffect(() => {
    const parsed = args ? (JSON.parse(args) as Record<string, unknown>) : {};
    setArgValues(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, JSON.stringify(v)])));
    setVersionText(version);
    setOffset(0);
  }, [store, fn, version, args]);
  const go = (change: Record<string, string | undefined>) => navigate('calls', { store, fn, version, args, ...change });
  const data = result.data;
  return (
    <section>
      <h1>Calls</h1>
      <LayerToolbar session={session} store={store} page="calls" records="memoised calls" prefix={session.casPrefix} />
      <ErrorBox error={functions.error} />
      <Loading when={functions.loading && !functions.data} />
      <table class="grid" data-testid="functions-table">
        <GridHead
          columns={['function', 'versions', 'calls', 'errors', 'total time', 'slowest']}
          numeric={['calls', 'errors', 'total time', 'slowest']}
        />
        <tbody>
          {(functions.data ?? []).map((f) => (
            <tr key={f.fn} class={f.fn === fn ? 'selected' : ''}>
              <td>
                <a href={href('calls', { store, fn: f.fn })}>{f.fn}</a>
              </td>
              <td>{f.versions.join(', ')}</td>
              <td class="num">{f.calls}</td>
              <td class="num">{f.errors}</td>
              <td class="num">{formatMs(f.totalMs)}</td>
              <td class="num">{formatMs(f.maxMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {functions.data && functions.data.length === 0 ? <p>No memoised calls in this store.</p> : null}
      <h2>Query</h2>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          go({ version: versionText || undefined, args: argsTemplate(argValues) });
        }}
      >
        <label>
          function{' '}
          <select
            data-testid="calls-fn"
            value={fn}
            onChange={(e) =>
              go({ fn: (e.target as HTMLSelectElement).value || undefined, args: undefined, version: undefined })
            }
          >
            <option value="">(any)</option>
            {(functions.data ?? []).map((f) => (
              <option key={f.fn} value={f.fn}>
                {f.fn}
              </option>
            ))}
          </select>
        </label>
        <TextInput label="version" size={6} value={versionText} onInput={setVersionText} placeholder="any" />
        {params0.map((name) => (
          <TextInput
            key={name}
            label={`${name} =`}
            size={8}
            value={argValues[name] ?? ''}
            onInput={(v) => setArgValues({ ...argValues, [name]: v })}
            placeholder="any"
            testId={`arg-${name}`}
          />
        ))}
        <button type="submit" data-testid="run-query">
          Find calls
        </button>
      </form>
      <p class="muted">
        Arguments left empty match any value; values are JSON (a bare word is a string), matched by digest as
        calls.query does.
      </p>
      <ErrorBox error={result.error} />
      {data ? (
        <>
          <p data-testid="calls-count">
            {data.total} matching call{data.total === 1 ? '' : 's'}
            {data.total > 0 ? `, slowest ${formatMs(Math.max(...data.durations))}` : ''}
          </p>
          {data.total > 0 ? (
            <PlotFigure
              testId="durations"
              filename={`durations-${fn || 'all'}`}
              deps={[data.durations]}
              build={() => histogramPlot(data.durations, 'duration (ms)', 20, 720)}
            />
          ) : null}
          <h3>Slowest first</h3>
          <CallsTable calls={data.calls} />
          {data.total > PAGE ? (
            <div class="toolbar">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous
              </button>
              <span>
                {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
              </span>
              <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
                Next
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
