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
