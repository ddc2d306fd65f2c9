import type { CallRecord } from '../../entries/cas.ts';
import type { ApiCall, ApiCallQuery, ApiDigestValue, ApiFunctionSummary } from '../api-types.ts';
import type { ExplorerStore } from '../explorer-stores.ts';
import { describeError, json } from '../http-kit.ts';
import { CELL_PREVIEW, toValueNode } from '../value-view.ts';
import type { Route } from './route.ts';

async function digestValue(store: ExplorerStore, digest: string): Promise<ApiDigestValue> {
  try {
    if (!(await store.values.has(digest))) return { digest, stored: false };
    return { digest, stored: true, preview: toValueNode(await store.values.get(digest), CELL_PREVIEW) };
  } catch (error) {
    return { digest, stored: true, error: describeError(error) };
  }
}

async function withValues(store: ExplorerStore, record: CallRecord & { id: string }): Promise<ApiCall> {
  const args: ApiCall['args'] = {};
  for (const [name, digest] of Object.entries(record.args)) args[name] = await digestValue(store, digest);
  return {
    id: record.id,
    fn: record.fn,
    version: record.version,
    startedAt: record.startedAt,
    durationMs: record.durationMs,
    args,
    ...(record.result !== undefined ? { result: await digestValue(store, record.result) } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

/**
 * The Calls page: `GET /api/calls` summarises the memoised functions (calls, errors,
 * time); `GET /api/calls/query` runs `calls.query({ fn, version, args })` (omitted
 * arguments match anything, as in the library) and answers every match's duration
 * (for the histogram) and one page of matches, slowest first, with argument values
 * and result previews read from the value store.
 */
export function callRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/calls',
      params: ['store'],
      handle: async (request) => {
        const byFn = new Map<string, ApiFunctionSummary & { versionSet: Set<string>; paramSet: Set<string> }>();
        for await (const call of request.store().calls.query()) {
          let summary = byFn.get(call.fn);
          if (!summary) {
            summary = {
              fn: call.fn,
              versions: [],
              calls: 0,
              errors: 0,
              totalMs: 0,
              maxMs: 0,
              params: [],
              versionSet: new Set(),
              paramSet: new Set(),
            };
            byFn.set(call.fn, summary);
          }
          summary.calls++;
          if (call.error) summary.errors++;
          summary.totalMs += call.durationMs;
          summary.maxMs = Math.max(summary.maxMs, call.durationMs);
          summary.versionSet.add(call.version);
          for (const name of Object.keys(call.args)) summary.paramSet.add(name);
        }
        const summaries: ApiFunctionSummary[] = [...byFn.values()]
          .sort((a, b) => (a.fn < b.fn ? -1 : 1))
          .map(({ versionSet, paramSet, ...rest }) => ({
            ...rest,
            versions: [...versionSet].sort(),
            params: [...paramSet].sort(),
          }));
        return json(summaries);
      },
    },
    {
      method: 'GET',
      path: '/api/calls/query',
      params: ['store', 'fn', 'version', 'args', 'offset', 'limit'],
      handle: async (request) => {
        const store = request.store();
        const { query } = request;
        const offset = query.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = query.int('limit', 20, 1, 200);
        const matches: (CallRecord & { id: string })[] = [];
        for await (const call of store.calls.query({
          fn: query.string('fn') || undefined,
          version: query.string('version') || undefined,
          args: query.jsonObject('args'),
        })) {
          matches.push(call);
        }
        matches.sort((a, b) => b.durationMs - a.durationMs || (a.id < b.id ? -1 : 1));
        const page = await Promise.all(matches.slice(offset, offset + limit).map((call) => withValues(store, call)));
        const answer: ApiCallQuery = {
          total: matches.length,
          durations: matches.map((call) => call.durationMs),
          calls: page,
          offset,
        };
        return json(answer);
      },
    },
  ];
}
