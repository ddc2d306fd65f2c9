// Point 4 of issue 21: SIGKILL in the layers. Worker processes (crash-layer-worker.ts) run
// a layer's operation in a loop and are killed at random moments; the store is then opened
// here and checked against what the layer promises.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore, createMemoStore, memoize, ValueStore } from '../../src/cas/index.ts';
import { PersiDict } from '../../src/dict/index.ts';
import { type Backend, type BackendConfig, openBackend } from '../../src/index.ts';
import { ResultStore } from '../../src/results/index.ts';
import type { TieredBackend } from '../../src/tiered/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { checkResult, memoResult, poolValue, setCountOf } from './crash-layer-values.ts';
import { checkValue } from './crash-values.ts';
import { FULL, recordFigure, size } from './figures.ts';
import { runAndKill } from './kill-at-random.ts';

afterAll(removeTempDirs);

const AREA = 'Crash safety in the layers (SIGKILL)';
const WORKER = fileURLToPath(new URL('./crash-layer-worker.ts', import.meta.url));
const RESULT_KILLS = size(25, 1);
const DICT_ROUNDS = size(10, 1);
const MEMO_ROUNDS = size(8, 1);
const GC_ROUNDS = size(6, 1);
const TIERED_KILLS = size(25, 1);
const LEASE_MS = 1000;
const GRACE_MS = 1000;
const between = (low: number, high: number) => () => low + Math.random() * (high - low);

interface Target {
  name: string;
  skip?: string | undefined;
  config(): BackendConfig;
  // A local store of another kind, the secondary of the tiered scenario.
  other(): BackendConfig;
}

// PostgreSQL runs at full size only: at the reduced size the suite stays short.
const pg = FULL ? await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432) : 'PostgreSQL: full size only';
const sqliteConfig = (): BackendConfig => ({ type: 'sqlite', path: `${tempDir('crash-layers-sqlite')}/s.sqlite` });
// No fsync: a killed process leaves its writes in the page cache (fsync is for power loss).
const fsConfig = (): BackendConfig => ({ type: 'fs', root: tempDir('crash-layers-fs'), fsync: false });
const targets: Target[] = [
  { name: 'sqlite', config: sqliteConfig, other: fsConfig },
  { name: 'fs', config: fsConfig, other: sqliteConfig },
  {
    name: 'postgres',
    skip: pg,
    config: () => ({
      type: 'postgres',
      host: '127.0.0.1',
      user: 'postgres',
      database: 'test',
      table: uniqueName('crash'),
    }),
    other: fsConfig,
  },
];

// Runs `check` on a fresh store of the target's kind; a server table is dropped afterwards, also on failure.
async function onFreshStore(target: Target, check: (config: BackendConfig) => Promise<void>): Promise<void> {
  const config = target.config();
  try {
    await check(config);
  } finally {
    if (config.type === 'postgres') {
      const store = (await openBackend(config)) as Backend & { drop(): Promise<void> };
      await store.drop();
      await store.close();
    }
  }
}

