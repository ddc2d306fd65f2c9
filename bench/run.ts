// npm run bench (full), npm run bench:quick (small sizes). Writes docs/benchmarks.md and
// bench/results.json (full) or bench/results-quick.json (quick); --out DIR redirects both.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Measurement, Size } from './harness.ts';
import * as scenarios from './scenarios.ts';
import { engines, removeScratch, scratch } from './subjects.ts';

const args = process.argv.slice(2);
const size: Size = args.includes('--tiny') ? 'tiny' : args.includes('--quick') ? 'quick' : 'full';
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? (args[outIndex + 1] as string) : undefined;

function up(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const servers = { postgres: await up(5432), mysql: await up(3306), redis: await up(6379) };
const results: Measurement[] = [];
const log = (m: Measurement[]) => {
  for (const r of m) {
    process.stdout.write(
      `${r.scenario.padEnd(34)} ${r.engine.padEnd(9)} ${r.subject.padEnd(28)} ${Math.round(r.opsPerSec).toString().padStart(9)} ops/s  p50 ${r.p50Us.toFixed(1).padStart(9)} us  p99 ${r.p99Us.toFixed(1).padStart(9)} us${r.note ? `  (${r.note})` : ''}\n`,
    );
  }
  results.push(...m);
};

const started = Date.now();
try {
  const all = await engines(['memory', 'sqlite', 'fs', 'lmdb', 'postgres', 'mysql', 'redis'], servers);
  for (const engine of all) {
    log(await scenarios.singleOps(size, engine));
    log(await scenarios.conditionalSet(size, engine));
    log(await scenarios.batches(size, engine));
    log(await scenarios.listing(size, engine));
  }
  for (const engine of all) {
    await engine.stowage.close();
    for (const p of engine.peers) await p.close();
    await engine.raw.close();
  }
  log(await scenarios.largeValue(size));
  const scaleUrls: Record<string, string> = {
    sqlite: `sqlite:${scratch}/scale.sqlite`,
    lmdb: `lmdb:${scratch}/scale-lmdb`,
  };
  if (servers.postgres) scaleUrls.postgres = `postgres://postgres@127.0.0.1:5432/test?table=bench_scale_${process.pid}`;
  log(await scenarios.scale(size, scaleUrls));
  if (servers.postgres) {
    const { openBackend } = await import('../src/index.ts');
    const pg = (await openBackend(scaleUrls.postgres as string)) as unknown as {
      drop(): Promise<void>;
      close(): Promise<void>;
    };
    await pg.drop();
    await pg.close();
  }
  log(await scenarios.memoizeHit(size));
  log(await scenarios.casPut(size));
  log(await scenarios.tieredHit(size));
} finally {
  removeScratch();
}

// Ratios: stowage against every other subject measured for the same scenario and engine.
interface Ratio {
  scenario: string;
  engine: string;
  against: string;
  ratio: number;
}
const ratios: Ratio[] = [];
const groups = new Map<string, Measurement[]>();
for (const r of results) {
  const g = `${r.scenario}|${r.engine}`;
  groups.set(g, [...(groups.get(g) ?? []), r]);
}
for (const rows of groups.values()) {
  const ours = rows.find((r) => r.subject === 'stowage' || r.subject === 'stowage (no fsync)');
  if (!ours) continue;
  for (const other of rows) {
    if (other === ours) continue;
    ratios.push({
      scenario: ours.scenario,
      engine: ours.engine,
      against: other.subject,
      ratio: ours.opsPerSec / other.opsPerSec,
    });
  }
}
process.stdout.write('\n');
for (const r of ratios) {
  const kind = r.against.startsWith('raw') ? 'raw' : (r.against.split(' ')[0] as string).replace(/[^a-z0-9]+/gi, '_');
  process.stdout.write(`ratio_vs_${kind} ${r.engine} ${r.scenario}: ${r.ratio.toFixed(2)}x (${r.against})\n`);
}

const command =
  size === 'full' ? 'npm run bench' : size === 'quick' ? 'npm run bench:quick' : 'npm run bench -- --tiny';
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const report = {
  command,
  date: new Date().toISOString(),
  machine,
  size,
  seconds: Math.round((Date.now() - started) / 1000),
  servers,
  results,
  ratios,
};
const jsonPath = outDir
  ? join(outDir, 'results.json')
  : size === 'full'
    ? 'bench/results.json'
    : 'bench/results-quick.json';
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
if (size === 'full' || outDir) {
  const mdPath = outDir ? join(outDir, 'benchmarks.md') : 'docs/benchmarks.md';
  mkdirSync(dirname(mdPath), { recursive: true });
  writeFileSync(mdPath, markdown(report));
  process.stdout.write(`\nwrote ${mdPath} and ${jsonPath}\n`);
} else {
  process.stdout.write(`\nwrote ${jsonPath}\n`);
}

function markdown(r: typeof report): string {
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
  // The hand-written reading of the figures lives apart, so regenerating keeps it.
  if (existsSync('bench/analysis.md') && r.size === 'full')
    lines.push(readFileSync('bench/analysis.md', 'utf8').trim(), '');
  // Large values are measured by their own script (bench/streams.ts, a process per engine).
  if (existsSync('bench/streams.md') && r.size === 'full')
    lines.push(readFileSync('bench/streams.md', 'utf8').trim(), '');
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
