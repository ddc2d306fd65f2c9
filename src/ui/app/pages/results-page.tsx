import { useState } from 'preact/hooks';
import type { ApiResultList } from '../../api-types.ts';
import { formatBytes } from '../../byte-count.ts';
import { apiGet } from '../api.ts';
import { GridHead } from '../components/grid-head.tsx';
import { LayerToolbar } from '../components/layer-toolbar.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { formatTime, shortJson } from '../format.ts';
import { href } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

const PAGE = 100;

/** Results page: every stored OptimizationResult with its metadata (read without loading its data). */
export function ResultsPage({ session, store }: PageProps) {
  const [offset, setOffset] = useState(0);
  const list = useApi(() => apiGet<ApiResultList>('/api/results', { store, offset, limit: PAGE }), [store, offset]);
  const results = list.data?.results ?? [];
  return (
    <section>
      <h1>Results</h1>
      <LayerToolbar
        session={session}
        store={store}
        page="results"
        records="OptimizationResults"
        prefix={session.resultsPrefix}
      />
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && list.data.total === 0 ? (
        <p data-testid="no-results">
          No results in this store (looked under '{session.resultsPrefix}', see --results-prefix).
        </p>
      ) : null}
      <table class="grid" data-testid="results-table">
        <GridHead
          columns={['result', 'sets', 'points', 'size', 'created', 'modified', 'custom metadata']}
          numeric={['sets', 'points', 'size']}
        />
        <tbody>
          {results.map((r) => (
            <tr key={r.key}>
              <td>
                <a href={href('result', { store, key: r.key })}>{r.key}</a>
              </td>
              <td class="num">{r.nSets}</td>
              <td class="num">{r.nPoints.toLocaleString()}</td>
              <td class="num">{formatBytes(r.sizeBytes)}</td>
              <td>{formatTime(r.createdAt)}</td>
              <td>{formatTime(r.modifiedAt)}</td>
              <td class="mono">{Object.keys(r.custom).length > 0 ? shortJson(r.custom) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && list.data.total > PAGE ? (
        <div class="toolbar">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, list.data.total)} of {list.data.total}
          </span>
          <button type="button" disabled={offset + PAGE >= list.data.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </div>
      ) : null}
    </section>
  );
}
