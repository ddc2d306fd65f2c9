import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../src/backends/redis.ts';
import { ConnectionError, openBackend } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';

const HOST = '127.0.0.1';
const PORT = 6379;
const skipReason = await serviceSkipReason('Redis', HOST, PORT);
const prefixes: string[] = [];

function open(prefix = uniqueName('t')) {
  prefixes.push(prefix);
  return RedisBackend.open({ host: HOST, port: PORT, prefix });
}

afterAll(async () => {
  if (skipReason) return;
  for (const prefix of prefixes) {
    const b = await RedisBackend.open({ host: HOST, port: PORT, prefix });
    await b.drop();
    await b.close();
  }
});

runConformanceSuite({
  name: 'redis',
  open: () => open(),
  missing: () => ({ type: 'redis', host: HOST, port: PORT, prefix: uniqueName('missing') }),
  skipReason,
});

describe.skipIf(skipReason !== undefined)('redis extras', () => {
  it('opens from a URL with db and prefix, and keeps prefixes apart', async () => {
    const prefix = uniqueName('url');
    prefixes.push(prefix);
    const a = await openBackend(`redis://${HOST}:${PORT}/0?prefix=${prefix}`);
    const b = await open();
    await a.put('k', bytes('a'));
    expect(await b.get('k')).toBeUndefined();
    expect(a.toConfig()).toMatchObject({ type: 'redis', host: HOST, port: PORT, prefix });
    await a.close();
    await b.close();
  });

  it('leaves no Redis key behind once clear() or delete() emptied the store', async () => {
    const prefix = uniqueName('empty');
    prefixes.push(prefix);
    const store = await open(prefix);
    const raw = new Redis({ host: HOST, port: PORT });
    const keysOfStore = async () => (await raw.keys(`*${prefix}*`)).sort();
    try {
      await store.putMany([
        { key: 'a/1', value: bytes('x') },
        { key: 'a/2', value: bytes('yy') },
      ]);
      expect((await store.info()).bytes).toBe(3);
      await store.clear();
      expect(await keysOfStore()).toEqual([]);
      await store.put('b', bytes('z'));
      await store.delete('b');
      expect(await keysOfStore()).toEqual([]);
      expect((await store.info()).bytes).toBe(0);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('stores command-injection strings verbatim', async () => {
    const store = await open();
    const nasty = 'x\r\nFLUSHALL\r\n';
    const key = ['*', "redis.call('FLUSHALL')", '[a-z]'];
    await store.put(key, bytes(nasty), { attrs: { q: ']] FLUSHDB --' } });
    expect(text((await store.get(key))?.value)).toBe(nasty);
    const listed: string[] = [];
    for await (const e of store.list('*', { where: { q: ']] FLUSHDB --' } })) listed.push(e.key.join('/'));
    expect(listed).toEqual([key.join('/')]);
    await store.close();
  });

  it('reports an unreachable server as ConnectionError naming host and port, never the password', async () => {
    const error = await openBackend('redis://:hunter2-secret@127.0.0.1:1/0?connectTimeoutMs=500').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(String((error as Error).message)).toContain('127.0.0.1:1');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('hunter2');
  });

  it('keeps a password the server rejects out of the error', async () => {
    // The test server has no password: AUTH with one fails, and its message must not echo it.
    const error = await openBackend(`redis://:s3cret-pass@${HOST}:${PORT}/0?prefix=${uniqueName('pw')}`).then(
      async (store) => {
        const info = JSON.stringify([await store.info(), store.toConfig()]);
        await store.close();
        return info;
      },
      (e: unknown) => JSON.stringify(e, Object.getOwnPropertyNames(e as object)),
    );
    expect(error).not.toContain('s3cret-pass');
  });
});
