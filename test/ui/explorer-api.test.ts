import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TieredBackend } from '../../src/entries/tiered.ts';
import { type Backend, getCodec, OptimizationResult, openBackend, ResultSet, StorageManager } from '../../src/index.ts';
import type {
  ApiCallQuery,
  ApiColumns,
  ApiEntry,
  ApiError,
  ApiFunctionSummary,
  ApiKeyPage,
  ApiMeta,
  ApiResult,
  ApiResultList,
  ApiRows,
  ApiSession,
  ApiStoreInfo,
  ApiSyncDiff,
  ApiTierPage,
} from '../../src/ui/api-types.ts';
import { type Explorer, startExplorer } from '../../src/ui/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { fillCalls, fillCodecs, fillFlat, fillHostile, fillResults } from './fixtures.ts';

interface Call {
  method?: string;
  auth?: 'header' | 'query' | 'cookie' | 'none';
  headers?: Record<string, string>;
  body?: unknown;
}

async function call(explorer: Explorer, path: string, options: Call = {}): Promise<Response> {
  const auth = options.auth ?? 'header';
  const url = new URL(path, explorer.origin);
  const headers: Record<string, string> = { ...options.headers };
  if (auth === 'header') headers['x-stowage-token'] = explorer.token;
  if (auth === 'query') url.searchParams.set('token', explorer.token);
  if (auth === 'cookie') headers.cookie = `stowage_ui_${explorer.port}=${explorer.token}`;
  return fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function getJson<T>(explorer: Explorer, path: string): Promise<T> {
  const response = await call(explorer, path);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as T;
}

const dir = tempDir('ui-api');
const mainUrl = `sqlite:${dir}/main.sqlite`;
const backupUrl = `file:${dir}/backup`;
let frontRows: number[] = [];

beforeAll(async () => {
  const main = await openBackend(mainUrl);
  try {
    frontRows = (await fillResults(main)).frontRows;
    await fillCalls(main);
    await fillCodecs(main);
    await fillHostile(main);
    await fillFlat(main, 10_000);
    for (let i = 0; i < 5; i++) await main.put(['runs', `exp-${i}`, 'front'], getCodec('json').encode({ i }));
    // Written clearly later than the others, so it is the newest entry under runs/.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await main.put(['runs', 'exp-1'], getCodec('json').encode('a value and a folder'));
  } finally {
    await main.close();
  }
  const backup = await openBackend(backupUrl);
  try {
    await backup.put(['runs', 'exp-0', 'front'], getCodec('json').encode({ i: 0 }));
    await backup.put(['runs', 'exp-1', 'front'], getCodec('json').encode({ i: 'older copy' }));
    await backup.put(['runs', 'only-in-backup'], getCodec('json').encode(true));
  } finally {
    await backup.close();
  }
});

afterAll(removeTempDirs);

describe('explorer access', () => {
  let explorer: Explorer;
  beforeAll(async () => {
    explorer = await startExplorer({ stores: [mainUrl] });
  });
  afterAll(() => explorer?.close());

  it('listens on loopback and refuses every request without the token', async () => {
    expect(explorer.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const app = await (await call(explorer, '/', { auth: 'query' })).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(app)?.[1] as string;
    expect(asset).toBeDefined();
    for (const path of ['/', '/index.html', asset, '/api/session', '/api/entry/raw?key=docs/readme', '/nope']) {
      const response = await call(explorer, path, { auth: 'none' });
      expect(response.status, path).toBe(403);
      expect(await response.text()).not.toContain('plain text');
    }
    const wrong = await call(explorer, '/api/session', {
      auth: 'none',
      headers: { 'x-stowage-token': 'x'.repeat(32) },
    });
    expect(wrong.status).toBe(403);
  });

  it('accepts the token in the URL, the header or the session cookie, and sets that cookie with the page', async () => {
    const page = await call(explorer, '/', { auth: 'query' });
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toBe(
      `stowage_ui_${explorer.port}=${explorer.token}; Path=/; HttpOnly; SameSite=Strict`,
    );
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain(`content="${explorer.token}"`);
    for (const auth of ['query', 'header', 'cookie'] as const) {
      expect((await call(explorer, '/api/session', { auth })).status, auth).toBe(200);
    }
    const download = await call(explorer, '/api/entry/raw?key=docs/readme', { auth: 'cookie' });
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="readme"');
    expect(await download.text()).toBe('plain text,\nover two lines');
  });

  it('serves only the files of the bundle: no parameter or path reaches other files', async () => {
    for (const path of [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/src/ui/explorer.ts',
      '/dist/ui/explorer.js',
    ]) {
      const response = await call(explorer, path, { auth: 'query' });
      const text = await response.text();
      expect(text, path).not.toContain('"name": "stowage"');
      expect(text, path).not.toContain('startExplorer');
    }
    for (const key of ['../../package.json', '/etc/passwd', '..', 'docs/../../x']) {
      const response = await call(explorer, `/api/entry?key=${encodeURIComponent(key)}`);
      expect([400, 404], key).toContain(response.status);
    }
    expect((await call(explorer, '/api/keys?store=7')).status).toBe(400);
    expect((await call(explorer, '/api/keys?file=/etc/passwd')).status).toBe(400);
  });

  it('refuses changes when started without --write, whatever carries the token', async () => {
    const before = await getJson<ApiEntry>(explorer, '/api/entry?key=docs/config.json');
    for (const auth of ['header', 'query', 'cookie'] as const) {
      const response = await call(explorer, '/api/entry/attrs?key=docs/config.json', {
        method: 'POST',
        auth,
        headers: { 'if-match': before.meta.etag, 'content-type': 'application/json' },
        body: { attrs: { changed: true } },
      });
      expect(response.status, auth).toBe(403);
      expect(((await response.json()) as ApiError).error.code).toBe('READ_ONLY');
    }
    const del = await call(explorer, '/api/entry?key=docs/config.json', {
      method: 'DELETE',
      headers: { 'if-match': before.meta.etag },
    });
    expect(del.status).toBe(403);
    const after = await getJson<ApiEntry>(explorer, '/api/entry?key=docs/config.json');
    expect(after.meta).toEqual(before.meta);
  });

  it('names an unknown parameter instead of ignoring it', async () => {
    const response = await call(explorer, '/api/keys?prefx=runs');
    expect(response.status).toBe(400);
    expect(((await response.json()) as ApiError).error.message).toContain("Unknown parameter 'prefx'");
  });
});

describe('explorer API over real stores', () => {
  let explorer: Explorer;
  beforeAll(async () => {
    explorer = await startExplorer({ stores: [mainUrl, backupUrl] });
  });
  afterAll(() => explorer?.close());

  it('describes each store without a password', async () => {
    const session = await getJson<ApiSession>(explorer, '/api/session');
    expect(session).toMatchObject({ write: false, resultsPrefix: 'results', casPrefix: 'cas' });
    const stores = await getJson<ApiStoreInfo[]>(explorer, '/api/stores');
    expect(stores.map((s) => s.type)).toEqual(['sqlite', 'fs']);
    expect(stores[0]).toMatchObject({ capabilities: { persistent: true, queryAttrs: true } });
    expect(stores[0]?.driver).toMatch(/^(better-sqlite3|node)$/);
    expect(stores[0]?.entries).toBeGreaterThan(10_000);
  });

  it('pages a folder of 10,000 entries lazily, with folders, search, attribute filter and time order', async () => {
    const root = await getJson<ApiKeyPage>(explorer, '/api/keys');
    expect(root.items.map((i) => `${i.kind}:${i.name}`)).toEqual([
      'folder:cas',
      'folder:docs',
      'folder:flat',
      'folder:results',
      'folder:runs',
      'folder:xss',
    ]);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 3; page++) {
      const got = await getJson<ApiKeyPage>(
        explorer,
        `/api/keys?prefix=flat&limit=100${after ? `&after=${after}` : ''}`,
      );
      seen.push(...got.items.map((i) => i.name));
      expect(got.items[0]?.meta?.attrs).toHaveProperty('solver');
      after = got.next;
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => `k-${String(i).padStart(5, '0')}`));
    const runs = await getJson<ApiKeyPage>(explorer, '/api/keys?prefix=runs&limit=3');
    expect(runs.items.map((i) => `${i.kind}:${i.name}`)).toEqual(['folder:exp-0', 'entry:exp-1', 'folder:exp-1']);
    const rest = await getJson<ApiKeyPage>(
      explorer,
      `/api/keys?prefix=runs&limit=3&after=${encodeURIComponent(runs.next as string)}`,
    );
    expect(rest.items.map((i) => i.name)).toEqual(['exp-2', 'exp-3', 'exp-4']);
    expect(rest.next).toBeUndefined();
    const search = await getJson<ApiKeyPage>(explorer, '/api/keys?prefix=flat&search=k-0500');
    expect(search.items.map((i) => i.name)).toEqual(Array.from({ length: 10 }, (_, i) => `k-0500${i}`));
    const keysOnly = await getJson<ApiKeyPage>(explorer, '/api/keys?prefix=flat&limit=2&mode=keys');
    expect(keysOnly.items).toEqual([
      { kind: 'entry', name: 'k-00000', key: 'flat/k-00000' },
      { kind: 'entry', name: 'k-00001', key: 'flat/k-00001' },
    ]);
    const where = await getJson<ApiKeyPage>(
      explorer,
      `/api/keys?prefix=flat&limit=5&where=${encodeURIComponent('{"seed":3}')}`,
    );
    expect(where.items.map((i) => i.name)).toEqual(['k-00003', 'k-00013', 'k-00023', 'k-00033', 'k-00043']);
    expect(where.next).toBe('flat/k-00043');
    const newest = await getJson<ApiKeyPage>(explorer, '/api/keys?prefix=runs&sort=newest&limit=2');
    expect(newest.items[0]?.key).toBe('runs/exp-1');
    expect(newest.items).toHaveLength(2);
    expect(newest.nextOffset).toBe(2);
    expect((await call(explorer, '/api/keys?sort=newest&mode=keys')).status).toBe(400);
  });

  it('decodes values by the codec the key names or the bytes show, and downloads them raw', async () => {
    const entry = (key: string, extra = '') =>
      getJson<ApiEntry>(explorer, `/api/entry?key=${encodeURIComponent(key)}${extra}`);
    const json = await entry('docs/config.json');
    expect(json.decoded).toMatchObject({ codec: 'json', guessed: false });
    expect(json.decoded.tree).toMatchObject({ t: 'object', total: 3 });
    expect(json.meta.attrs).toEqual({ kind: 'config' });
    const msgpack = await entry('docs/state.msgpack');
    expect(msgpack.decoded.tree).toEqual({
      t: 'object',
      total: 2,
      entries: [
        ['weights', { t: 'typed', type: 'Float64Array', items: [0.5, 0.25], total: 2 }],
        ['at', { t: 'date', v: '1970-01-01T00:00:00.000Z' }],
      ],
    });
    expect((await entry('docs/readme')).decoded).toMatchObject({
      codec: 'text',
      guessed: true,
      text: 'plain text,\nover two lines',
    });
    expect((await entry('docs/packed')).decoded).toMatchObject({ codec: 'json+gzip', guessed: true });
    const blob = await entry('docs/blob');
    expect(blob.decoded).toMatchObject({ codec: 'hex', hex: '000102fafbfcfdfeff07' });
    const forced = await entry('docs/readme', '&codec=msgpack');
    expect(forced.decoded.codec).toBe('hex');
    expect(forced.decoded.error).toContain('do not decode with msgpack');
    const raw = await call(explorer, '/api/entry/raw?key=docs/blob');
    expect(new Uint8Array(await raw.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255, 7]));
  });

  it('lists results, sorts and pages a set, sends columns and a CSV of the view', async () => {
    const list = await getJson<ApiResultList>(explorer, '/api/results');
    expect(list.results.map((r) => r.key)).toEqual(['dtlz2/run-1', 'zdt1/run-1']);
    expect(list.results[1]).toMatchObject({ nPoints: 60, nSets: 1, custom: { note: 'known front' } });
    const result = await getJson<ApiResult>(explorer, '/api/result?key=zdt1/run-1');
    expect(result.objectives).toEqual([
      { name: 'f1', sense: 'minimize' },
      { name: 'f2', sense: 'minimize' },
    ]);
    expect(result.sets).toEqual([
      {
        name: 'population',
        nPoints: 60,
        columns: [
          { name: 'f1', kind: 'number' },
          { name: 'f2', kind: 'number' },
        ],
        metadata: { generation: 40 },
      },
    ]);
    const rows = await getJson<ApiRows>(
      explorer,
      '/api/result/rows?key=zdt1/run-1&set=population&sort=f2&order=asc&limit=3',
    );
    expect(rows.total).toBe(60);
    expect(rows.index[0]).toBe(frontRows[11]);
    expect(rows.rows[0]).toEqual([1, 0]);
    const columns = await getJson<ApiColumns>(
      explorer,
      '/api/result/columns?key=zdt1/run-1&set=population&column=f1&column=f2',
    );
    expect(columns.columns.f1).toHaveLength(60);
    const csv = await (await call(explorer, '/api/result/csv?key=zdt1/run-1&set=population&sort=f1&order=desc')).text();
    const lines = csv.split('\n');
    expect(lines[0]).toBe('f1,f2');
    expect(lines).toHaveLength(61);
    expect(Number(lines[1]?.split(',')[0])).toBeCloseTo(1.06);
    expect((await call(explorer, '/api/result/columns?key=zdt1/run-1&set=population&column=nope')).status).toBe(404);
  });

  it('summarises memoised functions and queries calls by argument values, slowest first', async () => {
    const functions = await getJson<ApiFunctionSummary[]>(explorer, '/api/calls');
    expect(functions.map((f) => [f.fn, f.calls, f.versions, f.params])).toEqual([
      ['label', 1, ['1'], ['name']],
      ['simulate', 8, ['2'], ['x', 'y']],
    ]);
    const all = await getJson<ApiCallQuery>(explorer, '/api/calls/query?fn=simulate');
    expect(all.total).toBe(8);
    expect(all.durations).toHaveLength(8);
    expect(all.calls[0]?.durationMs).toBe(Math.max(...all.durations));
    const some = await getJson<ApiCallQuery>(
      explorer,
      `/api/calls/query?fn=simulate&args=${encodeURIComponent('{"x":10}')}`,
    );
    expect(some.total).toBe(2);
    const first = some.calls[0];
    expect(first?.args.x).toMatchObject({ stored: true, preview: { t: 'number', v: 10 } });
    expect(first?.result?.preview).toMatchObject({ t: 'object' });
  });

  it('shows where keys live in two stores and what a dry-run sync would copy, writing nothing', async () => {
    const page = await getJson<ApiTierPage>(explorer, '/api/tiers/keys?source=pair:0:1&prefix=runs');
    const byKey = Object.fromEntries(page.rows.map((r) => [r.key, r]));
    expect(byKey['runs/exp-0/front']).toMatchObject({ tiers: ['primary', 'secondary'], state: 'same' });
    // The backup was written after the main store, so its differing copy is the newer one.
    expect(byKey['runs/exp-1/front']).toMatchObject({ state: 'differs', newer: 'secondary' });
    expect(byKey['runs/only-in-backup']).toMatchObject({ tiers: ['secondary'], state: 'secondary-only' });
    expect(byKey['runs/exp-4/front']).toMatchObject({ tiers: ['primary'], state: 'primary-only' });
    const diff = await getJson<ApiSyncDiff>(
      explorer,
      '/api/tiers/diff?source=pair:0:1&prefix=runs&direction=bidirectional',
    );
    expect(diff).toMatchObject({ copied: 6, skipped: 1, conflicts: 1, errors: 0, more: false });
    expect(diff.changes).toContainEqual({ key: 'runs/exp-1/front', change: 'conflict' });
    expect(diff.changes).toContainEqual({ key: 'runs/only-in-backup', change: 'copy' });
    const again = await getJson<ApiTierPage>(explorer, '/api/tiers/keys?source=pair:0:1&prefix=runs');
    expect(again.rows).toEqual(page.rows);
  });
});

