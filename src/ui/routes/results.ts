import { type Column, ResultSet, setToCsv } from '../../entries/results.ts';
import type { ApiColumns, ApiResult, ApiResultList, ApiResultSummary, ApiRows, ApiSetInfo } from '../api-types.ts';
import type { ExplorerStore } from '../explorer-stores.ts';
import { badRequest, download, json } from '../http-kit.ts';
import { columnOf, type LoadedResult, rowOrder } from '../result-cache.ts';
import type { ApiRequest, ExplorerContext, Route } from './route.ts';

async function summaryOf(store: ExplorerStore, key: string): Promise<ApiResultSummary> {
  const meta = await store.results.getMetadata(key);
  return {
    key: meta.key,
    createdAt: meta.createdAt.getTime(),
    modifiedAt: meta.modifiedAt.getTime(),
    sizeBytes: meta.sizeBytes,
    nPoints: meta.nPoints,
    nSets: meta.nSets,
    custom: meta.custom,
  };
}

function cellValue(value: number | string | undefined): number | string | null {
  if (value === undefined) return null;
  return typeof value === 'number' && !Number.isFinite(value) ? (Number.isNaN(value) ? null : String(value)) : value;
}

function isTextColumn(column: Column): boolean {
  return Array.isArray(column) && (column as unknown[]).some((value) => typeof value === 'string');
}

function setInfo(set: ResultSet): ApiSetInfo {
  return {
    name: set.name,
    nPoints: set.nPoints,
    columns: set.columnNames.map((name) => ({
      name,
      kind: isTextColumn(set.columns[name] as Column) ? 'string' : 'number',
    })),
    metadata: set.metadata,
  };
}

function describe(loaded: LoadedResult, summary: ApiResultSummary): ApiResult {
  const { result } = loaded;
  return {
    summary,
    problem: result.problem,
    objectives: result.objectives.map((o) => ({
      name: o.name,
      sense: o.sense === 'maximize' ? 'maximize' : 'minimize',
    })),
    designVariables: result.designVariables,
    constraints: result.constraints,
    metadata: result.metadata,
    sets: result.listSets().map((name) => setInfo(result.getSet(name))),
  };
}

/** The order rows are shown in: by a column, or as stored. */
function orderOf(request: ApiRequest, loaded: LoadedResult, set: ResultSet): ArrayLike<number> | undefined {
  const sort = request.query.string('sort', '');
  if (sort === '') return undefined;
  return rowOrder(loaded, set, sort, request.query.choice('order', ['asc', 'desc'], 'asc') === 'desc');
}

/**
 * The Results page: the stored results with their metadata, a result's description,
 * a set's rows (sorted, paged), whole columns for the plots, and a CSV of the
 * current view. Loaded results are cached by ETag (see ResultCache).
 */
export function resultRoutes(context: ExplorerContext): Route[] {
  const load = async (request: ApiRequest) => {
    const store = request.store();
    const key = request.query.required('key');
    return { store, key, loaded: await context.results.get(store, key) };
  };
  const setOf = (request: ApiRequest, loaded: LoadedResult) => loaded.result.getSet(request.query.required('set'));
  return [
    {
      method: 'GET',
      path: '/api/results',
      params: ['store', 'prefix', 'offset', 'limit'],
      handle: async (request) => {
        const store = request.store();
        const prefix = request.query.string('prefix', '');
        const offset = request.query.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = request.query.int('limit', 100, 1, 1000);
        const keys = await store.results.list(prefix === '' ? undefined : prefix);
        const page = keys.slice(offset, offset + limit);
        const list: ApiResultList = {
          results: await Promise.all(page.map((key) => summaryOf(store, key))),
          total: keys.length,
        };
        return json(list);
      },
    },
    {
      method: 'GET',
      path: '/api/result',
      params: ['store', 'key'],
      handle: async (request) => {
        const { store, key, loaded } = await load(request);
        return json(describe(loaded, await summaryOf(store, key)));
      },
    },
    {
      method: 'GET',
      path: '/api/result/rows',
      params: ['store', 'key', 'set', 'sort', 'order', 'offset', 'limit'],
      handle: async (request) => {
        const { loaded } = await load(request);
        const set = setOf(request, loaded);
        const order = orderOf(request, loaded, set);
        const offset = request.query.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = request.query.int('limit', 50, 1, 1000);
        const columns = set.columnNames.map((name) => columnOf(set, name) as ArrayLike<number | string>);
        const index: number[] = [];
        for (let i = offset; i < Math.min(offset + limit, set.nPoints); i++)
          index.push(order ? (order[i] as number) : i);
        const rows: ApiRows = {
          columns: set.columnNames,
          index,
          rows: index.map((row) => columns.map((column) => cellValue(column[row]))),
          total: set.nPoints,
        };
        return json(rows);
      },
    },
    {
      method: 'GET',
      path: '/api/result/columns',
      params: ['store', 'key', 'set', 'column'],
      handle: async (request) => {
        const { loaded } = await load(request);
        const set = setOf(request, loaded);
        const names = request.query.all('column');
        if (names.length === 0) throw badRequest("Name the columns to send with 'column=' parameters");
        const columns: ApiColumns['columns'] = {};
        for (const name of names)
          columns[name] = Array.from(columnOf(set, name) as ArrayLike<number | string>, cellValue);
        return json({ nPoints: set.nPoints, columns } satisfies ApiColumns);
      },
    },
    {
      method: 'GET',
      path: '/api/result/csv',
      params: ['store', 'key', 'set', 'sort', 'order'],
      handle: async (request) => {
        const { key, loaded } = await load(request);
        const set = setOf(request, loaded);
        const order = orderOf(request, loaded, set);
        const view = order
          ? new ResultSet(
              set.name,
              Object.fromEntries(
                set.columnNames.map((name) => {
                  const column = columnOf(set, name) as ArrayLike<number | string>;
                  return [name, Array.from(order, (row) => column[row]) as Column];
                }),
              ),
            )
          : set;
        return download(setToCsv(view), `${key.replaceAll('/', '_')}-${set.name}.csv`, 'text/csv; charset=utf-8');
      },
    },
  ];
}
