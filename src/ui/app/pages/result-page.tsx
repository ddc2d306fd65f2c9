import { useEffect, useState } from 'preact/hooks';
import type { ApiResult } from '../../api-types.ts';
import { formatBytes } from '../../byte-count.ts';
import { apiGet } from '../api.ts';
import { ResultPlots } from '../components/result-plots.tsx';
import { SetTable } from '../components/set-table.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { formatTime, shortJson } from '../format.ts';
import { href } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

function Described({ result }: { result: ApiResult }) {
  const s = result.summary;
  return (
    <table class="meta" data-testid="result-meta">
      <tbody>
        <tr>
          <th>problem</th>
          <td>{shortJson(result.problem, 200)}</td>
        </tr>
        <tr>
          <th>objectives</th>
          <td data-testid="objectives">
            {result.objectives.map((o) => `${o.name} (${o.sense})`).join(', ') || '(none)'}
          </td>
        </tr>
        <tr>
          <th>design variables</th>
          <td>{result.designVariables.map((v) => String(v.name)).join(', ') || '(none)'}</td>
        </tr>
        <tr>
          <th>constraints</th>
          <td>{result.constraints.map((c) => String(c.name)).join(', ') || '(none)'}</td>
        </tr>
        <tr>
          <th>metadata</th>
          <td class="mono">{shortJson(result.metadata, 400)}</td>
        </tr>
        <tr>
          <th>stored</th>
          <td>
            {s.nSets} sets, {s.nPoints.toLocaleString()} points, {formatBytes(s.sizeBytes)}; created{' '}
            {formatTime(s.createdAt)}, modified {formatTime(s.modifiedAt)}
            {Object.keys(s.custom).length > 0 ? `; custom ${shortJson(s.custom)}` : ''}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

/** One result: its description, and per set a sortable paged table and plots. */
export function ResultPage({ params, store }: PageProps) {
  const key = params.get('key') ?? '';
  const result = useApi(() => apiGet<ApiResult>('/api/result', { store, key }), [store, key]);
  const [set, setSet] = useState('');
  const sets = result.data?.sets ?? [];
  useEffect(() => {
    if (!sets.some((s) => s.name === set)) setSet(sets[0]?.name ?? '');
  }, [result.data]);
  return (
    <section>
      <p>
        <a href={href('results', { store })}>← Results</a>
      </p>
      <h1 class="mono" data-testid="result-key">
        {key}
      </h1>
      <ErrorBox error={result.error} />
      <Loading when={result.loading && !result.data} />
      {result.data ? (
        <>
          <Described result={result.data} />
          <div class="tabs" data-testid="set-tabs">
            {sets.map((s) => (
              <button
                key={s.name}
                type="button"
                class={s.name === set ? 'tab active' : 'tab'}
                onClick={() => setSet(s.name)}
              >
                {s.name} <span class="muted">({s.nPoints})</span>
              </button>
            ))}
          </div>
          {set ? (
            <>
              <ResultPlots store={store} resultKey={key} result={result.data} set={set} />
              <h3>Rows of '{set}'</h3>
              <SetTable store={store} resultKey={key} set={set} />
            </>
          ) : (
            <p class="muted">This result has no sets.</p>
          )}
        </>
      ) : null}
    </section>
  );
}
