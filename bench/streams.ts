// npm run bench:streams (1 GiB per engine) or npm run bench:streams -- --quick (64 MiB);
// --only=fs,sqlite picks engines, --chunk=N sets the chunk size (neither writes the report).
// Streams one large value through putStream and back through getStream on each engine,
// each engine in a fresh process so that its peak RSS above its own baseline is the
// figure, next to a raw file copy of the same bytes. Prints a markdown section and writes
// it to bench/streams.md, which `npm run bench` includes in docs/benchmarks.md.
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { openBackend } from '../src/index.ts';
import { runMeasuringChild } from './measuring-child.ts';

const MiB = 1024 * 1024;
const PIECE = MiB;

interface Row {
  engine: string;
  bytes: number;
  chunkBytes: number;
  putMBs: number;
  getMBs: number;
  baselineMb: number;
  peakAboveMb: number;
  anonAboveMb: number;
  intact: boolean;
}

/** `total` bytes in 1 MiB pieces, made on the fly (never held whole); reports their CRC-32. */
function generate(total: number, sum: { crc: number }): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let at = 0; at < total; at += PIECE) {
      const piece = Buffer.alloc(Math.min(PIECE, total - at), (at / PIECE) % 251);
      piece.writeUInt32BE((at / PIECE) >>> 0, 0);
      sum.crc = crc32(piece, sum.crc);
      yield piece;
    }
  })();
}

function rssMb(): number {
  return process.memoryUsage.rss() / MiB;
}

// Anonymous resident memory (Linux): RSS without file pages mapped by the engine (LMDB
// maps its whole file), i.e. memory the process holds rather than the page cache.
function anonMb(): number {
  try {
    const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : rssMb();
  } catch {
    return rssMb();
  }
}

async function child(engine: string, url: string, total: number, chunkOption: number | undefined): Promise<Row> {
  const gc = (globalThis as { gc?: () => void }).gc;
  let peak = 0;
  let anonPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
    anonPeak = Math.max(anonPeak, anonMb());
  }, 10);
  let putMs: number;
  let getMs: number;
  const written = { crc: 0 };
  let readCrc = 0;
  let readBytes = 0;
  let chunkBytes = 0;
  let cleanup = async () => {};
  if (engine === 'raw file') {
    const file = url;
    gc?.();
    const baseline = rssMb();
    const anonBaseline = anonMb();
    peak = baseline;
    anonPeak = anonBaseline;
    let t = performance.now();
    const out = createWriteStream(file);
    for await (const piece of generate(total, written)) if (!out.write(piece)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    putMs = performance.now() - t;
    t = performance.now();
    for await (const piece of createReadStream(file, { highWaterMark: 4 * MiB })) {
      readCrc = crc32(piece as Buffer, readCrc);
      readBytes += (piece as Buffer).length;
    }
    getMs = performance.now() - t;
    clearInterval(sampler);
    rmSync(file, { force: true });
    return result(
      engine,
      total,
      0,
      putMs,
      getMs,
      baseline,
      peak,
      anonPeak - anonBaseline,
      written.crc === readCrc && readBytes === total,
    );
  }
  const store = await openBackend(url);
  chunkBytes = store.capabilities.chunkBytes ?? Math.min(4 * MiB, store.capabilities.maxValueBytes ?? 4 * MiB);
  cleanup = async () => {
    await store.delete('bench/large').catch(() => undefined);
    await (store as { drop?: () => Promise<void> }).drop?.().catch(() => undefined);
    await store.close();
  };
  // The driver loaded and one round trip made, so the baseline holds what any use needs.
  await store.put('bench/warm', new Uint8Array(16));
  await store.delete('bench/warm');
  gc?.();
  const baseline = rssMb();
  const anonBaseline = anonMb();
  peak = baseline;
  anonPeak = anonBaseline;
  let t = performance.now();
  await store.putStream('bench/large', generate(total, written), chunkOption ? { chunkBytes: chunkOption } : {});
  if (chunkOption) chunkBytes = chunkOption;
  putMs = performance.now() - t;
  t = performance.now();
  const found = await store.getStream('bench/large');
  for await (const part of found?.stream ?? []) {
    readCrc = crc32(part, readCrc);
    readBytes += part.byteLength;
  }
  getMs = performance.now() - t;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb());
  await cleanup();
  return result(
    engine,
    total,
    chunkBytes,
    putMs,
    getMs,
    baseline,
    peak,
    anonPeak - anonBaseline,
    written.crc === readCrc && readBytes === total,
  );
}

function result(
  engine: string,
  bytes: number,
  chunkBytes: number,
  putMs: number,
  getMs: number,
  baseline: number,
  peak: number,
  anonAbove: number,
  intact: boolean,
): Row {
  return {
    engine,
    bytes,
    chunkBytes,
    putMBs: bytes / MiB / (putMs / 1000),
    getMBs: bytes / MiB / (getMs / 1000),
    baselineMb: baseline,
    peakAboveMb: peak - baseline,
    anonAboveMb: anonAbove,
    intact,
  };
}

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

