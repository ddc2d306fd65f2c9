import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { CapacityError, OperationError, openBackend } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { uniqueName } from '../helpers/services.ts';

runConformanceSuite({
  name: 'memory',
  open: async () => new MemoryBackend(),
  missing: () => ({ type: 'memory', name: uniqueName('never-opened') }),
});
runConformanceSuite({
  name: 'memory (bounded, lru)',
  open: async () => new MemoryBackend({ maxBytes: 64 * 1024 * 1024 }),
  missing: () => ({ type: 'memory' }),
  streamsStayWhole: 'a bounded memory store evicts whole entries',
});

describe('memory extras', () => {
  it('evicts least recently used entries past maxBytes', async () => {
    const store = new MemoryBackend({ maxBytes: 10, policy: 'lru' });
    await store.put('a', bytes('aaaa'));
    await store.put('b', bytes('bbbb'));
    await store.get('a');
    await store.put('c', bytes('cccc'));
    expect(await store.get('b')).toBeUndefined();
    expect(text((await store.get('a'))?.value)).toBe('aaaa');
    expect((await store.info()).bytes).toBeLessThanOrEqual(10);
  });

  it('evicts in insertion order with fifo', async () => {
    const store = new MemoryBackend({ maxBytes: 10, policy: 'fifo' });
    await store.put('a', bytes('aaaa'));
    await store.put('b', bytes('bbbb'));
    await store.get('a');
    await store.put('c', bytes('cccc'));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeDefined();
  });

  it('rejects a single value larger than maxBytes', async () => {
    const store = new MemoryBackend({ maxBytes: 4 });
    await expect(store.put('big', bytes('12345'))).rejects.toBeInstanceOf(CapacityError);
    expect(await store.get('big')).toBeUndefined();
  });

  it('shares named stores within the process, via URL too', async () => {
    const a = await openBackend('memory://shared-test?maxBytes=1000');
    const b = await openBackend(a.toConfig());
    await a.put('k', bytes('v'));
    expect(text((await b.get('k'))?.value)).toBe('v');
    expect(a.toConfig()).toMatchObject({ type: 'memory', name: 'shared-test', maxBytes: 1000 });
  });

  it('refuses to reopen a named store with another bound instead of ignoring it', async () => {
    await openBackend('memory://bound-test?maxBytes=1000&policy=fifo');
    await expect(openBackend('memory://bound-test?maxBytes=2000')).rejects.toThrow(/maxBytes=1000.*maxBytes=2000/);
    await expect(openBackend('memory://bound-test?policy=lru')).rejects.toBeInstanceOf(OperationError);
    await expect(openBackend('memory://bound-test')).resolves.toBeDefined();
  });
});

// A bounded store evicts single entries: a streamed value kept as chunks could lose some of
// them and then read as corrupt, so it is kept whole and evicted whole.
describe('memory: streamed values in a store bounded by maxBytes', () => {
  it('keeps a streamed value as one entry, evicts it whole, and refuses what cannot fit', async () => {
    const store = new MemoryBackend({ maxBytes: 10_000, policy: 'fifo' });
    const pieces = Array.from({ length: 6 }, (_, i) => new Uint8Array(1000).fill(i + 1));
    const meta = await store.putStream('big/a', pieces, { attrs: { kind: 'trace' } });
    expect(meta.size).toBe(6000);
    const whole = await store.get('big/a');
    expect(whole?.value).toEqual(new Uint8Array(6000).map((_, i) => Math.floor(i / 1000) + 1));
    expect(whole?.meta.attrs).toEqual({ kind: 'trace' });
    expect(await store.getRange('big/a', 999, 2)).toEqual(new Uint8Array([1, 2]));

    await store.put('big/b', new Uint8Array(6000));
    expect(await store.get('big/a')).toBeUndefined();
    expect(await store.getStream('big/a')).toBeUndefined();
    const keys: string[] = [];
    for await (const key of store.keys(undefined, { recursive: true })) keys.push(key.join('/'));
    expect(keys).toEqual(['big/b']);

    await expect(store.putStream('big/c', [new Uint8Array(6000), new Uint8Array(6000)])).rejects.toThrow(CapacityError);
    await expect(store.putStream('big/c', [new Uint8Array(10)], { chunkBytes: 0 })).rejects.toThrow(/chunkBytes/);
    expect(await store.stat('big/c')).toBeUndefined();
    expect(await store.get('big/b')).toBeDefined();
  });
});
