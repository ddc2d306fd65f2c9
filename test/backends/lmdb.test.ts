import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open as openLmdb } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { makeMeta } from '../../src/backends/kit/meta.ts';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { CorruptValueError, openBackend, StorageError } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

const WRITER = fileURLToPath(new URL('./lmdb-writer.ts', import.meta.url));

runConformanceSuite({
  name: 'lmdb',
  open: () => LmdbBackend.open({ path: tempDir('lmdb') }),
  missing: () => ({ type: 'lmdb', path: join(tempDir('lmdb-missing'), 'typo') }),
});

describe('lmdb extras', () => {
  it('opens from a URL and round-trips its config', async () => {
    const dir = tempDir('lmdb-url');
    const store = await openBackend(`lmdb://${dir}/env`);
    await store.put('a', bytes('1'));
    expect(store.toConfig()).toEqual({ type: 'lmdb', path: `${dir}/env` });
    await store.close();
    const again = await openBackend({ type: 'lmdb', path: `${dir}/env` });
    expect(text((await again.get('a'))?.value)).toBe('1');
    await again.close();
  });

  it('opens any folder name a user gives, with or without an extension, by URL too', async () => {
    const dir = tempDir('lmdb-names');
    for (const name of ['cache.lmdb', 'plain', 'two.dots.db', '.hidden']) {
      const store = await openBackend(`lmdb:${dir}/${name}`);
      await store.put('k', bytes(name));
      await store.close();
      const again = await openBackend(`lmdb:${dir}/${name}`);
      expect(text((await again.get('k'))?.value)).toBe(name);
      await again.close();
      expect(statSync(join(dir, name)).isDirectory()).toBe(true);
    }
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const relative = await openBackend('lmdb:./rel/cache.lmdb');
      await relative.put('k', bytes('r'));
      await relative.close();
      expect(statSync(join(dir, 'rel', 'cache.lmdb')).isDirectory()).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('rejects keys beyond LMDB’s key size clearly', async () => {
    const store = await LmdbBackend.open({ path: tempDir('lmdb-long') });
    const key = Array.from({ length: 9 }, () => 'x'.repeat(250)).join('/');
    await expect(store.put(key, bytes('x'))).rejects.toThrow(StorageError);
    await expect(store.put(key, bytes('x'))).rejects.toThrow(/1978/);
    await store.close();
  });

  it('moves a store of the two-database layout into one record per entry when opened', async () => {
    const path = tempDir('lmdb-legacy');
    const env = openLmdb({ path, maxDbs: 4 });
    const meta = env.openDB({ name: 'meta', encoding: 'json' });
    const values = env.openDB({ name: 'values', encoding: 'binary' });
    const good = makeMeta(bytes('kept'), { tag: 'x' });
    const damaged = makeMeta(bytes('right'), {});
    await env.transaction(() => {
      meta.put('runs/a', good);
      values.put('runs/a', Buffer.from('kept'));
      meta.put('runs/b', damaged);
      values.put('runs/b', Buffer.from('wrong'));
    });
    await env.close();

    const store = await LmdbBackend.open({ path });
    const hit = await store.get('runs/a');
    expect(text(hit?.value)).toBe('kept');
    expect(hit?.meta).toEqual(good);
    expect(await store.stat('runs/a')).toEqual(good);
    await expect(store.get('runs/b')).rejects.toThrow(CorruptValueError);
    const listed = [];
    for await (const entry of store.list('runs')) listed.push(entry.key.join('/'));
    expect(listed).toEqual(['runs/a', 'runs/b']);
    await store.close();

    const after = openLmdb({ path, maxDbs: 4 });
    expect(Array.from(after.openDB({ name: 'meta', encoding: 'json' }).getKeys())).toEqual([]);
    expect(Array.from(after.openDB({ name: 'values', encoding: 'binary' }).getKeys())).toEqual([]);
    await after.close();
    const reopened = await LmdbBackend.open({ path });
    expect(text((await reopened.get('runs/a'))?.value)).toBe('kept');
    await reopened.close();
  });
});

// Found by the damaged-file test (test/reliability/damaged-files.test.ts): LMDB mapped a
// truncated file and the process died of SIGBUS / SIGSEGV on the first read.
describe('lmdb: a damaged data file is refused before it is mapped', () => {
  it('truncated, or with a meta page overwritten: CorruptValueError at open, nothing crashes', async () => {
    for (const damage of ['truncate', 'meta'] as const) {
      const dir = tempDir(`lmdb-damaged-${damage}`);
      const store = await LmdbBackend.open({ path: dir });
      await store.putMany(Array.from({ length: 40 }, (_, i) => ({ key: `k/${i}`, value: new Uint8Array(500) })));
      await store.close();
      const file = join(dir, 'data.mdb');
      if (damage === 'truncate') truncateSync(file, Math.floor(statSync(file).size / 3));
      else {
        const bytes = readFileSync(file);
        bytes.fill(0x5a, 0x20, 0x5b); // map size, page size and the free-page database record
        writeFileSync(file, bytes);
      }
      const error = await LmdbBackend.open({ path: dir }).catch((e: unknown) => e);
      expect(error, damage).toBeInstanceOf(CorruptValueError);
      expect((error as Error).message).toContain('damaged');
    }
  });
});

// Found by the linearizability test (test/reliability/linearizability.test.ts): lmdb-js kept
// one read snapshot until its next timer tick, so a read right after another missed a commit
// made in between by another process.
describe('lmdb: a read sees what another process committed before it', () => {
  it('a second read in the same tick, after another process wrote, sees the new value', async () => {
    const dir = tempDir('lmdb-stale');
    const store = await LmdbBackend.open({ path: dir });
    await store.put('k', bytes('old'));
    await new Promise((r) => setTimeout(r, 10));
    expect(text((await store.get('k'))?.value)).toBe('old');
    // execFileSync blocks this process: no timer runs between the two reads.
    execFileSync(process.execPath, ['--import', 'tsx', WRITER, dir, 'k', 'new']);
    expect(text((await store.get('k'))?.value)).toBe('new');
    expect((await store.stat('k'))?.size).toBe(3);
    await store.close();
  });
});
