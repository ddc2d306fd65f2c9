import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open as openLmdb } from 'lmdb';
import { LRUCache } from 'lru-cache';
import { MemoryBackend } from '../src/backends/memory.ts';
import { createMemoStore } from '../src/entries/cas.ts';
import { memoize, openBackend, TieredBackend, ValueStore } from '../src/index.ts';
import { type Measurement, measure, peakRssMb, type Size, sampleValue } from './harness.ts';
import { type Engine, openRawSqlite, scratch } from './subjects.ts';

const KEYS: Record<Size, number> = { full: 2000, quick: 500, tiny: 20 };

/** get (hit), get (miss) and set of 1 KB JSON values on every subject of an engine. */
export async function singleOps(size: Size, engine: Engine): Promise<Measurement[]> {
  const n = KEYS[size];
  const subjects = [engine.stowage, ...engine.peers, engine.raw];
  for (const s of subjects) for (let i = 0; i < n; i++) await s.set(`k${i}`, sampleValue(i));
  const out: Measurement[] = [];
  for (const op of ['get (hit)', 'get (miss)', 'set'] as const) {
    const tasks: Record<string, () => Promise<unknown>> = {};
    for (const s of subjects) {
      let i = 0;
      tasks[s.name] =
        op === 'get (hit)'
          ? () => s.get(`k${i++ % n}`)
          : op === 'get (miss)'
            ? () => s.get(`missing${i++ % n}`)
            : () => s.set(`k${i++ % n}`, sampleValue(i));
    }
    out.push(...(await measure(size, op, engine.name, tasks)));
  }
  return out;
}

/** Compare-and-swap writes: stowage `ifMatch` vs the raw driver's `UPDATE ... WHERE etag = ?`. */
export async function conditionalSet(size: Size, engine: Engine): Promise<Measurement[]> {
  if (engine.name !== 'sqlite') return [];
  const backend = engine.stowage.backend;
  let etag = (await backend.put('cas-key', new TextEncoder().encode(JSON.stringify(sampleValue(0))))).etag;
  const { db, name: rawName } = await openRawSqlite(join(scratch, 'raw-cas.sqlite'));
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT, etag INTEGER)');
  db.prepare("INSERT OR REPLACE INTO kv VALUES ('cas-key', '{}', 0)").run();
  const update = db.prepare('UPDATE kv SET value = ?, etag = etag + 1 WHERE key = ? AND etag = ?');
  let version = 0;
  let i = 0;
  const result = await measure(size, 'set with ifMatch', engine.name, {
    stowage: async () => {
      etag = (
        await backend.put('cas-key', new TextEncoder().encode(JSON.stringify(sampleValue(i++))), { ifMatch: etag })
      ).etag;
    },
    [rawName]: async () => {
      if (update.run(JSON.stringify(sampleValue(i++)), 'cas-key', version).changes !== 1) throw new Error('lost');
      version++;
    },
  });
  db.close();
  return result;
}

/** 1,000 keys in one getMany / putMany against 1,000 single calls. */
export async function batches(size: Size, engine: Engine): Promise<Measurement[]> {
  const n = size === 'tiny' ? 20 : 1000;
  const backend = engine.stowage.backend;
  const keys = Array.from({ length: n }, (_, i) => `batch/${i}`);
  const values = keys.map((_, i) => new TextEncoder().encode(JSON.stringify(sampleValue(i))));
  await backend.putMany(keys.map((key, i) => ({ key, value: values[i] as Uint8Array })));
  const out = await measure(size, `${n} keys: batch vs single calls`, engine.name, {
    [`getMany(${n})`]: () => backend.getMany(keys),
    [`${n} x get`]: async () => {
      for (const k of keys) await backend.get(k);
    },
    [`putMany(${n})`]: () => backend.putMany(keys.map((key, i) => ({ key, value: values[i] as Uint8Array }))),
    [`${n} x put`]: async () => {
      for (const [i, k] of keys.entries()) await backend.put(k, values[i] as Uint8Array);
    },
  });
  return out;
}

