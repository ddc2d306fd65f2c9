import { afterAll, describe, expect, it } from 'vitest';
import { type Backend, openBackend, StorageError } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { recordFigure } from './figures.ts';

afterAll(removeTempDirs);

const INJECTIONS = [
  "'; DROP TABLE stowage; --",
  "' OR '1'='1",
  '"; DELETE FROM stowage; --',
  '%',
  '_',
  '%_%',
  '\\',
  "x') ON CONFLICT DO NOTHING; --",
  '*',
  '[a-z]',
  'FLUSHALL',
  "redis.call('FLUSHALL')",
  '{tag}',
  '$1',
  '?',
  ':name',
  '@x',
];

const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const my = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);

const stores: { name: string; skip?: string; url: () => string }[] = [
  { name: 'sqlite', url: () => `sqlite:${tempDir('inj')}/i.sqlite` },
  { name: 'postgres', skip: pg, url: () => `postgres://postgres@127.0.0.1:5432/test?table=${uniqueName('inj')}` },
  { name: 'mysql', skip: my, url: () => `mysql://root@127.0.0.1:3306/test?table=${uniqueName('inj')}` },
  { name: 'redis', skip: rd, url: () => `redis://127.0.0.1:6379/0?prefix=${uniqueName('inj')}` },
];

async function drop(store: Backend) {
  await (store as Backend & { drop?(): Promise<void> }).drop?.();
  await store.close();
}

describe('injection strings are data', () => {
  for (const target of stores) {
    it.skipIf(target.skip !== undefined)(
      `${target.name}: keys, prefixes and attrs stored and listed verbatim`,
      async () => {
        const store = await openBackend(target.url());
        for (const [i, s] of INJECTIONS.entries())
          await store.put([s, `v${i}`], new TextEncoder().encode(s), { attrs: { q: s } });
        for (const [i, s] of INJECTIONS.entries()) {
          const listed: string[] = [];
          for await (const e of store.list([s], { where: { q: s } })) listed.push(e.key.join('/'));
          expect(listed).toEqual([`${s}/v${i}`]);
          expect(new TextDecoder().decode((await store.get([s, `v${i}`]))?.value)).toBe(s);
        }
        expect((await store.info()).entries).toBe(INJECTIONS.length);
        recordFigure(
          'Injection',
          `${target.name}: injection strings round-tripped`,
          INJECTIONS.length,
          'as key segments, list prefixes and attribute filters; entry count unchanged',
        );
        await drop(store);
      },
    );
  }
});

const SECRET = 'Sup3r-Secret-Pw';

describe('passwords never leak', () => {
  const servers = [
    {
      name: 'postgres',
      skip: pg,
      url: `postgres://postgres:${SECRET}@127.0.0.1:5432/test?table=${uniqueName('sec')}&echo=true`,
    },
    { name: 'mysql', skip: my, url: `mysql://root:${SECRET}@127.0.0.1:3306/test?table=${uniqueName('sec')}&echo=true` },
    { name: 'redis', skip: rd, url: `redis://:${SECRET}@127.0.0.1:6379/0?prefix=${uniqueName('sec')}` },
    { name: 'postgres (down)', url: `postgres://postgres:${SECRET}@127.0.0.1:1/test?connectTimeoutMs=500` },
    { name: 'mysql (down)', url: `mysql://root:${SECRET}@127.0.0.1:1/test?connectTimeoutMs=500` },
    { name: 'redis (down)', url: `redis://:${SECRET}@127.0.0.1:1/0?connectTimeoutMs=500` },
  ];
  for (const target of servers) {
    it.skipIf(target.skip !== undefined)(`${target.name}: not in info(), toConfig(), errors or log lines`, async () => {
      const logged: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        logged.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      const seen: string[] = [];
      try {
        const store = await openBackend(target.url).catch((e: unknown) => {
          seen.push(
            JSON.stringify(e, Object.getOwnPropertyNames(e)),
            String(
              (e as Error).cause && JSON.stringify((e as Error).cause, Object.getOwnPropertyNames((e as Error).cause)),
            ),
          );
          return undefined;
        });
        if (store) {
          seen.push(JSON.stringify(await store.info()), JSON.stringify(store.toConfig()), store.label);
          await store.put('k', new Uint8Array([1]));
          const bad = await store.put('k', new Uint8Array([2]), { ifMatch: 'nope' }).catch((e: unknown) => e);
          expect(bad).toBeInstanceOf(StorageError);
          seen.push(JSON.stringify(bad, Object.getOwnPropertyNames(bad)));
          await drop(store);
        }
      } finally {
        process.stderr.write = write;
      }
      const everything = [...seen, ...logged].join('\n');
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(encodeURIComponent(SECRET));
      recordFigure(
        'Secrets',
        `${target.name}: occurrences of the password`,
        0,
        `in ${seen.length} info/config/error texts and ${logged.length} log lines`,
      );
    });
  }
});
