// Jepsen-style: several processes do random reads, writes and compare-and-sets on a few keys
// of one store; every key's history must be linearizable (a register with CAS), on every
// backend that claims atomic conditional writes across processes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { FULL, recordFigure, size } from './figures.ts';
import { isLinearizable, type TimedOp } from './linearizability.ts';
import { SEED } from './seeded.ts';
import { multiProcessTargets } from './servers.ts';

afterAll(removeTempDirs);

const WORKER = fileURLToPath(new URL('./linear-worker.ts', import.meta.url));
const PROCESSES = 3;
const OPS = size(200, 25);
const ROUNDS = size(5, 1);
const KEYS = ['x', 'y'];

function runWorker(config: unknown, proc: number, seed: number): Promise<(TimedOp & { key: string })[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        WORKER,
        JSON.stringify(config),
        JSON.stringify(KEYS),
        String(OPS),
        String(proc),
        String(seed),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`worker ${proc} failed (${code}): ${err}`));
      resolve(
        out
          .trim()
          .split('\n')
          .map((line) => {
            const raw = JSON.parse(line) as TimedOp & { key: string; call: string; ret: string | null };
            return {
              ...raw,
              call: BigInt(raw.call),
              ret: raw.ret === null ? undefined : BigInt(raw.ret),
            } as TimedOp & {
              key: string;
            };
          }),
      );
    });
  });
}

describe('linearizability of concurrent reads, writes and compare-and-sets', async () => {
  const targets = (await multiProcessTargets()).filter((t) => FULL || ['sqlite', 'lmdb'].includes(t.name));
  for (const target of targets) {
    it.skipIf(target.skip !== undefined)(
      `${target.name}: every key's history is linearizable`,
      async () => {
        const store = await target.open();
        const config = store.toConfig();
        let histories = 0;
        let operations = 0;
        let unknown = 0;
        try {
          for (let round = 0; round < ROUNDS; round++) {
            await store.clear();
            const logs = await Promise.all(
              Array.from({ length: PROCESSES }, (_, p) => runWorker(config, p, SEED + round * 100 + p)),
            );
            const all = logs.flat();
            for (const key of KEYS) {
              const history = all.filter((op) => op.key === key);
              histories++;
              operations += history.length;
              unknown += history.filter((op) => op.ret === undefined).length;
              expect(isLinearizable(history), `${target.name} round ${round} key ${key} (seed ${SEED})`).toBe(true);
            }
          }
        } finally {
          await store.drop?.();
          await store.close();
        }
        recordFigure(
          'Linearizability (register with compare-and-set)',
          `${target.name}: histories checked / operations`,
          `${histories} / ${operations}`,
          `${PROCESSES} processes x ${OPS} operations (40% read, 30% write, 30% ETag compare-and-set) on ${KEYS.length} keys per round; ${unknown} with unknown outcome; anomalies: 0; Wing & Gong search; seed ${SEED}`,
        );
      },
      600_000,
    );
  }
});

describe('the checker itself', () => {
  const op = (o: Record<string, unknown>, call: number, ret: number | undefined) =>
    ({ ...o, call: BigInt(call), ret: ret === undefined ? undefined : BigInt(ret) }) as TimedOp;
  it('accepts overlapping operations in either order and refuses a stale read or a double CAS', () => {
    const write = op({ kind: 'write', value: 'a' }, 0, 10);
    expect(isLinearizable([write, op({ kind: 'read', result: null }, 5, 15)])).toBe(true);
    expect(isLinearizable([write, op({ kind: 'read', result: null }, 11, 15)])).toBe(false);
    const cas = (value: string, call: number) =>
      op({ kind: 'cas', expected: 'a', value, result: true }, call, call + 5);
    expect(isLinearizable([write, cas('b', 20), cas('c', 30)])).toBe(false);
    expect(isLinearizable([write, cas('b', 20), op({ kind: 'read', result: 'b' }, 40, 41)])).toBe(true);
    // An unknown outcome may have taken effect or not.
    const maybe = op({ kind: 'write', value: 'z', unknown: true }, 12, undefined);
    expect(isLinearizable([write, maybe, op({ kind: 'read', result: 'z' }, 50, 51)])).toBe(true);
    expect(isLinearizable([write, maybe, op({ kind: 'read', result: 'a' }, 50, 51)])).toBe(true);
  });
});