async function withBackend<T>(config: BackendConfig, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = await openBackend(config);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

const logDir = tempDir('crash-layers-logs');
let logs = 0;

/** Runs a scenario's worker until its kill; resolves what it logged (`log`: a log shared with others). */
async function killWorker(
  scenario: string,
  config: BackendConfig | object,
  args: readonly string[],
  killAfterMs?: () => number,
  log = join(logDir, `${logs++}.log`),
): Promise<string> {
  if (!existsSync(log)) writeFileSync(log, '');
  await runAndKill(WORKER, [scenario, log, JSON.stringify(config), ...args], killAfterMs);
  return readFileSync(log, 'utf8');
}

const lines = (out: string, tag: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith(`${tag} `))
    .map((l) => l.split(' ').slice(1));

describe('crash safety in the layers: SIGKILL', () => {
  for (const target of targets) {
    describe.skipIf(target.skip !== undefined)(target.name, () => {
      it(`ResultStore.save killed ${RESULT_KILLS} times: each result is a previous save whole or the new one whole`, async () => {
        await onFreshStore(target, async (config) => {
          const lastSeen = new Map<string, number>();
          let checked = 0;
          for (let round = 0; round < RESULT_KILLS; round++) {
            await killWorker('results', config, [String(round * 1_000_000)], between(50, 400));
            await withBackend(config, async (backend) => {
              for (const [s, prefix] of ['binary', 'columns'].entries()) {
                const store = new ResultStore({ backend, prefix });
                for (const r of [0, 1]) {
                  if (!(await store.exists(`r${r}`))) continue;
                  const gen = checkResult(await store.load(`r${r}`));
                  // The worker saves generation g under store g % 2, key (g >> 1) % 2.
                  expect(gen % 4).toBe(s + 2 * r);
                  const meta = await store.getMetadata(`r${r}`);
                  expect(meta.custom.gen).toBe(gen);
                  expect(meta.nSets).toBe(setCountOf(gen));
                  expect(gen).toBeGreaterThanOrEqual(lastSeen.get(`${prefix}/${r}`) ?? 0);
                  lastSeen.set(`${prefix}/${r}`, gen);
                  checked++;
                }
              }
            });
          }
          expect(checked).toBeGreaterThan(0);
          // Sets of killed saves are left behind; compact removes them and nothing a result needs.
          const orphans = await withBackend(config, async (backend) => {
            let removed = 0;
            for (const prefix of ['binary', 'columns']) {
              const store = new ResultStore({ backend, prefix });
              removed += (await store.compact({ minAgeMs: 0 })).orphanSets;
              expect((await store.compact({ minAgeMs: 0 })).orphanSets).toBe(0);
              for (const r of [0, 1])
                if (await store.exists(`r${r}`))
                  expect(checkResult(await store.load(`r${r}`))).toBe(lastSeen.get(`${prefix}/${r}`));
            }
            return removed;
          });
          recordFigure(
            AREA,
            `${target.name}: kills during ResultStore.save`,
            RESULT_KILLS,
            `${checked} result loads after kills (4 to 8 sets each, binary and columns formats): each a whole earlier or new save, metadata matching; mixes: 0; compact removed ${orphans} set entries of killed saves, results intact`,
          );
        });
      }, 900_000);

      it(`PersiDict.update from 3 processes killed ${DICT_ROUNDS} times: no acknowledged update lost`, async () => {
        await onFreshStore(target, async (config) => {
          const ids = ['a', 'b', 'c'];
          const counted = new Map<string, number>();
          let acked = 0;
          let landedUnacked = 0;
          for (let round = 0; round < DICT_ROUNDS; round++) {
            const outs = await Promise.all(ids.map((id) => killWorker('dict', config, [id], between(100, 500))));
            const counters = await withBackend(config, async (backend) => {
              const dict = new PersiDict<Record<string, number>>({ backend, prefix: 'dict' });
              return (await dict.has('counters')) ? await dict.get('counters') : {};
            });
            for (const [i, id] of ids.entries()) {
              const acks = lines(outs[i] as string, 'ack').map(([n]) => Number(n));
              acked += acks.length;
              // At least every acknowledged update; at most one more, the one the kill interrupted.
              const low = Math.max(counted.get(id) ?? 0, ...acks);
              const value = counters[id] ?? 0;
              expect(value).toBeGreaterThanOrEqual(low);
              expect(value, `${id}: ${acks.length} acks, last ${acks.at(-1)}, first ${acks[0]}`).toBeLessThanOrEqual(
                low + 1,
              );
              if (value > low) landedUnacked++;
              counted.set(id, value);
            }
          }
          expect(acked).toBeGreaterThan(0);
          recordFigure(
            AREA,
            `${target.name}: kills during PersiDict.update (3 processes, one key)`,
            DICT_ROUNDS * ids.length,
            `${acked} acknowledged read-modify-write updates, none lost; ${landedUnacked} interrupted updates landed without their acknowledgement (at most one per kill)`,
          );
        });
      }, 900_000);

      it(`memoize from 3 processes killed ${MEMO_ROUNDS} times: a lease is taken over, a result computed once more at most`, async () => {
        await onFreshStore(target, async (config) => {
          const log = join(logDir, `${logs++}.log`);
          const count = 24;
          for (let round = 0; round < MEMO_ROUNDS; round++) {
            const args = [String(round * 100), String(count), String(LEASE_MS)];
            await Promise.all([0, 1, 2].map(() => killWorker('memoize', config, args, between(100, 500), log)));
          }
          // Every call, asked once more here: the stored result, or computed (after a dead holder's lease expires).
          await withBackend(config, async (backend) => {
            const square = memoize(
              async (x: number) => {
                writeFileSync(log, `start ${x} ${process.pid}\n`, { flag: 'a' });
                return memoResult(x);
              },
              { store: createMemoStore(backend), name: 'square', params: ['x'], leaseMs: LEASE_MS },
            );
            for (let round = 0; round < MEMO_ROUNDS; round++)
              for (let i = 0; i < count; i++)
                expect(await square(round * 100 + i)).toEqual(memoResult(round * 100 + i));
          });
          const entries = readFileSync(log, 'utf8').trim().split('\n');
          const returned = new Set(entries.filter((e) => e.startsWith('returned ')).map((e) => e.slice(9)));
          const starts = new Map<string, { all: number; interrupted: number }>();
          for (const e of entries.filter((e) => e.startsWith('start '))) {
            const [x, pid] = e.slice(6).split(' ') as [string, string];
            const s = starts.get(x) ?? { all: 0, interrupted: 0 };
            s.all++;
            // A computation whose process never saw the call return was cut short by the kill.
            if (!returned.has(`${x} ${pid}`) && Number(pid) !== process.pid) s.interrupted++;
            starts.set(x, s);
          }
          expect(starts.size).toBe(MEMO_ROUNDS * count);
          let computations = 0;
          let interrupted = 0;
          let again = 0;
          for (const [x, s] of starts) {
            expect(s.all, `computations of ${x}`).toBeLessThanOrEqual(1 + s.interrupted);
            computations += s.all;
            interrupted += s.interrupted;
            if (s.all > 1) again++;
          }
          recordFigure(
            AREA,
            `${target.name}: kills during memoize (3 processes, same calls)`,
            MEMO_ROUNDS * 3,
            `${MEMO_ROUNDS * count} calls, ${computations} computations: ${interrupted} cut short by a kill, ${again} calls computed again after their holder died (lease ${LEASE_MS} ms taken over); computed again without a kill: 0; every result read back right`,
          );
        });
      }, 900_000);

      it(`ValueStore.gc beside puts from other processes, all killed ${GC_ROUNDS} times: no named value loses a node`, async () => {
        await onFreshStore(target, async (config) => {
          const named = new Map<string, { call: boolean; v: number }>();
          let removed = 0;
          let passes = 0;
          let checked = 0;
          const checkNamed = async (backend: Backend) => {
            const values = new ValueStore({ backend });
            const calls = new CallStore({ backend });
            for (const [id, { call, v }] of named) {
              const digest = call ? (await calls.get(id))?.result : id;
              expect(digest, `call record ${id}`).toBeDefined();
              expect(await values.get(digest as string), `value ${v} named by ${id}`).toEqual(poolValue(v));
              checked++;
            }
          };
          for (let round = 0; round < GC_ROUNDS; round++) {
            const kill = between(size(1000, 1000), size(4000, 1600));
            const grace = String(GRACE_MS);
            const outs = await Promise.all([
              killWorker('put', config, [grace], kill),
              killWorker('put', config, [grace], kill),
              killWorker('gc', config, [grace], kill),
            ]);
            for (const out of outs.slice(0, 2)) {
              for (const [id, v] of lines(out, 'key')) named.set(id as string, { call: false, v: Number(v) });
              for (const [id, v] of lines(out, 'call')) named.set(id as string, { call: true, v: Number(v) });
              // Named as dropped before the delete started: absent or still there, both fine.
              for (const [id] of lines(out, 'drop')) named.delete(id as string);
            }
            const gcs = lines(outs[2] as string, 'gc');
            passes += gcs.length;
            removed += gcs.reduce((n, [r]) => n + Number(r), 0);
            await withBackend(config, checkNamed);
          }
          // Once every writer is dead, a gc without grace keeps exactly what is named.
          const last = await withBackend(config, async (backend) => {
            const roots = new Set<string>();
            for await (const call of new CallStore({ backend }).query()) if (call.result) roots.add(call.result);
            const report = await new ValueStore({ backend }).gc({ roots, graceMs: 0 });
            await checkNamed(backend);
            return report;
          });
          expect(passes).toBeGreaterThan(0);
          recordFigure(
            AREA,
            `${target.name}: kills during ValueStore.gc beside puts (2 writer processes, 1 collecting)`,
            GC_ROUNDS * 3,
            `${passes} gc passes (grace ${GRACE_MS} ms) removed ${removed} nodes while writers reused them; ${checked} reads of values named by a key or a call record, all whole; nodes lost: 0; a final gc without grace removed ${last.removed} and kept every named value`,
          );
        });
      }, 900_000);

      it(`tiered write killed ${TIERED_KILLS} times: the primary holds every acknowledged write, each tier whole`, async () => {
        await onFreshStore(target, async (config) => {
          const tiered = { type: 'tiered', primary: config, secondary: target.other(), cache: { maxBytes: 1 << 20 } };
          const lastSeen = new Map<string, number>();
          let acked = 0;
          let behind = 0;
          for (let round = 0; round < TIERED_KILLS; round++) {
            const out = await killWorker('tiered', tiered, [String(round * 1_000_000)], between(50, 400));
            for (const [key, gen] of lines(out, 'ack')) {
              lastSeen.set(key as string, Math.max(lastSeen.get(key as string) ?? 0, Number(gen)));
              acked++;
            }
            await withBackend(tiered as BackendConfig, async (backend) => {
              const { primary, secondary } = backend as TieredBackend;
              for (const [key, seen] of lastSeen) {
                const p = checkValue((await primary.get(key))?.value ?? new Uint8Array(8));
                expect(p, `primary ${key}`).toBeGreaterThanOrEqual(seen);
                lastSeen.set(key, p);
                const s = await secondary?.get(key);
                // Written to the primary first: a kill in between leaves the secondary behind, never ahead.
                if (s) expect(checkValue(s.value)).toBeLessThanOrEqual(p);
                if (!s || checkValue(s.value) < p) behind++;
              }
            });
          }
          expect(acked).toBeGreaterThan(0);
          const synced = await withBackend(tiered as BackendConfig, async (backend) => {
            const { primary, secondary } = backend as TieredBackend;
            const report = await (backend as TieredBackend).sync();
            for (const key of lastSeen.keys())
              expect(checkValue((await secondary?.get(key))?.value ?? new Uint8Array(8))).toBe(
                checkValue((await primary.get(key))?.value ?? new Uint8Array(8)),
              );
            return report;
          });
          recordFigure(
            AREA,
            `${target.name}: kills during tiered writes (secondary ${tiered.secondary.type})`,
            TIERED_KILLS,
            `${acked} acknowledged writes, each on the primary after the kill; every value whole on both tiers; the secondary was behind ${behind} times (never ahead), sync copied ${synced.copied} and left the tiers equal`,
          );
        });
      }, 900_000);
    });
  }
});