/** Listing every key under a prefix. */
export async function listing(size: Size, engine: Engine): Promise<Measurement[]> {
  const n = size === 'full' ? 10_000 : size === 'quick' ? 2000 : 50;
  const backend = engine.stowage.backend;
  const value = new TextEncoder().encode(JSON.stringify(sampleValue(1)));
  for (let i = 0; i < n; i += 500) {
    await backend.putMany(
      Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
        key: `list/${String(i + j).padStart(6, '0')}`,
        value,
      })),
    );
  }
  const tasks: Record<string, () => Promise<unknown>> = {
    stowage: async () => {
      let c = 0;
      for await (const _ of backend.list('list')) c++;
      if (c !== n) throw new Error(`listed ${c} of ${n}`);
    },
  };
  if (engine.name === 'sqlite') {
    const { db, name } = await openRawSqlite(join(scratch, 'stowage.sqlite'));
    const stmt = db.prepare(
      "SELECT key, etag, size, checksum, created_at, modified_at, attrs FROM stowage WHERE key >= 'list/' AND key < 'list0' ORDER BY key",
    );
    tasks[name] = async () => stmt.all();
  }
  if (engine.name === 'lmdb') {
    // The same records, read raw (no header decoded).
    const raw = openLmdb({ path: join(scratch, 'stowage-lmdb'), maxDbs: 4, readOnly: true });
    const records = raw.openDB({ name: 'records', encoding: 'binary' });
    tasks['raw lmdb-js'] = async () => [...records.getRange({ start: 'list/', end: 'list0' })];
  }
  const out = await measure(size, `list ${n} keys under a prefix`, engine.name, tasks);
  // Keys alone, against the engine's cheapest way to name them (fs: a recursive readdir).
  const keyTasks: Record<string, () => Promise<unknown>> = {
    stowage: async () => {
      let c = 0;
      for await (const _ of backend.keys('list')) c++;
      if (c !== n) throw new Error(`listed ${c} of ${n} keys`);
    },
  };
  if (engine.name === 'fs') {
    const dir = join(scratch, 'stowage-fs', 'list');
    keyTasks['raw recursive readdir'] = async () => {
      const names = await readdir(dir, { recursive: true });
      if (names.length < n) throw new Error(`read ${names.length} of ${n} names`);
    };
  }
  out.push(...(await measure(size, `list ${n} keys under a prefix (keys only)`, engine.name, keyTasks)));
  return out;
}

/** One large value written and read back whole (fs and sqlite), with peak RSS. */
export async function largeValue(size: Size): Promise<Measurement[]> {
  const mb = size === 'full' ? 100 : size === 'quick' ? 8 : 0.0625;
  const bytes = new Uint8Array(Math.round(mb * 1024 * 1024)).map((_, i) => (i * 2654435761) & 0xff);
  const out: Measurement[] = [];
  const quick = size === 'tiny' ? 'tiny' : 'quick';
  for (const [engine, url] of [
    ['fs', `file:${scratch}/large-fs`],
    ['sqlite', `sqlite:${scratch}/large.sqlite`],
  ] as const) {
    const store = await openBackend(url);
    await store.put('large', bytes);
    const rawFile = join(scratch, 'large.raw');
    const { db, name: rawSqliteName } = await openRawSqlite(join(scratch, 'large-raw.sqlite'));
    db.exec('CREATE TABLE IF NOT EXISTS b (k TEXT PRIMARY KEY, v BLOB)');
    db.prepare('INSERT OR REPLACE INTO b VALUES (?, ?)').run('large', bytes);
    const raw =
      engine === 'fs'
        ? { put: () => writeFile(rawFile, bytes), get: () => readFile(rawFile), name: 'raw fs' }
        : {
            put: async () => db.prepare('INSERT OR REPLACE INTO b VALUES (?, ?)').run('large', bytes),
            get: async () => db.prepare('SELECT v FROM b WHERE k = ?').get('large'),
            name: rawSqliteName,
          };
    const rows = await measure(quick, `${mb} MB value`, engine, {
      'stowage put': () => store.put('large', bytes),
      'stowage get': () => store.get('large'),
      [`${raw.name} put`]: raw.put,
      [`${raw.name} get`]: raw.get,
    });
    for (const r of rows) r.note = `peak RSS ${peakRssMb()} MB`;
    out.push(...rows);
    db.close();
    await store.close();
  }
  return out;
}

