import { afterAll, describe, expect, it } from 'vitest';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { type Backend, openBackend, PersiDict, ValueStore } from '../../src/index.ts';
import { copyEntries } from '../../src/tiered/copy-entries.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// Layers write values past the backend's chunk size with putStream, so a large value is
// chunked like a streamed one: on MariaDB it passes the 16 MB packet limit that put() has.
const mysqlSkip = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const mysqlTable = uniqueName('layers_large');

afterAll(async () => {
  removeTempDirs();
  if (mysqlSkip) return;
  const b = await MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table: mysqlTable });
  await b.drop();
  await b.close();
});

async function chunkSets(backend: Backend): Promise<number> {
  const sets = new Set<string>();
  for await (const key of backend.keys('.stowage-chunks')) sets.add(key[1] as string);
  return sets.size;
}

const targets: [string, () => Promise<Backend>, string | undefined][] = [
  ['sqlite', () => openBackend(`sqlite:${tempDir('layers-large')}/s.sqlite`), undefined],
  [
    'mariadb',
    () => MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test', table: mysqlTable }),
    mysqlSkip,
  ],
];

for (const [name, open, skip] of targets) {
  describe.skipIf(skip !== undefined)(`large values through the layers: ${name}`, () => {
    it('PersiDict and ValueStore store values past the chunk size in chunks and read them back', async () => {
      const backend = await open();
      try {
        const big = new Float64Array(3 * 1024 * 1024).map((_, i) => i * 0.5); // 24 MiB
        const dict = new PersiDict<Float64Array>({ backend, prefix: 'd', codec: 'msgpack' });
        const etag = await dict.set('front', big);
        expect(await chunkSets(backend)).toBe(1);
        const back = (await dict.get('front')) as Float64Array;
        expect(back.length).toBe(big.length);
        expect(back[big.length - 1]).toBe((big.length - 1) * 0.5);
        expect(await dict.setIfMatch('front', big.subarray(0, 10), etag as string)).toBeTypeOf('string');
        expect(await chunkSets(backend)).toBe(0); // the small value replaced the chunks

        const values = new ValueStore({ backend, prefix: 'cas' });
        const digest = await values.put({ trace: big, label: 'run-1' });
        expect(await chunkSets(backend)).toBe(1);
        const read = (await values.get(digest)) as { trace: Float64Array; label: string };
        expect(read.label).toBe('run-1');
        expect(read.trace.length).toBe(big.length);
        expect(read.trace[12345]).toBe(12345 * 0.5);
      } finally {
        await backend.close();
      }
    }, 120_000);

    it('copyEntries (stowage cp, sync) copies a chunked value as a stream, chunked on the target too', async () => {
      const source = await openBackend(`sqlite:${tempDir('layers-copy')}/src.sqlite`);
      const target = await open();
      try {
        const value = new Uint8Array(20 * 1024 * 1024 + 5).map((_, i) => (i * 31) & 0xff);
        await source.putStream('copy/big', [value], { attrs: { kind: 'trace' } });
        await target.clear('copy');
        const setsBefore = await chunkSets(target);
        const report = await copyEntries(source, target, { prefix: 'copy' });
        expect(report.failures).toEqual([]);
        const copied = await target.stat('copy/big');
        expect(copied?.size).toBe(value.byteLength);
        expect(copied?.checksum).toBe((await source.stat('copy/big'))?.checksum);
        expect(copied?.attrs).toEqual({ kind: 'trace' });
        const again = await copyEntries(source, target, { prefix: 'copy' });
        expect(again.failures).toEqual([]);
        // Past a chunk of either store, the value is streamed, so it is chunked on the target
        // as on the source (and passes MariaDB's packet limit); the second copy wrote nothing.
        expect(again.copied).toBe(0);
        expect(await chunkSets(target)).toBe(setsBefore + 1);
        expect(await target.delete('copy/big')).toBe(true);
        expect(await chunkSets(target)).toBe(setsBefore);
      } finally {
        await source.close();
        await target.close();
      }
    }, 120_000);
  });
}
