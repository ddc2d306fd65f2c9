// npm run bench (full), npm run bench:quick (small sizes). Writes docs/benchmarks.md and
// bench/results.json (full) or bench/results-quick.json (quick); --out DIR redirects both.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement, Size } from './harness.ts';
import { type BenchReport, markdown } from './report.ts';
import * as scenarios from './scenarios.ts';
import { engines, removeScratch, scratch } from './subjects.ts';

const args = process.argv.slice(2);
const size: Size = args.includes('--tiny') ? 'tiny' : args.includes('--quick') ? 'quick' : 'full';
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? (args[outIndex + 1] as string) : undefined;
// --only NAME runs one group of scenarios (engines, large, scale, memoize, cas, tiered,
// contention, streams, sets) for a quick look; its report is written to bench/results-only.json.
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? (args[onlyIndex + 1] as string) : undefined;
const runs = (group: string) => only === undefined || only === group;
// --engine NAME limits the engines group to one engine.
const engineIndex = args.indexOf('--engine');
const engineNames = engineIndex >= 0 ? [args[engineIndex + 1] as string] : undefined;

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

// Scenarios whose figure is a peak RSS measure each engine in a process of its own, so
// they run as child scripts: bench/streams.ts (a 1 GiB value through putStream/getStream)
// and bench/sliced-sets.ts (a 10M x 10 result set saved and sliced). They write
// bench/streams.md and bench/sets.md, which the report includes.
async function memoryScenario(file: string): Promise<void> {
  const flags = size === 'tiny' ? ['--tiny'] : size === 'quick' ? ['--quick'] : [];
  const script = fileURLToPath(new URL(file, import.meta.url));
  const proc = spawn(process.execPath, [...process.execArgv, script, ...flags], { stdio: 'inherit' });
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`bench/${file} exited with ${code}`);
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
// Other work on the machine shows in every figure, so the report says how busy it was.
const loadAtStart = loadavg()[0] as number;
try {
  if (runs('engines')) {
    const all = await engines(engineNames ?? ['memory', 'sqlite', 'fs', 'lmdb', 'postgres', 'mysql', 'redis'], servers);
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
  }
  if (runs('large')) log(await scenarios.largeValue(size));
  if (runs('scale')) {
    const scaleUrls: Record<string, string> = {
      sqlite: `sqlite:${scratch}/scale.sqlite`,
      lmdb: `lmdb:${scratch}/scale-lmdb`,
    };
    if (servers.postgres)
      scaleUrls.postgres = `postgres://postgres@127.0.0.1:5432/test?table=bench_scale_${process.pid}`;
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
  }
  if (runs('memoize')) log(await scenarios.memoizeHit(size));
  if (runs('cas')) log(await scenarios.casPut(size));
  if (runs('tiered')) log(await scenarios.tieredHit(size));
  if (runs('contention')) log(await scenarios.contention(size, engineNames));
  if (runs('streams')) await memoryScenario('./streams.ts');
  if (runs('sets')) await memoryScenario('./sliced-sets.ts');
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
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}; 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] as number).toFixed(1)} at the end`;
const report: BenchReport = {
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
  : only !== undefined
    ? 'bench/results-only.json'
    : size === 'full'
      ? 'bench/results.json'
      : 'bench/results-quick.json';
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
if ((size === 'full' && only === undefined) || outDir) {
  const mdPath = outDir ? join(outDir, 'benchmarks.md') : 'docs/benchmarks.md';
  mkdirSync(dirname(mdPath), { recursive: true });
  writeFileSync(mdPath, markdown(report));
  process.stdout.write(`\nwrote ${mdPath} and ${jsonPath}\n`);
} else {
  process.stdout.write(`\nwrote ${jsonPath}\n`);
}