describe('explorer with --write', () => {
  let explorer: Explorer;
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(`sqlite:${dir}/write.sqlite`);
    await fillCodecs(backend);
    explorer = await startExplorer({ stores: [backend], write: true });
  });
  afterAll(async () => {
    await explorer?.close();
    await backend?.close();
  });

  const editAttrs = (etag: string | undefined, attrs: unknown, headers: Record<string, string> = {}) =>
    call(explorer, '/api/entry/attrs?key=docs/config.json', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(etag ? { 'if-match': etag } : {}), ...headers },
      body: { attrs },
    });

  it('edits attributes only with the ETag the page showed; a concurrent change is reported, not overwritten', async () => {
    const meta = (await backend.stat('docs/config.json')) as ApiMeta;
    expect((await editAttrs(undefined, { a: 1 })).status).toBe(428);
    const saved = await editAttrs(meta.etag, { reviewed: true });
    expect(saved.status).toBe(200);
    const next = (await saved.json()) as ApiMeta;
    expect(next.attrs).toEqual({ reviewed: true });
    const value = (await backend.get('docs/config.json'))?.value as Uint8Array;
    expect(getCodec('json').decode(value)).toEqual({ name: 'run', tags: ['a', 'b'], depth: 3 });
    // Someone else writes meanwhile: the stale ETag must not win.
    await backend.put('docs/config.json', value, { attrs: { by: 'someone else' } });
    const stale = await editAttrs(next.etag, { reviewed: false });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as ApiError).error.code).toBe('CONDITION_FAILED');
    expect((await backend.stat('docs/config.json'))?.attrs).toEqual({ by: 'someone else' });
  });

  it('needs the token in the header and the page origin for changes', async () => {
    const meta = (await backend.stat('docs/config.json')) as ApiMeta;
    const viaCookie = await call(explorer, '/api/entry/attrs?key=docs/config.json', {
      method: 'POST',
      auth: 'cookie',
      headers: { 'if-match': meta.etag },
      body: { attrs: {} },
    });
    expect(viaCookie.status).toBe(403);
    expect((await editAttrs(meta.etag, {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await backend.stat('docs/config.json'))?.etag).toBe(meta.etag);
  });

  it('deletes only with the current ETag', async () => {
    const meta = (await backend.stat('docs/readme')) as ApiMeta;
    const remove = (etag: string) =>
      call(explorer, '/api/entry?key=docs/readme', { method: 'DELETE', headers: { 'if-match': etag } });
    expect((await remove('not-the-etag')).status).toBe(409);
    expect(await backend.stat('docs/readme')).toBeDefined();
    expect((await remove(meta.etag)).status).toBe(200);
    expect(await backend.stat('docs/readme')).toBeUndefined();
  });
});