async function runChild(engine: string, url: string, total: number, chunk: number | undefined): Promise<Row> {
  return runMeasuringChild<Row>(fileURLToPath(import.meta.url), engine, [
    engine,
    url,
    `${total}`,
    chunk ? `${chunk}` : '',
  ]);
}

function markdown(rows: Row[], quick: boolean, seconds: number): string {
  const size = rows[0] ? `${Math.round(rows[0].bytes / MiB)} MiB` : '';
  const lines = [
    '## Values larger than memory (putStream / getStream)',
    '',
    `Command: \`npm run bench:streams${quick ? ' -- --quick' : ''}\` · date: ${new Date().toISOString()} · machine: ${cpus().length} cores, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version} · run time ${seconds} s.`,
    '',
    `One ${size} value, made on the fly in 1 MiB pieces, streamed in with \`putStream\` and read back with`,
    '`getStream` (every chunk checksum-verified; the CRC-32 of what was read is compared with what was written).',
    'Each engine runs in a fresh process: "peak RSS above baseline" is the highest resident memory while',
    'streaming minus the memory after opening the store (driver loaded, one round trip). Target: within 64 MB.',
    'The raw file row writes and reads the same bytes with Node file streams, without stowage.',
    '"anonymous" is the same peak for anonymous memory only (Linux RssAnon): RSS also counts file pages',
    'an engine maps (LMDB maps its file), which the kernel reclaims at will.',
    '',
    '| engine | chunk | put MB/s | get MB/s | peak RSS above baseline | anonymous | baseline RSS | intact |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.engine} | ${r.chunkBytes ? `${r.chunkBytes / MiB} MiB` : '-'} | ${r.putMBs.toFixed(0)} | ${r.getMBs.toFixed(0)} | ${r.peakAboveMb.toFixed(0)} MB | ${r.anonAboveMb.toFixed(0)} MB | ${r.baselineMb.toFixed(0)} MB | ${r.intact ? 'yes' : 'NO'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  const row = await child(args[1] as string, args[2] as string, Number(args[3]), args[4] ? Number(args[4]) : undefined);
  process.stdout.write(`${JSON.stringify(row)}\n`);
  process.exit(0);
}

const tiny = args.includes('--tiny'); // 8 MiB, for test/bench-streams.test.ts: keeps the script from rotting
const quick = args.includes('--quick');
const total = tiny ? 8 * MiB : quick ? 64 * MiB : 1024 * MiB;
const chunkArg = args.find((a) => a.startsWith('--chunk='));
const chunk = chunkArg ? Number(chunkArg.slice('--chunk='.length)) : undefined;
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const scratch = mkdtempSync(join(tmpdir(), 'stowage-bench-streams-'));
const tag = `bench_streams_${process.pid}`;
const targets: [string, string][] = [
  ['raw file', join(scratch, 'raw.bin')],
  ['fs', `file:${scratch}/fs`],
  ['sqlite', `sqlite:${scratch}/streams.sqlite`],
  ['lmdb', `lmdb:${scratch}/lmdb`],
];
if (await up(5432)) targets.push(['postgres', `postgres://postgres@127.0.0.1:5432/test?table=${tag}`]);
if (await up(3306)) targets.push(['mariadb', `mysql://root@127.0.0.1:3306/test?table=${tag}`]);
if (await up(6379)) targets.push(['redis', `redis://127.0.0.1:6379/0?prefix=${tag}`]);

// s3rver runs in this process, not in the measured one, so its memory is not counted.
let s3server: { close(): Promise<void> } | undefined;
try {
  // The test suite's s3rver, whose PUT answers only once the object is whole on disk.
  const { startS3rver } = await import('../test/helpers/s3rver.ts');
  const { server, endpoint } = await startS3rver(join(scratch, 's3rver'));
  s3server = server;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  targets.push([
    's3 (s3rver)',
    `s3://bench-streams/${tag}?endpoint=${encodeURIComponent(endpoint)}&conditionalWrites=none`,
  ]);
} catch (error) {
  process.stderr.write(`s3rver not started: ${(error as Error).message}\n`);
}

const started = Date.now();
const rows: Row[] = [];
try {
  for (const [engine, url] of targets) {
    if (only && !only.includes(engine)) continue;
    const row = await runChild(engine, url, total, chunk);
    process.stderr.write(
      `${engine.padEnd(12)} anon +${row.anonAboveMb.toFixed(0)} MB put ${row.putMBs.toFixed(0).padStart(5)} MB/s  get ${row.getMBs.toFixed(0).padStart(5)} MB/s  peak RSS +${row.peakAboveMb.toFixed(0)} MB  ${row.intact ? 'intact' : 'CORRUPT'}\n`,
    );
    rows.push(row);
  }
} finally {
  await s3server?.close();
  rmSync(scratch, { recursive: true, force: true });
}
const section = markdown(rows, quick, Math.round((Date.now() - started) / 1000));
process.stdout.write(section);
if (!only && !chunk && !tiny) writeFileSync(quick ? 'bench/streams-quick.md' : 'bench/streams.md', section);
