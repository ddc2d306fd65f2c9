import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './helpers/temp-dir.ts';

afterAll(removeTempDirs);

// Runs every benchmark scenario at tiny sizes so the harness cannot rot; the numbers
// themselves are never asserted (speed is reported by `npm run bench`, not tested).
it('runs every benchmark scenario and writes its report', () => {
  const out = tempDir('bench');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../bench/run.ts', import.meta.url)), '--tiny', '--out', out],
    {
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^ratio_vs_raw sqlite get \(hit\): \d+\.\d+x/m);
  expect(run.stdout).toMatch(/^ratio_vs_keyv memory get \(hit\)/m);
  const report = JSON.parse(readFileSync(`${out}/results.json`, 'utf8'));
  const scenarios = new Set(report.results.map((r: { scenario: string }) => r.scenario.replace(/[\d.,]+/g, 'N')));
  for (const expected of [
    'get (hit)',
    'get (miss)',
    'set',
    'set with ifMatch',
    'N keys: batch vs single calls',
    'list N keys under a prefix',
    'N MB value',
    'get latency vs store size',
    'memoize hit',
    'CAS put of N MB',
    'cache hit',
    'N processes x N puts',
    'N readers + N writer',
    'list N keys under a prefix (keys only)',
  ]) {
    expect(scenarios).toContain(expected);
  }
  expect(readFileSync(`${out}/benchmarks.md`, 'utf8')).toContain(
    '| subject | ops/s | p50 µs | p99 µs | ratio | note |',
  );
}, 300_000);
