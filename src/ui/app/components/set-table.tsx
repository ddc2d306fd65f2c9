import { useEffect, useState } from 'preact/hooks';
import type { ApiRows } from '../../api-types.ts';
import { apiGet, apiUrl } from '../api.ts';
import { formatNumber } from '../format.ts';
import { useApi } from '../use-api.ts';
import { ErrorBox } from './status.tsx';

const PAGE = 50;

/** A set's rows: click a column to sort by it (again to reverse), paged; CSV of the whole set in this order. */
export function SetTable({ store, resultKey, set }: { store: number; resultKey: string; set: string }) {
  const [sort, setSort] = useState<{ column?: string; order: 'asc' | 'desc' }>({ order: 'asc' });
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    setSort({ order: 'asc' });
    setOffset(0);
  }, [resultKey, set]);
  const params = { store, key: resultKey, set, sort: sort.column, order: sort.column ? sort.order : undefined };
  const rows = useApi(
    () => apiGet<ApiRows>('/api/result/rows', { ...params, offset, limit: PAGE }),
    [store, resultKey, set, sort.column, sort.order, offset],
  );
  const data = rows.data;
  const sortBy = (column: string) => {
    setSort((s) => ({ column, order: s.column === column && s.order === 'asc' ? 'desc' : 'asc' }));
    setOffset(0);
  };
  return (
    <div>
      <ErrorBox error={rows.error} />
      <div class="toolbar small">
        <a class="button" data-testid="export-csv" href={apiUrl('/api/result/csv', params)} download>
          Export CSV (this order)
        </a>
        {data ? (
          <>
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </button>
            <span data-testid="rows-range">
              rows {data.total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, data.total)} of{' '}
              {data.total.toLocaleString()}
            </span>
            <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
              Next
            </button>
          </>
        ) : null}
      </div>
      <div class="scroll">
        <table class="grid" data-testid="set-table">
          <thead>
            <tr>
              <th class="num">row</th>
              {(data?.columns ?? []).map((column) => (
                <th key={column} class="sortable" onClick={() => sortBy(column)}>
                  {column}
                  {sort.column === column ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(data?.rows ?? []).map((row, i) => (
              <tr key={data?.index[i]}>
                <td class="num muted">{data?.index[i]}</td>
                {row.map((cell, j) => (
                  <td key={j} class={typeof cell === 'string' ? '' : 'num'}>
                    {formatNumber(cell)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
