// Deliberately damaged store files (truncated, or overwritten with random bytes), opened in
// a child process bounded by a timeout: each gets a typed error or reads back whole values;
// the process neither crashes (SIGBUS from a truncated memory map) nor hangs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendConfig, openBackend } from '../../src/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { recordFigure, size } from './figures.ts';
import { SEED } from './seeded.ts';

afterAll(removeTempDirs);

const WORKER = fileURLToPath(new URL('./damaged-worker.ts', import.meta.url));
const DAMAGES = size(40, 1);
const KEYS = Array.from({ length: 40 }, (_, i) => `k/${i}`);

interface Report {
  opened: boolean;
  whole: number;
  wrong: number;
  misplaced: number;
  typed: string[];
  raw: string[];
}

function openDamaged(config: BackendConfig, timeoutMs = 90_000): Promise<{ report?: Report; how: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config), JSON.stringify(KEYS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      try {
        resolve({ report: JSON.parse(line) as Report, how });
      } catch {
        resolve({ how: `${how}, no report; stderr: ${err.slice(-500)}` });
      }
    });
  });
}

/** A store's files to damage, and how to build it. */
interface Engine {
  name: string;
  /** Only this leading part of the file is overwritten (default: anywhere). */
  overwriteWithin?: number;
  config(dir: string): BackendConfig;
  files(dir: string): string[];
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    config: (d) => ({ type: 'sqlite', path: join(d, 's.sqlite') }),
    files: (d) => [join(d, 's.sqlite')],
  },
  // LMDB keeps no checksums on its B-tree pages, and follows a damaged page's offsets out of
  // the map (SIGBUS) before any check could run: only truncation and damage to the meta
  // pages (the first two pages, 8 KB) are detectable before the file is mapped.
  {
    name: 'lmdb',
    overwriteWithin: 8192,
    config: (d) => ({ type: 'lmdb', path: join(d, 'l') }),
    files: (d) => [join(d, 'l', 'data.mdb')],
  },
  { name: 'hdf5', config: (d) => ({ type: 'hdf5', path: join(d, 'h.h5') }), files: (d) => [join(d, 'h.h5')] },
  {
    name: 'fs',
    config: (d) => ({ type: 'fs', root: join(d, 'f') }),
    files: (d) =>
      readdirSync(join(d, 'f'), { recursive: true, encoding: 'utf8' })
        .map((f) => join(d, 'f', f))
        .filter((f) => statSync(f).isFile()),
  },
];

// Where in the file, as a fraction of its length.
const fraction = fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000);

type Damage = { kind: 'truncate'; at: number } | { kind: 'overwrite'; spots: [number, number, number][] };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    spots: fc.array(fc.tuple(fraction, fc.integer({ min: 1, max: 64 }), fc.nat()), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
);

function damage(file: string, d: Damage, within?: number): void {
  const length = statSync(file).size;
  if (d.kind === 'truncate') {
    truncateSync(file, Math.floor(d.at * length));
    return;
  }
  const bytes = readFileSync(file);
  for (const [where, span, seed] of d.spots) {
    const start = Math.floor(where * Math.min(length, within ?? length));
    for (let i = start; i < Math.min(length, start + span); i++) bytes[i] = (seed * 31 + i * 17) & 0xff;
  }
  writeFileSync(file, bytes);
}

describe('damaged store files: a typed error or whole values, no crash, no hang', () => {
  for (const engine of engines) {
    it(`${engine.name}: ${DAMAGES} damaged copies`, async () => {
      const samples = fc.sample(fc.tuple(damageArb, fc.nat()), { seed: SEED, numRuns: DAMAGES });
      let typed = 0;
      let whole = 0;
      let misplaced = 0;
      // Two at a time: the machine is shared, and a starved child would look like a hang.
      let next = 0;
      const worker = async () => {
        while (next < samples.length) {
          const n = next++;
          const [d, pick] = samples[n] as [Damage, number];
          const dir = tempDir(`damaged-${engine.name}`);
          const config = engine.config(dir);
          const store = await openBackend(config);
          await store.putMany(
            KEYS.map((key) => ({ key, value: new TextEncoder().encode(`value of ${key} `.repeat(20)) })),
          );
          await store.close();
          const files = engine.files(dir);
          const file = files[pick % files.length] as string;
          damage(file, d, engine.overwriteWithin);
          const { report, how } = await openDamaged(config);
          const what = `${engine.name} #${n} (${file}, ${JSON.stringify(d)}): ${how}`;
          expect(report, what).toBeDefined();
          expect(report?.raw, what).toEqual([]);
          expect(report?.wrong, what).toBe(0);
          expect(report?.misplaced, what).toBe(0);
          misplaced += report?.misplaced ?? 0;
          typed += report?.typed.length ?? 0;
          whole += report?.whole ?? 0;
        }
      };
      await Promise.all([worker(), worker()]);
      recordFigure(
        'Damaged store files',
        `${engine.name}: damaged files opened`,
        DAMAGES,
        `truncated or overwritten at random (${engine.name === 'fs' ? 'one entry file each' : engine.overwriteWithin ? `the data file; overwrites within its first ${engine.overwriteWithin / 1024} KB, the meta pages` : 'the database file'}); ${typed} typed errors, ${whole} of ${DAMAGES * KEYS.length} values read back whole, 0 torn or foreign values, ${misplaced} other keys' values read under a damaged key, 0 raw exceptions, 0 crashes, 0 hangs (90 s bound); seed ${SEED}`,
      );
    }, 900_000);
  }
});