describe('explorer over a tiered store', () => {
  it('shows the cache tier, and reads without copying the secondary into the primary when read-only', async () => {
    const primary = await openBackend('memory://');
    const secondary = await openBackend('memory://');
    const tiered = new TieredBackend({ primary, secondary, cache: { maxBytes: 1 << 20 } });
    const json = getCodec('json');
    await tiered.put('a/cached', json.encode(1));
    await tiered.get('a/cached');
    await secondary.put('a/backup-only', json.encode(2));
    const explorer = await startExplorer({ stores: [{ name: 'stack', store: tiered }] });
    try {
      const sources = await getJson<{ id: string; hasCache: boolean }[]>(explorer, '/api/tiers');
      expect(sources[0]).toMatchObject({ id: 'tiered:0', hasCache: true });
      const page = await getJson<ApiTierPage>(explorer, '/api/tiers/keys?source=tiered:0');
      expect(page.rows.map((r) => [r.key, r.tiers])).toEqual([
        ['a/backup-only', ['secondary']],
        ['a/cached', ['cache', 'primary', 'secondary']],
      ]);
      expect((await call(explorer, '/api/entry?key=a/backup-only')).status).toBe(404);
      expect(await primary.stat('a/backup-only')).toBeUndefined();
    } finally {
      await explorer.close();
      await tiered.close();
    }
  });

  it("shows a StorageManager's results and its tiers, cache included", async () => {
    const manager = new StorageManager({
      primary: await openBackend('memory://'),
      secondary: await openBackend('memory://'),
      prefix: 'runs',
    });
    await manager.save('exp/a', new OptimizationResult({ id: 'a', sets: [new ResultSet('s', { x: [1, 2] })] }));
    await manager.load('exp/a');
    const explorer = await startExplorer({ stores: [manager] });
    try {
      const list = await getJson<ApiResultList>(explorer, '/api/results');
      expect(list.results.map((r) => [r.key, r.nPoints])).toEqual([['exp/a', 2]]);
      const sources = await getJson<{ id: string; hasCache: boolean }[]>(explorer, '/api/tiers');
      expect(sources).toMatchObject([{ id: 'tiered:0', hasCache: true }]);
      const page = await getJson<ApiTierPage>(explorer, '/api/tiers/keys?source=tiered:0&prefix=runs/r');
      expect(page.rows).toMatchObject([
        { key: 'runs/r/exp/a', tiers: ['cache', 'primary', 'secondary'], state: 'same' },
      ]);
    } finally {
      await explorer.close();
      await manager.close();
    }
  });

  it('writes the session into the page as attribute text, so a store name cannot inject markup', async () => {
    const name = '"><script>window.__xss=1</script><meta x="';
    const explorer = await startExplorer({ stores: [{ name, store: 'memory://' }] });
    try {
      const html = await (await call(explorer, '/', { auth: 'query' })).text();
      expect(html).not.toContain('<script>window.__xss');
      const content = /<meta name="stowage-session" content="([^"]*)"/.exec(html)?.[1] as string;
      const decoded = content.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) =>
        e === 'quot' ? '"' : e === '#39' ? "'" : e === 'lt' ? '<' : e === 'gt' ? '>' : '&',
      );
      expect((JSON.parse(decoded) as ApiSession).stores[0]?.name).toBe(name);
    } finally {
      await explorer.close();
    }
  });

  it('refuses an unknown option by name', async () => {
    await expect(startExplorer({ stores: ['memory://'], prot: 1 } as never)).rejects.toThrow(
      /Unknown explorer option 'prot'/,
    );
  });
});
