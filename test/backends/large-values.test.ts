import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { CapacityError } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';

// Values well past an engine's own single-value limit go through chunks: MariaDB refuses
// any packet over max_allowed_packet (16 MiB on the test server), so a 100 MB put() fails
// while putStream() stores and reads it back intact.
const HOST = '127.0.0.1';
const PORT = 3306;
const skipReason = await serviceSkipReason('MariaDB', HOST, PORT);
const base = { host: HOST, port: PORT, user: process.env.STOWAGE_MYSQL_USER ?? 'root', database: 'test' };
const table = uniqueName('large');

afterAll(async () => {
  if (skipReason) return;
  const b = await MysqlBackend.open({ ...base, table });
  await b.drop();
  await b.close();
});

const MB = 1024 * 1024;

/** `total` deterministic bytes in 1 MiB pieces, never held whole; hashes what it yields. */
function generated(total: number, hash: ReturnType<typeof createHash>): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let at = 0; at < total; at += MB) {
      const piece = Buffer.alloc(Math.min(MB, total - at), (at / MB) % 251);
      piece.writeUInt32BE(at >>> 0, 0);
      hash.update(piece);
      yield piece;
    }
  })();
}

describe.skipIf(skipReason !== undefined)('large values on MariaDB, past max_allowed_packet', () => {
  it('stores and reads back 100 MB with putStream / getStream / getRange', async () => {
    const connection = await mysql.createConnection(base);
    const [rows] = await connection.query('SELECT @@max_allowed_packet AS packet');
    await connection.end();
    const packet = Number((rows as { packet: number }[])[0]?.packet);
    const total = 100 * MB + 7;
    expect(packet).toBeLessThan(total);

    const store = await MysqlBackend.open({ ...base, table });
    try {
      const written = createHash('sha256');
      const meta = await store.putStream('big/value', generated(total, written), { attrs: { kind: 'trace' } });
      expect(meta.size).toBe(total);
      expect((await store.stat('big/value'))?.size).toBe(total);

      const read = createHash('sha256');
      let size = 0;
      const found = await store.getStream('big/value');
      for await (const part of found?.stream ?? []) {
        read.update(part);
        size += part.byteLength;
      }
      expect(size).toBe(total);
      expect(read.digest('hex')).toBe(written.digest('hex'));

      // A range across the first chunk boundary (4 MiB) reads the two chunks that hold it.
      const range = await store.getRange('big/value', 4 * MB - 2, 8);
      expect(Array.from(range ?? [])).toEqual([3, 3, 0, 0x40, 0, 0, 4, 4]);

      // One put() of the same size is past the engine's packet limit.
      await expect(store.put('big/whole', new Uint8Array(20 * MB))).rejects.toBeInstanceOf(CapacityError);

      expect(await store.delete('big/value')).toBe(true);
      let left = 0;
      for await (const _ of store.keys('.stowage-chunks')) left++;
      expect(left).toBe(0);
    } finally {
      await store.close();
    }
  }, 300_000);
});