/** Per-operation get latency as the store grows. */
export async function scale(size: Size, urls: Record<string, string>): Promise<Measurement[]> {
  const steps = size === 'full' ? [1000, 100_000, 1_000_000] : size === 'quick' ? [1000, 20_000] : [100, 500];
  const out: Measurement[] = [];
  const value = new TextEncoder().encode(JSON.stringify(sampleValue(7)));
  for (const [engine, url] of Object.entries(urls)) {
    const store = await openBackend(url);
    // LMDB's growth is measured on raw lmdb-js too (same keys, same value), so the part
    // that is the engine's shows.
    const raw = engine === 'lmdb' ? openLmdb({ path: join(scratch, 'scale-raw-lmdb'), encoding: 'binary' }) : undefined;
    let filled = 0;
    for (const target of steps) {
      for (; filled < target; filled += 1000) {
        const batch = Array.from({ length: Math.min(1000, target - filled) }, (_, j) => ({
          key: `s/${((filled + j) * 7919) % 10_000_019}`,
          value,
        }));
        await store.putMany(batch);
        if (raw) {
          await raw.transaction(() => {
            for (const { key } of batch) raw.put(key, Buffer.from(value));
          });
        }
      }
      let i = 0;
      let r = 0;
      const tasks: Record<string, () => unknown> = {
        [`get @ ${target.toLocaleString('en')} keys`]: () => store.get(`s/${((i++ % target) * 7919) % 10_000_019}`),
      };
      if (raw) {
        tasks[`raw lmdb-js get @ ${target.toLocaleString('en')} keys`] = async () =>
          raw.getBinary(`s/${((r++ % target) * 7919) % 10_000_019}`);
      }
      const rows = await measure(size === 'tiny' ? 'tiny' : 'quick', 'get latency vs store size', engine, tasks);
      for (const r of rows) r.note = `peak RSS ${peakRssMb()} MB`;
      out.push(...rows);
    }
    await store.clear('s');
    await store.close();
    await raw?.close();
  }
  return out;
}

/** A memoised call that hits, against reading the same value from the raw driver. */
export async function memoizeHit(size: Size): Promise<Measurement[]> {
  const backend = await openBackend(`sqlite:${scratch}/memo.sqlite`);
  const store = createMemoStore(backend);
  const f = memoize(async (x: number) => sampleValue(x), { store, name: 'f', params: ['x'] });
  await f(1);
  const { db, name: rawName } = await openRawSqlite(join(scratch, 'memo-raw.sqlite'));
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)');
  db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?)').run('f(1)', JSON.stringify(sampleValue(1)));
  const get = db.prepare('SELECT value FROM kv WHERE key = ?');
  const rows = await measure(size, 'memoize hit', 'sqlite', {
    'memoized call (hit)': () => f(1),
    [`${rawName} get`]: async () => JSON.parse((get.get('f(1)') as { value: string }).value),
  });
  db.close();
  await backend.close();
  // On memory the target is absolute (a few µs): the same call against a Map of JSON text.
  const memoryStore = createMemoStore(new MemoryBackend());
  const g = memoize(async (x: number) => sampleValue(x), { store: memoryStore, name: 'g', params: ['x'] });
  await g(1);
  const map = new Map([['g(1)', JSON.stringify(sampleValue(1))]]);
  rows.push(
    ...(await measure(size, 'memoize hit', 'memory', {
      'memoized call (hit)': () => g(1),
      'raw Map get': async () => JSON.parse(map.get('g(1)') as string),
    })),
  );
  return rows;
}

/** Content-addressed put and get of a large typed array against hashing its bytes. */
export async function casPut(size: Size): Promise<Measurement[]> {
  const mb = size === 'full' ? 100 : size === 'quick' ? 8 : 0.0625;
  const array = new Float64Array(Math.round((mb * 1024 * 1024) / 8)).map((_, i) => Math.sin(i));
  const bytes = new Uint8Array(array.buffer);
  let n = 0;
  const rows = await measure(size === 'tiny' ? 'tiny' : 'quick', `CAS put of ${mb} MB`, 'memory', {
    'ValueStore.put': async () => {
      array[0] = n++;
      return new ValueStore({ backend: new MemoryBackend() }).put(array);
    },
    'raw sha256': async () => createHash('sha256').update(bytes).digest('hex'),
    // What a store that keeps its own copy cannot go below: the hash and a copy into new memory.
    'raw copy + sha256': async () => createHash('sha256').update(bytes.slice()).digest('hex'),
  });
  // Reading it back verifies its digest: against copying the bytes out and hashing them.
  const store = new ValueStore({ backend: new MemoryBackend() });
  const digest = await store.put(array);
  rows.push(
    ...(await measure(size === 'tiny' ? 'tiny' : 'quick', `CAS get of ${mb} MB`, 'memory', {
      'ValueStore.get': () => store.get(digest),
      'raw copy + sha256': async () => createHash('sha256').update(bytes.slice()).digest('hex'),
    })),
  );
  for (const r of rows) r.note = `peak RSS ${peakRssMb()} MB`;
  return rows;
}

