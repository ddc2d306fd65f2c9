import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { type Backend, InvalidKeyError } from '../../src/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { recordFigure, size } from './figures.ts';

afterAll(removeTempDirs);

const COUNT = size(100_000, 4000);

// Pieces attackers and accidents use: traversal, absolute paths, NUL and controls,
// Unicode normalisation twins, case twins, Windows device names, trailing dots and
// spaces, 255 / 256-byte segments, separators of other systems.
const PIECES = [
  '..',
  '.',
  '/',
  '\\',
  '//',
  'C:',
  'c:\\windows',
  '/etc/passwd',
  '..%2f',
  '%2e%2e',
  '\u0000',
  '\n',
  '\u001b[31m',
  '\u007f',
  'caf\u00e9',
  'cafe\u0301',
  'A',
  'a',
  'CON',
  'con',
  'nul.txt',
  'COM1',
  'lpt9.log',
  'trailing.',
  'trailing ',
  ' lead',
  '~',
  '~v',
  'x~l',
  '%',
  '%41',
  '\u{1F600}',
  '\uFFFD',
  '\ud800',
  'z'.repeat(255),
  'z'.repeat(256),
  '\u00e9'.repeat(127),
  '\u00e9'.repeat(128),
  '*',
  '?',
  '"',
  '<>',
  '|',
  ':',
  "'; DROP TABLE x; --",
  'aux',
  'AUX.tar.gz',
  '.hidden',
  '...',
  ' ',
];

function* hostileKeys(n: number): Generator<string[]> {
  let seed = 12345;
  const rand = (m: number) => {
    // Math.imul keeps the product exact (a plain * loses its low bits past 2^53, and the
    // generator then cycled through ~1,000 distinct keys); the high bits are the random ones.
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 15) % m;
  };
  for (let i = 0; i < n; i++) {
    const segments = 1 + rand(3);
    yield Array.from({ length: segments }, () => {
      const a = PIECES[rand(PIECES.length)] as string;
      return rand(3) === 0 ? a + (PIECES[rand(PIECES.length)] as string) : a;
    });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const targets: Record<string, () => Promise<{ store: Backend; root?: string }>> = {
  memory: async () => ({ store: new MemoryBackend() }),
  sqlite: async () => ({ store: await SqliteBackend.open({ path: `${tempDir('hostile-sqlite')}/h.sqlite` }) }),
  fs: async () => {
    const root = join(tempDir('hostile-fs'), 'root');
    return { store: await FsBackend.open({ root, fsync: false }), root };
  },
};

describe('hostile keys', () => {
  for (const [name, open] of Object.entries(targets)) {
    it(`${name}: ${COUNT} generated keys: rejected ones fail cleanly, accepted ones never collide or escape`, async () => {
      const { store, root } = await open();
      const accepted = new Map<string, string[]>();
      let rejected = 0;
      for (const key of hostileKeys(COUNT)) {
        const id = JSON.stringify(key);
        if (accepted.has(id)) continue;
        try {
          await store.put(key, new TextEncoder().encode(id));
          accepted.set(id, key);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidKeyError);
          rejected++;
        }
      }
      const keys = [...accepted.values()];
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const got = await store.getMany(chunk);
        for (const [j, hit] of got.entries())
          expect(new TextDecoder().decode(hit?.value)).toBe(JSON.stringify(chunk[j]));
      }
      expect((await store.info()).entries).toBe(accepted.size);
      if (root) {
        const parent = join(root, '..');
        for (const file of filesUnder(parent)) expect(relative(root, file).split(sep)[0]).not.toBe('..');
        expect(filesUnder(root).filter((f) => f.endsWith('~v'))).toHaveLength(accepted.size);
      }
      recordFigure(
        'Hostile keys',
        `${name}: generated keys`,
        COUNT,
        `${accepted.size} distinct accepted keys each read back its own value; ${rejected} rejected with InvalidKeyError${root ? '; no file outside the root' : ''}`,
      );
      await store.close();
    }, 900_000);
  }
});
