import { afterAll, describe, expect, it, vi } from 'vitest';
import { LmdbBackend } from '../../src/backends/lmdb.ts';
import { CorruptValueError } from '../../src/index.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// lmdb-js's LMDB can fail a write transaction under multi-process load and abort it at
// commit (MDB_BAD_TXN, seen once in CI; see #write in src/backends/lmdb.ts). The real
// environment is wrapped so its next transactions fail that way before doing anything.
let failures = 0;
vi.mock('lmdb', async (importOriginal) => {
  const lmdb = await importOriginal<typeof import('lmdb')>();
  const open = (...args: Parameters<typeof lmdb.open>) => {
    const env = lmdb.open(...args);
    const transactionSync = env.transactionSync.bind(env);
    env.transactionSync = ((fn: () => unknown) => {
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error('MDB_BAD_TXN: Transaction must abort, has a child, or is invalid'), {
          code: -30782,
        });
      }
      return transactionSync(fn);
    }) as typeof env.transactionSync;
    return env;
  };
  return { ...lmdb, open, default: { ...lmdb, open } };
});

afterAll(removeTempDirs);

describe('lmdb write transactions aborted by LMDB', () => {
  it('run again, condition included, and then succeed; a lasting failure is still reported', async () => {
    const store = await LmdbBackend.open({ path: tempDir('lmdb-retry') });
    try {
      const first = await store.put('k', bytes('one'));
      failures = 2;
      const second = await store.put('k', bytes('two'), { ifMatch: first.etag });
      expect(failures).toBe(0);
      expect(text((await store.get('k'))?.value)).toBe('two');
      failures = 3;
      await expect(store.put('k', bytes('three'), { ifMatch: second.etag })).rejects.toBeInstanceOf(CorruptValueError);
      failures = 0;
      expect(text((await store.get('k'))?.value)).toBe('two');
    } finally {
      await store.close();
    }
  });
});
