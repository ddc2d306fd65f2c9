import { createStorage } from 'unstorage';
import { afterAll, describe, expect, it } from 'vitest';
import { stowageDriver } from '../src/adapters/unstorage.ts';
import { MemoryBackend } from '../src/backends/memory.ts';
import type { PostgresBackend } from '../src/backends/sql/postgres.ts';
import { OperationError, openBackend } from '../src/index.ts';
import { serviceSkipReason, uniqueName } from './helpers/services.ts';
import { removeTempDirs, tempDir } from './helpers/temp-dir.ts';

afterAll(removeTempDirs);

const pgSkip = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const pgTable = uniqueName('unstorage');

afterAll(async () => {
  if (pgSkip) return;
  const store = await openBackend(`postgres://postgres@127.0.0.1:5432/test?table=${pgTable}`);
  await (store as PostgresBackend).drop();
});

const targets = [
  { name: 'memory', driver: () => stowageDriver({ store: new MemoryBackend() }) },
  { name: 'fs', driver: () => stowageDriver({ store: `file:${tempDir('unstorage-fs')}` }) },
  {
    name: 'sqlite (deprecated url option)',
    driver: () => stowageDriver({ url: `sqlite:${tempDir('unstorage')}/u.sqlite` }),
  },
  ...(pgSkip
    ? []
    : [
        {
          name: 'postgres',
          driver: () =>
            stowageDriver({
              store: `postgres://postgres@127.0.0.1:5432/test?table=${pgTable}`,
              prefix: uniqueName('u'),
            }),
        },
      ]),
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const target of targets) {
  describe(`unstorage driver on ${target.name}`, () => {
    it('round-trips every driver method through createStorage', async () => {
      const driver = target.driver();
      const storage = createStorage({ driver });
      await storage.setItem('users:1', { name: 'Ana', tags: ['a'] });
      await storage.setItem('users:2', 'plain text');
      await storage.setItem('users:deep:3', 3);
      await storage.setItem('other:x', true);
      expect(await storage.getItem('users:1')).toEqual({ name: 'Ana', tags: ['a'] });
      expect(await storage.getItem('users/2')).toBe('plain text');
      expect(await storage.getItem('users:deep:3')).toBe(3);
      expect(await storage.getItem('missing')).toBeNull();
      expect(await storage.hasItem('users:1')).toBe(true);
      expect(await storage.hasItem('users:9')).toBe(false);
      expect(await storage.getItems(['users:1', 'other:x'])).toEqual([
        { key: 'users:1', value: { name: 'Ana', tags: ['a'] } },
        { key: 'other:x', value: true },
      ]);
      await storage.setItems([
        { key: 'batch:a', value: 1 },
        { key: 'batch:b', value: 2 },
      ]);
      expect(await storage.getItem('batch:b')).toBe(2);

      const bytes = new Uint8Array([0, 1, 2, 255]);
      await storage.setItemRaw('blob:1', bytes);
      expect(new Uint8Array((await storage.getItemRaw('blob:1')) as Uint8Array)).toEqual(bytes);
      expect(new TextDecoder().decode((await storage.getItemRaw('users:2')) as Uint8Array)).toBe('plain text');

      expect((await storage.getKeys()).sort()).toEqual(
        ['batch:a', 'batch:b', 'blob:1', 'other:x', 'users:1', 'users:2', 'users:deep:3'].sort(),
      );
      expect((await storage.getKeys('users')).sort()).toEqual(['users:1', 'users:2', 'users:deep:3']);

      const meta = await storage.getMeta('users:1');
      expect(meta.mtime).toBeInstanceOf(Date);
      expect(meta.size).toBeGreaterThan(0);
      // Only the item's own metadata: never the driver's bookkeeping.
      expect(Object.keys(meta).sort()).toEqual(['birthtime', 'etag', 'mtime', 'size']);

      await storage.removeItem('users:1');
      expect(await storage.hasItem('users:1')).toBe(false);
      // storage.clear(base) only reaches drivers mounted under base, so clear a base on the driver.
      await driver.clear('users:');
      expect(await storage.getKeys('users')).toEqual([]);
      expect((await storage.getKeys()).sort()).toEqual(['batch:a', 'batch:b', 'blob:1', 'other:x']);
      await storage.clear();
      expect(await storage.getKeys()).toEqual([]);
      await storage.dispose();
    });

    it('keeps keys with unusual segments distinct', async () => {
      const storage = createStorage({ driver: target.driver() });
      for (const key of ['a.b:.hidden', 'pct:%41', 'pct:A', 'sp ace:ü']) await storage.setItem(key, key);
      for (const key of ['a.b:.hidden', 'pct:%41', 'pct:A', 'sp ace:ü']) expect(await storage.getItem(key)).toBe(key);
      expect((await storage.getKeys()).sort()).toEqual(['a.b:.hidden', 'pct:%41', 'pct:A', 'sp ace:ü'].sort());
      await storage.dispose();
    });

    it('gives back keys with segments too long to store as written', async () => {
      const storage = createStorage({ driver: target.driver() });
      const long = `runs:${'é'.repeat(200)}:x`;
      await storage.setItem(long, 'v');
      await storage.setItem('short:a', 'w');
      expect(await storage.getItem(long)).toBe('v');
      expect((await storage.getKeys()).sort()).toEqual([long, 'short:a'].sort());
      await storage.clear();
      await storage.dispose();
    });

    it('honours ttl (seconds, per item or as the driver default): expired items are never returned', async () => {
      const driver = target.driver();
      const storage = createStorage({ driver });
      await storage.setItem('t:short', 'gone soon', { ttl: 0.05 });
      await storage.setItem('t:long', 'stays', { ttl: 60 });
      await storage.setItem('t:none', 'forever');
      // (The short one is not read before it expires: on a loaded machine 50 ms can pass first.)
      expect(await storage.getItem('t:long')).toBe('stays');
      expect((await storage.getMeta('t:long')).ttl).toBeGreaterThan(50);
      await sleep(120);
      expect(await storage.getItem('t:short')).toBeNull();
      expect(await storage.hasItem('t:short')).toBe(false);
      expect((await storage.getKeys('t')).sort()).toEqual(['t:long', 't:none']);
      await storage.setItem('t:again', 'x', { ttl: 0.05 });
      await sleep(120);
      expect(await driver.purgeExpired()).toBe(1);
      expect(await storage.getItem('t:long')).toBe('stays');
      await storage.clear();
      await storage.dispose();

      const expiring = createStorage({ driver: stowageDriver({ store: new MemoryBackend(), ttl: 0.05 }) });
      await expiring.setItem('k', 'v');
      await sleep(120);
      expect(await expiring.getItem('k')).toBeNull();
    });
  });
}

describe('unstorage driver options', () => {
  it('refuses unknown options and two stores at once', () => {
    expect(() => stowageDriver({ store: 'memory://', tll: 5 } as never)).toThrow(OperationError);
    expect(() => stowageDriver({ store: 'memory://', tll: 5 } as never)).toThrow(/'tll'.*known: store/);
    expect(() => stowageDriver({ store: 'memory://', url: 'memory://' })).toThrow(OperationError);
  });
});
