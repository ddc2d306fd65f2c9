import keyvTestSuite, { keyvIteratorTests, keyvNamespaceTest } from '@keyv/test-suite';
import Keyv from 'keyv';
import * as Vitest from 'vitest';
import { KeyvStowage } from '../src/adapters/keyv.ts';
import { MemoryBackend } from '../src/backends/memory.ts';
import { removeTempDirs, tempDir } from './helpers/temp-dir.ts';

Vitest.afterAll(removeTempDirs);

const sqliteDir = tempDir('keyv-sqlite');
let n = 0;

Vitest.describe('keyv test suite: memory', () => {
  const store = () => new KeyvStowage(new MemoryBackend());
  keyvTestSuite(Vitest, Keyv, store);
  keyvNamespaceTest(Vitest, Keyv, store);
});

Vitest.describe('keyv test suite: sqlite', () => {
  const store = () => new KeyvStowage(`sqlite:${sqliteDir}/keyv-${n++}.sqlite`);
  keyvTestSuite(Vitest, Keyv, store);
  keyvIteratorTests(Vitest, Keyv, store);
  keyvNamespaceTest(Vitest, Keyv, store);
});

Vitest.describe('KeyvStowage', () => {
  Vitest.it('never returns expired entries, and purges them', async () => {
    const backend = new MemoryBackend();
    const store = new KeyvStowage(backend);
    const keyv = new Keyv({ store });
    await keyv.set('short', 'gone soon', 20);
    await keyv.set('long', 'stays', 60_000);
    await keyv.set('forever', 'no ttl');
    await new Promise((r) => setTimeout(r, 40));
    Vitest.expect(await store.get('keyv:short')).toBeUndefined();
    await keyv.set('short2', 'x', 10);
    await new Promise((r) => setTimeout(r, 25));
    Vitest.expect(await store.purgeExpired()).toBe(1);
    Vitest.expect((await backend.info()).entries).toBe(2);
    Vitest.expect(await keyv.get('long')).toBe('stays');
  });

  Vitest.it('stores keys with any characters', async () => {
    const keyv = new Keyv({ store: new KeyvStowage(new MemoryBackend()) });
    for (const key of ['a/b', '..', '', '%41', 'x'.repeat(400), 'tab\there', '\ud800lone']) {
      await keyv.set(key, key.length);
      Vitest.expect(await keyv.get(key)).toBe(key.length);
    }
  });
});
