import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/backends/fs/index.ts';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { type Backend, CorruptValueError } from '../../src/index.ts';
import { openRawSqlite } from '../helpers/sqlite-drivers.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { recordFigure, size } from './figures.ts';

afterAll(removeTempDirs);

const FLIPS = size(200, 20);

async function check(name: string, store: Backend, flip: (key: string, offset: number) => void) {
  const keys = Array.from({ length: 20 }, (_, i) => `data/${i}`);
  let detected = 0;
  for (let round = 0; round < FLIPS; round++) {
    for (const key of keys)
      await store.put(
        key,
        new Uint8Array(4096).map((_, i) => (i * 13 + round) & 0xff),
      );
    const victim = keys[round % keys.length] as string;
    flip(victim, 1 + ((round * 977) % 4000));
    const error = await store.get(victim).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptValueError);
    expect(String(error)).toContain(`'${victim}'`);
    detected++;
    for (const key of keys) if (key !== victim) expect((await store.get(key))?.value.byteLength).toBe(4096);
  }
  recordFigure(
    'Corruption',
    `${name}: flipped bytes detected`,
    `${detected} / ${FLIPS}`,
    'each read of a damaged value threw CorruptValueError naming the key; every other key still read',
  );
}

describe('flipped bytes are detected, never returned as data', () => {
  it('fs value files', async () => {
    const root = tempDir('corrupt-fs');
    const store = await FsBackend.open({ root, fsync: false });
    await check('fs', store, (key, offset) => {
      const file = join(root, 'data', `${key.split('/')[1]}~v`);
      const raw = readFileSync(file);
      const at = raw.length - offset;
      raw[at] = (raw[at] ?? 0) ^ 0x5a;
      writeFileSync(file, raw);
    });
  });

  it('sqlite rows', async () => {
    const path = join(tempDir('corrupt-sqlite'), 'c.sqlite');
    const store = await SqliteBackend.open({ path });
    const raw = await openRawSqlite(path);
    await check('sqlite', store, (key, offset) => {
      const [row] = raw.prepare('SELECT value FROM stowage WHERE key = ?').all(key) as { value: Uint8Array }[];
      if (!row) throw new Error(`row ${key} is missing`);
      row.value[offset] = (row.value[offset] ?? 0) ^ 0x5a;
      raw.prepare('UPDATE stowage SET value = ? WHERE key = ?').run(row.value, key);
    });
    raw.close();
  });
});
