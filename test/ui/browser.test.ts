import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, getCodec, openBackend } from '../../src/index.ts';
import { type Explorer, startExplorer } from '../../src/ui/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { chromiumSkipReason, launchBrowser, screenshot, type TestBrowser } from './browser.ts';
import { fillCalls, fillCodecs, fillFlat, fillHostile, fillResults, HOSTILE } from './fixtures.ts';

const skip = chromiumSkipReason();

afterAll(removeTempDirs);

describe.skipIf(skip)('the explorer in headless chromium', () => {
  let frontRows: number[] = [];
  let browser: TestBrowser | undefined;
  let explorer: Explorer | undefined;

  beforeAll(async () => {
    const mainUrl = `sqlite:${tempDir('ui-browser')}/main.sqlite`;
    const main = await openBackend(mainUrl);
    try {
      await fillFlat(main, 10_000);
      frontRows = (await fillResults(main)).frontRows;
      await fillCalls(main);
      await fillCodecs(main);
      await fillHostile(main);
    } finally {
      await main.close();
    }
    explorer = await startExplorer({ stores: [mainUrl] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await explorer?.close();
    }
  });

  const open = async (hash: string) => {
    const tab = await (browser as TestBrowser).page();
    await tab.page.goto(`${(explorer as Explorer).url}${hash}`);
    return tab;
  };

  it('refuses the page without the token and opens it with the token', async () => {
    const { page, problems } = await (browser as TestBrowser).page();
    const refused = await page.goto(`${(explorer as Explorer).origin}/`);
    expect(refused?.status()).toBe(403);
    await expect(page.textContent('body')).resolves.toContain('Forbidden');
    await screenshot(page, 'no-token');
    const opened = await page.goto((explorer as Explorer).url);
    expect(opened?.status()).toBe(200);
    await page.getByTestId('stores-table').locator('tbody tr').first().waitFor();
    await expect(page.getByTestId('stores-table').locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.getByTestId('stores-table').textContent()).resolves.toContain('sqlite');
    await expect(page.getByTestId('mode').textContent()).resolves.toBe('read-only');
    // The token moved into the session cookie; the address bar no longer shows it.
    expect(page.url()).not.toContain('token=');
    await screenshot(page, 'stores');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('browses to an entry in a store of 10,000 keys, page by page', async () => {
    const { page, problems } = await open('#/keys');
    const rows = page.getByTestId('keys-table').locator('tbody tr');
    await page.getByRole('link', { name: 'flat/' }).click();
    await page.getByTestId('keys-count').filter({ hasText: '100 shown, more below' }).waitFor();
    await expect(rows.count()).resolves.toBe(100);
    await screenshot(page, 'keys', { fullPage: false });
    await page.getByTestId('load-more').click();
    await page.getByTestId('keys-count').filter({ hasText: '200 shown, more below' }).waitFor();
    await expect(rows.nth(199).textContent()).resolves.toContain('k-00199');
    await page.getByTestId('search').fill('k-0500');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('keys-count').filter({ hasText: '10 shown' }).waitFor();
    await page.getByRole('link', { name: 'k-05003' }).click();
    await page.getByTestId('entry-key').filter({ hasText: 'flat/k-05003' }).waitFor();
    await expect(page.getByTestId('decoded-codec').textContent()).resolves.toBe('msgpack (guessed)');
    await expect(page.getByTestId('value').textContent()).resolves.toContain('index: 5003');
    await expect(page.getByTestId('attrs').textContent()).resolves.toContain('"solver": "moead"');
    await screenshot(page, 'entry');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws the scatter plot with one mark per point and the known non-dominated set highlighted', async () => {
    const { page, problems } = await open('#/result?key=zdt1/run-1');
    const scatter = page.getByTestId('scatter');
    await scatter.locator('svg').first().waitFor();
    const dominated = scatter.locator('g[aria-description="dominated points"] circle');
    const front = scatter.locator('g[aria-description="non-dominated points"] circle');
    const marks = (await dominated.count()) + (await front.count());
    expect(marks).toBe(60);
    const frontTitles = await front.locator('title').allTextContents();
    const highlighted = frontTitles.map((t) => Number(/row (\d+):/.exec(t)?.[1])).sort((a, b) => a - b);
    expect(highlighted).toEqual(frontRows);
    await expect(scatter.locator('g[aria-description="front"] path').count()).resolves.toBe(1);
    await expect(page.getByTestId('histogram').locator('rect').count()).resolves.toBeGreaterThan(3);
    await expect(page.getByTestId('rows-range').textContent()).resolves.toBe('rows 1–50 of 60');
    await screenshot(page, 'results');

    // The plot downloads as SVG and PNG, drawn in the page.
    const saved = async (button: string) => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('scatter').locator('..').getByRole('button', { name: button }).click(),
      ]);
      const path = (await download.path()) as string;
      return { name: download.suggestedFilename(), bytes: readFileSync(path) };
    };
    const svg = await saved('SVG');
    expect(svg.name).toBe('zdt1_run-1-population-f1-f2.svg');
    expect(svg.bytes.toString('utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.bytes.toString('utf8').match(/<circle/g)).toHaveLength(60);
    const png = await saved('PNG');
    expect(png.name).toBe('zdt1_run-1-population-f1-f2.png');
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // Flipping f2 to maximise changes which points are non-dominated.
    await page.getByTestId('sense-y').selectOption('maximize');
    await expect.poll(() => front.count()).toBe(1);

    // A second result overlaid on the same axes, with its own front.
    await page.getByTestId('sense-y').selectOption('minimize');
    await page.getByTestId('compare-key').selectOption('dtlz2/run-1');
    await page.getByTestId('compare-set').selectOption('front');
    const second = scatter.locator('g[aria-description="dominated points (second)"] circle');
    const secondFront = scatter.locator('g[aria-description="non-dominated points (second)"] circle');
    await secondFront.first().waitFor();
    expect((await second.count()) + (await secondFront.count())).toBe(80);
    await screenshot(page, 'results-compare', { fullPage: false });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws parallel coordinates for three objectives, the points on the sphere on top', async () => {
    const { page, problems } = await open('#/result?key=dtlz2/run-1');
    const parallel = page.getByTestId('parallel');
    await parallel.locator('svg').first().waitFor();
    await expect(parallel.locator('g[aria-description="dominated lines"] path').count()).resolves.toBe(60);
    await expect(parallel.locator('g[aria-description="non-dominated lines"] path').count()).resolves.toBe(20);
    await screenshot(page, 'results-parallel');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lists memoised functions and finds calls by argument value', async () => {
    const { page, problems } = await open('#/calls');
    const functions = page.getByTestId('functions-table').locator('tbody tr');
    await functions.first().waitFor();
    await expect(functions.allTextContents()).resolves.toEqual([
      expect.stringContaining('label'),
      expect.stringContaining('simulate'),
    ]);
    await page.getByTestId('calls-count').filter({ hasText: '9 matching calls' }).waitFor();
    await page.getByTestId('calls-fn').selectOption('simulate');
    await page.getByTestId('arg-x').fill('10');
    await page.getByTestId('run-query').click();
    await page.getByTestId('calls-count').filter({ hasText: '2 matching calls' }).waitFor();
    const calls = page.getByTestId('calls-table').locator('tbody tr');
    await expect(calls.count()).resolves.toBe(2);
    await expect(calls.first().textContent()).resolves.toContain('x = 10');
    await expect(calls.first().textContent()).resolves.toContain('energy');
    await expect(page.getByTestId('durations').locator('rect').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'calls');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows keys, attributes and values holding markup as text, and runs none of it', async () => {
    const { page, problems } = await open('#/keys?prefix=xss');
    const table = page.getByTestId('keys-table');
    await table.locator('tbody tr').nth(2).waitFor();
    const text = await table.textContent();
    expect(text).toContain(HOSTILE.imgKey[1]);
    expect(text).toContain(HOSTILE.svgKey[1]);
    expect(text).toContain(`${HOSTILE.scriptKey[1]}/`);
    await expect(table.locator('img, svg, script').count()).resolves.toBe(0);
    await screenshot(page, 'xss-keys');
    for (const key of [HOSTILE.imgKey, HOSTILE.svgKey, HOSTILE.scriptKey]) {
      await page.goto(`${(explorer as Explorer).origin}/#/entry?store=0&key=${encodeURIComponent(key.join('/'))}`);
      await page
        .getByTestId('entry-key')
        .filter({ hasText: key.join('/') })
        .waitFor();
      await expect(page.getByTestId('attrs').textContent()).resolves.toContain(JSON.stringify(HOSTILE.attrs.note));
      await expect(page.getByTestId('value').textContent()).resolves.toContain('<script>window.__xss=6</script>');
      await expect(page.locator('main img, main script, main iframe').count()).resolves.toBe(0);
    }
    await screenshot(page, 'xss-entry');
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses write actions without --write, in the page and through the API', async () => {
    const { page, problems } = await open('#/entry?key=docs/config.json');
    await page.getByTestId('read-only-note').waitFor();
    await expect(page.getByTestId('delete').count()).resolves.toBe(0);
    await expect(page.getByTestId('attrs-editor').count()).resolves.toBe(0);
    const etag = (await page.getByTestId('etag').textContent()) as string;
    const token = (await page.locator('meta[name="stowage-token"]').getAttribute('content')) as string;
    // The page itself sends the request, with the token in the header, as the app would.
    const answer = await page.evaluate(
      async ({ token, ifMatch }) => {
        const response = await fetch('/api/entry?store=0&key=docs/config.json', {
          method: 'DELETE',
          headers: { 'x-stowage-token': token, 'if-match': ifMatch },
        });
        return { status: response.status, body: await response.json() };
      },
      { token, ifMatch: etag },
    );
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'READ_ONLY' } } });
    await page.reload();
    await expect(page.getByTestId('etag').textContent()).resolves.toBe(etag);
    await screenshot(page, 'read-only-entry');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe.skipIf(skip)('the explorer with --write in headless chromium', () => {
  let store: Backend | undefined;
  let backup: Backend | undefined;
  let browser: TestBrowser | undefined;
  let explorer: Explorer | undefined;

  beforeAll(async () => {
    const dir = tempDir('ui-browser-write');
    store = await openBackend(`sqlite:${dir}/write.sqlite`);
    backup = await openBackend(`file:${dir}/backup`);
    await fillCodecs(store);
    await backup.put('docs/config.json', getCodec('json').encode({ older: true }));
    explorer = await startExplorer({ stores: [store, backup], write: true });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await explorer?.close();
      await store?.close();
      await backup?.close();
    }
  });

  it('edits attributes guarded by the ETag, reports a concurrent change, and deletes after confirmation', async () => {
    const { page, problems } = await (browser as TestBrowser).page();
    await page.goto(`${(explorer as Explorer).url}#/entry?key=docs/config.json`);
    await page.getByTestId('attrs-editor').waitFor();
    await page.getByTestId('attrs-editor').fill('{"reviewed": true}');
    await page.getByTestId('save-attrs').click();
    await page.getByTestId('attrs').filter({ hasText: '"reviewed": true' }).waitFor();
    expect((await store?.stat('docs/config.json'))?.attrs).toEqual({ reviewed: true });

    // Another writer changes the entry after the page loaded it: the page's save must not overwrite it.
    const current = await store?.get('docs/config.json');
    await store?.put('docs/config.json', current?.value as Uint8Array, { attrs: { by: 'another writer' } });
    await page.getByTestId('attrs-editor').fill('{"reviewed": false}');
    await page.getByTestId('save-attrs').click();
    await page.getByText('the entry changed since this page loaded it').waitFor();
    expect((await store?.stat('docs/config.json'))?.attrs).toEqual({ by: 'another writer' });
    await screenshot(page, 'write-conflict');

    await page.reload();
    await page.getByTestId('delete').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('keys-table').waitFor();
    expect(await store?.stat('docs/config.json')).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows where keys live in two stores and a dry-run sync that writes nothing', async () => {
    const { page, problems } = await (browser as TestBrowser).page();
    await page.goto(`${(explorer as Explorer).url}#/tiers`);
    const rows = page.getByTestId('tiers-table').locator('tbody tr');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(5);
    await expect(rows.first().textContent()).resolves.toContain('docs/blob');
    await page.getByTestId('dry-run').click();
    await page.getByTestId('sync-diff').filter({ hasText: 'Would copy 4, skip 1' }).waitFor();
    const backupKeys: string[] = [];
    for await (const key of (backup as Backend).keys()) backupKeys.push(key.join('/'));
    expect(backupKeys).toEqual(['docs/config.json']);
    await screenshot(page, 'tiers');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe.skipIf(skip)("the quick start's results in the explorer", () => {
  let browser: TestBrowser | undefined;
  let explorer: Explorer | undefined;

  beforeAll(async () => {
    // npm start, run in a scratch directory: it writes ./.stowage/results.sqlite there.
    const dir = tempDir('ui-quickstart');
    const quickstart = fileURLToPath(new URL('../../examples/quickstart.ts', import.meta.url));
    // tsx by path: `--import tsx` would be resolved from the scratch directory. From there
    // 'stowage' is the package itself (dist/, compiled by the global setup), as users get it.
    const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const run = spawnSync(process.execPath, ['--import', tsx, quickstart], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.status, `${run.signal ?? ''} ${run.error?.message ?? ''} ${run.stderr}`).toBe(0);
    explorer = await startExplorer({ stores: [`sqlite:${dir}/.stowage/results.sqlite`] });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      await explorer?.close();
    }
  });

  it('lists the quick start result and plots its sets', async () => {
    const { page, problems } = await (browser as TestBrowser).page();
    await page.goto(`${(explorer as Explorer).url}#/results`);
    await page.getByRole('link', { name: 'experiments/zdt1' }).click();
    await page.getByTestId('objectives').filter({ hasText: 'f1 (minimize), f2 (minimize)' }).waitFor();
    const scatter = page.getByTestId('scatter');
    await scatter.locator('g[aria-description="non-dominated points"] circle').first().waitFor();
    await expect(scatter.locator('circle').count()).resolves.toBe(2);
    await page.getByRole('button', { name: /population/ }).click();
    await expect.poll(() => scatter.locator('circle').count()).toBe(3);
    await expect(scatter.locator('g[aria-description="non-dominated points"] circle').count()).resolves.toBe(3);
    await screenshot(page, 'quickstart-results');
    expect(problems).toEqual([]);
    await page.close();
  });
});
