// npm run bench:sets (10,000,000 rows x 10 float64 columns) or -- --quick (1,000,000 rows);
// --tiny (20,000 rows) keeps the script from rotting in the tests.
// Saves one result set in the `columns` format and reads a slice of it back, each engine in
// a fresh process, and reports the peak RSS above the process's memory once the columns
// exist (the input is 800 MB at full size: what counts is what saving and slicing add).
// Prints a markdown section and writes it to bench/sets.md, which the report includes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OptimizationResult, openBackend, ResultSet } from '../src/index.ts';
import { ResultStore } from '../src/results/index.ts';
import { runMeasuringChild } from './measuring-child.ts';

const MiB = 1024 * 1024;
const COLUMNS = 10;

interface Row {
  engine: string;
  rows: number;
  saveMs: number;
  savePeakAboveMb: number;
  sliceRows: number;
  sliceMs: number;
  slicePeakAboveMb: number;
  intact: boolean;
}

function rssMb(): number {
  return process.memoryUsage.rss() / MiB;
}

async function child(engine: string, url: string, rows: number): Promise<Row> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const columns: Record<string, Float64Array> = {};
  for (let c = 0; c < COLUMNS; c++) columns[`c${c}`] = new Float64Array(rows).map((_, i) => i * COLUMNS + c);
  const store = new ResultStore({ backend: await openBackend(url), format: 'columns' });
  await store.save('warm', new OptimizationResult({ id: 'warm' }));
  gc?.();
  let peak = rssMb();
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 10);
  try {
    const baseline = rssMb();
    peak = baseline;
    let t = performance.now();
    const result = new OptimizationResult({ id: 'big', sets: [new ResultSet('points', columns)] });
    await store.save('big', result);
    const saveMs = performance.now() - t;
    const savePeak = Math.max(peak, rssMb()) - baseline;
    gc?.();
    const sliceBaseline = rssMb();
    peak = sliceBaseline;
    const from = Math.floor(rows / 2);
    const sliceRows = Math.min(100_000, rows - from);
    t = performance.now();
    const slice = await store.loadSet('big', 'points', { columns: ['c3', 'c7'], rows: [from, from + sliceRows] });
    const sliceMs = performance.now() - t;
    const slicePeak = Math.max(peak, rssMb()) - sliceBaseline;
    const c3 = slice.column('c3') as Float64Array;
    const c7 = slice.column('c7') as Float64Array;
    const intact =
      slice.nPoints === sliceRows &&
      c3.every((v, i) => v === (from + i) * COLUMNS + 3) &&
      c7.every((v, i) => v === (from + i) * COLUMNS + 7);
    return {
      engine,
      rows,
      saveMs,
      savePeakAboveMb: savePeak,
      sliceRows,
      sliceMs,
      slicePeakAboveMb: slicePeak,
      intact,
    };
  } finally {
    clearInterval(sampler);
    await store.clear().catch(() => undefined);
    await (store.backend as { drop?: () => Promise<void> }).drop?.().catch(() => undefined);
    await store.backend.close();
  }
}

async function runChild(engine: string, url: string, rows: number): Promise<Row> {
  return runMeasuringChild<Row>(fileURLToPath(import.meta.url), engine, [engine, url, `${rows}`]);
}

function markdown(rows: Row[], command: string, seconds: number): string {
  const n = rows[0]?.rows ?? 0;
  const lines = [
    '## A large result set: save whole, read a slice (ResultStore, `columns` format)',
    '',
    `Command: \`${command}\` · date: ${new Date().toISOString()} · machine: ${cpus().length} cores, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version} · run time ${seconds} s.`,
    '',
    `One set of ${n.toLocaleString('en')} rows x ${COLUMNS} float64 columns (${Math.round((n * COLUMNS * 8) / MiB)} MiB) saved with`,
    '`ResultStore.save`, then `loadSet(key, set, { columns: [2 of them], rows: [middle, +100,000] })`. Each',
    'engine runs in a fresh process; "above" is the peak RSS minus the RSS once the columns exist (save)',
    'or once the save is done (slice): the memory that saving and slicing add to the data itself.',
    '',
    '| engine | save | save: peak RSS above | slice rows | slice | slice: peak RSS above | intact |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.engine} | ${(r.saveMs / 1000).toFixed(1)} s | ${r.savePeakAboveMb.toFixed(0)} MB | ${r.sliceRows.toLocaleString('en')} | ${r.sliceMs.toFixed(0)} ms | ${r.slicePeakAboveMb.toFixed(0)} MB | ${r.intact ? 'yes' : 'NO'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  const row = await child(args[1] as string, args[2] as string, Number(args[3]));
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.exit(0);
}

const tiny = args.includes('--tiny');
const quick = args.includes('--quick');
const rows = tiny ? 20_000 : quick ? 1_000_000 : 10_000_000;
const scratch = mkdtempSync(join(tmpdir(), 'stowage-bench-sets-'));
const targets: [string, string][] = [
  ['sqlite', `sqlite:${scratch}/sets.sqlite`],
  ['fs', `file:${scratch}/fs`],
  ['lmdb', `lmdb:${scratch}/lmdb`],
];
const started = Date.now();
const results: Row[] = [];
try {
  for (const [engine, url] of targets) {
    const row = await runChild(engine, url, rows);
    process.stderr.write(
      `${engine.padEnd(8)} save ${(row.saveMs / 1000).toFixed(1)} s (+${row.savePeakAboveMb.toFixed(0)} MB)  slice ${row.sliceMs.toFixed(0)} ms (+${row.slicePeakAboveMb.toFixed(0)} MB)  ${row.intact ? 'intact' : 'WRONG'}\n`,
    );
    results.push(row);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const command = `npm run bench:sets${quick ? ' -- --quick' : tiny ? ' -- --tiny' : ''}`;
const section = markdown(results, command, Math.round((Date.now() - started) / 1000));
process.stdout.write(section);
if (!tiny) writeFileSync(quick ? 'bench/sets-quick.md' : 'bench/sets.md', section);
if (results.some((r) => !r.intact)) process.exitCode = 1;