/** A hit in the tiered cache against an lru-cache get. */
export async function tieredHit(size: Size): Promise<Measurement[]> {
  const tiered = new TieredBackend({
    primary: await openBackend(`sqlite:${scratch}/tiered.sqlite`),
    cache: { maxBytes: 64 << 20 },
  });
  const value = new TextEncoder().encode(JSON.stringify(sampleValue(3)));
  const lru = new LRUCache<string, Uint8Array>({ max: 10_000 });
  for (let i = 0; i < 1000; i++) {
    await tiered.put(`t/${i}`, value);
    lru.set(`t/${i}`, value);
  }
  let i = 0;
  const rows = await measure(size, 'cache hit', 'tiered', {
    'TieredBackend.get (cache hit)': () => tiered.get(`t/${i++ % 1000}`),
    'lru-cache get': async () => lru.get(`t/${i++ % 1000}`),
  });
  await tiered.close();
  return rows;
}

interface WorkerHandle {
  ready: Promise<void>;
  done: Promise<number[]>;
  send(message: string): void;
}

function startWorker(args: string[]): WorkerHandle {
  const child = fork(fileURLToPath(new URL('./contention-worker.ts', import.meta.url)), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let readyResolve = () => {};
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  const done = new Promise<number[]>((resolve, reject) => {
    let latencies: number[] | undefined;
    child.on('message', (m) => {
      if (m === 'ready') readyResolve();
      else latencies = (m as { latencies: number[] }).latencies;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && latencies) resolve(latencies);
      else reject(new Error(`contention worker ${args.join(' ')} exited with ${code}`));
    });
  });
  return { ready, done, send: (message) => child.send(message) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function latencyRow(
  scenario: string,
  engine: string,
  subject: string,
  latencies: number[],
  seconds: number,
  note: string,
): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  const worst = sorted[sorted.length - 1] ?? 0;
  return {
    scenario,
    engine,
    subject,
    opsPerSec: latencies.length / seconds,
    p50Us: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    maxUs: worst,
    note: `worst ${(worst / 1000).toFixed(1)} ms${note ? `; ${note}` : ''}`,
  };
}

/**
 * Several processes on one store: 8 writers x 500 distinct 1 KB puts, every put timed
 * (worst, p99) and every write read back afterwards; then 8 readers timed while one
 * writer puts. Each process is a child started with `--import tsx`.
 */
export async function contention(size: Size, only?: readonly string[]): Promise<Measurement[]> {
  const writers = size === 'tiny' ? 2 : 8;
  const puts = size === 'full' ? 500 : size === 'quick' ? 200 : 20;
  const out: Measurement[] = [];
  for (const [engine, url] of [
    ['sqlite', `sqlite:${scratch}/contention.sqlite`],
    ['fs', `file:${scratch}/contention-fs`],
    ['lmdb', `lmdb:${scratch}/contention-lmdb`],
  ] as const) {
    if (only && !only.includes(engine)) continue;
    const store = await openBackend(url);
    const workers = Array.from({ length: writers }, (_, w) => startWorker([url, 'writer', String(w), String(puts)]));
    await Promise.all(workers.map((w) => w.ready));
    const started = performance.now();
    for (const w of workers) w.send('go');
    const latencies = (await Promise.all(workers.map((w) => w.done))).flat();
    const seconds = (performance.now() - started) / 1000;
    const keys = Array.from({ length: writers * puts }, (_, i) => `c/${Math.floor(i / puts)}/${i % puts}`);
    const present = (await store.getMany(keys)).filter((hit) => hit !== undefined).length;
    out.push(
      latencyRow(
        `${writers} processes x ${puts} puts`,
        engine,
        'stowage put',
        latencies,
        seconds,
        `${present} of ${keys.length} present after`,
      ),
    );

    // Readers against one writer: the readers' latencies are what is reported.
    const readKeys = 200;
    await store.putMany(
      Array.from({ length: readKeys }, (_, i) => ({
        key: `r/${i}`,
        value: new TextEncoder().encode(JSON.stringify(sampleValue(i))),
      })),
    );
    const readers = Array.from({ length: writers }, (_, r) =>
      startWorker([url, 'reader', String(r), String(readKeys)]),
    );
    const writer = startWorker([url, 'writer', 'w', String(puts)]);
    await Promise.all([...readers, writer].map((w) => w.ready));
    const readStart = performance.now();
    for (const w of [...readers, writer]) w.send('go');
    const written = await writer.done;
    for (const r of readers) r.send('stop');
    const readLatencies = (await Promise.all(readers.map((r) => r.done))).flat();
    const readSeconds = (performance.now() - readStart) / 1000;
    out.push(
      latencyRow(`${writers} readers + 1 writer`, engine, 'stowage get', readLatencies, readSeconds, ''),
      latencyRow(`${writers} readers + 1 writer`, engine, 'stowage put (the writer)', written, readSeconds, ''),
    );
    await store.close();
  }
  return out;
}
