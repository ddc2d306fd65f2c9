// The markdown of a bench run. `npm run bench:report` rewrites docs/benchmarks.md from
// bench/results.json (after editing bench/analysis.md, without measuring again).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Measurement, Size } from './harness.ts';
import { targetsTable } from './targets.ts';

/** What `npm run bench` writes to bench/results.json. */
export interface BenchReport {
  command: string;
  date: string;
  machine: string;
  size: Size;
  seconds: number;
  servers: { postgres: boolean; mysql: boolean; redis: boolean };
  results: Measurement[];
  ratios: { scenario: string; engine: string; against: string; ratio: number }[];
}

/** docs/benchmarks.md for `r`: the hand-written reading (full runs), then one table per scenario and engine. */
export function markdown(r: BenchReport): string {
  const groups = new Map<string, Measurement[]>();
  for (const m of r.results) {
    const g = `${m.scenario}|${m.engine}`;
    groups.set(g, [...(groups.get(g) ?? []), m]);
  }
  const lines = [
    '# Benchmarks',
    '',
    `Command: \`${r.command}\` · date: ${r.date} · machine: ${r.machine} · run time ${r.seconds} s.`,
    `Servers reached: PostgreSQL ${r.servers.postgres ? 'yes' : 'no'}, MariaDB ${r.servers.mysql ? 'yes' : 'no'}, Redis ${r.servers.redis ? 'yes' : 'no'} (all on 127.0.0.1).`,
    '',
    'Values are 1 KB JSON objects unless a scenario says otherwise; every subject does the same work in the same run.',
    '`ratio` is stowage ops/s divided by that subject’s ops/s (above 1: stowage is faster).',
    '',
  ];
  if (r.size === 'full')
    lines.push('## Performance targets (issue 18), computed from this run', '', targetsTable(r.results), '');
  // The hand-written reading of the figures lives apart, so regenerating keeps it.
  if (existsSync('bench/analysis.md') && r.size === 'full')
    lines.push(readFileSync('bench/analysis.md', 'utf8').trim(), '');
  // Large values and large sets are measured by their own scripts (bench/streams.ts,
  // bench/sliced-sets.ts: a process per engine), which `npm run bench` runs last.
  if (existsSync('bench/streams.md') && r.size === 'full')
    lines.push(readFileSync('bench/streams.md', 'utf8').trim(), '');
  if (existsSync('bench/sets.md') && r.size === 'full') lines.push(readFileSync('bench/sets.md', 'utf8').trim(), '');
  for (const rows of groups.values()) {
    const first = rows[0] as Measurement;
    lines.push(
      `## ${first.scenario} — ${first.engine}`,
      '',
      '| subject | ops/s | p50 µs | p99 µs | ratio | note |',
      '|---|---:|---:|---:|---:|---|',
    );
    for (const m of rows) {
      const ratio = r.ratios.find((x) => x.scenario === m.scenario && x.engine === m.engine && x.against === m.subject);
      lines.push(
        `| ${m.subject} | ${Math.round(m.opsPerSec).toLocaleString('en')} | ${m.p50Us.toFixed(1)} | ${m.p99Us.toFixed(1)} | ${ratio ? `${ratio.ratio.toFixed(2)}x` : ''} | ${m.note ?? ''} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchReport;
  writeFileSync('docs/benchmarks.md', markdown(report));
  process.stdout.write('wrote docs/benchmarks.md from bench/results.json\n');
}
