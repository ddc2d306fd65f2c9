import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import {
  type Backend,
  ConnectionError,
  openBackend,
  StorageError,
  TieredBackend,
  UnknownOutcomeError,
} from '../../src/index.ts';
import { faulty } from '../helpers/faulty-backend.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { FULL, recordFigure, size } from './figures.ts';

afterAll(removeTempDirs);

const WRITES = size(2000, 200);

describe('a tier that fails or hangs mid-run', () => {
  it('secondary failing and hanging: no acknowledged write lost, reads fall back, sync repairs', async () => {
    const primary = new MemoryBackend();
    const secondaryStore = new MemoryBackend();
    let mode: 'fail' | 'hang' | undefined;
    const tiered = new TieredBackend({
      primary,
      secondary: faulty(secondaryStore, () => mode),
      secondaryTimeoutMs: 50,
    });
    const acknowledged: string[] = [];
    for (let i = 0; i < WRITES; i++) {
      mode = i % 7 === 0 ? 'fail' : i % 11 === 0 ? 'hang' : undefined;
      await tiered.put(`w/${i}`, new TextEncoder().encode(String(i)));
      acknowledged.push(`w/${i}`);
    }
    mode = undefined;
    const failures = tiered.secondaryFailures.length;
    for (const key of acknowledged) expect((await primary.stat(key))?.size).toBeGreaterThan(0);
    const missingBefore = acknowledged.length - (await secondaryStore.info()).entries;
    const report = await tiered.sync();
    expect(report.errors).toBe(0);
    expect((await secondaryStore.info()).entries).toBe(acknowledged.length);
    recordFigure(
      'Faults (tiered)',
      'writes acknowledged while the secondary failed or hung',
      `${acknowledged.length} / ${WRITES} kept`,
      `${failures} secondary failures reported; ${missingBefore} copies missing before sync, ${report.copied} copied by sync, 0 after`,
    );
  });

  it('primary failing: writes fail loudly (never acknowledged), reads fall back to the secondary', async () => {
    const primaryStore = new MemoryBackend();
    const secondary = new MemoryBackend();
    let down = false;
    const tiered = new TieredBackend({ primary: faulty(primaryStore, () => (down ? 'fail' : undefined)), secondary });
    const acknowledged = new Set<string>();
    let refused = 0;
    for (let i = 0; i < WRITES; i++) {
      down = i % 5 === 0;
      try {
        await tiered.put(`p/${i}`, new TextEncoder().encode(String(i)));
        acknowledged.add(`p/${i}`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectionError);
        refused++;
      }
    }
    down = true;
    for (const key of acknowledged) expect(new TextDecoder().decode((await tiered.get(key))?.value)).toBe(key.slice(2));
    down = false;
    for (const key of acknowledged) expect(await primaryStore.stat(key)).toBeDefined();
    recordFigure(
      'Faults (tiered)',
      'writes while the primary failed',
      `${acknowledged.size} acknowledged, ${refused} refused`,
      'every acknowledged write readable through the fallback while the primary was down, and present on the primary',
    );
  });
});

const rd = await serviceSkipReason('Redis', '127.0.0.1', 6379);
const pg = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);

async function untilUp(store: Backend, key: string, deadline = 60_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      await store.put(key, new Uint8Array([1]));
      return Date.now() - start;
    } catch (error) {
      expect(error).toBeInstanceOf(StorageError);
      if (Date.now() - start > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// Restarting a shared server would break the other test files `npm test` runs in parallel,
// so restarts run in the full suite only (`npm run test:reliability`, one file at a time).
describe.runIf(FULL)('server restarts (loopback only)', () => {
  it.skipIf(rd !== undefined)(
    'redis: a write while down fails as ConnectionError or UnknownOutcomeError, a read as ConnectionError; works again once back',
    async () => {
      const store = await openBackend(`redis://127.0.0.1:6379/0?prefix=${uniqueName('restart')}`);
      await store.put('before', new Uint8Array([1]));
      execSync('redis-cli -h 127.0.0.1 -p 6379 shutdown nosave || true');
      let writeError: unknown;
      let readError: unknown;
      try {
        // The client has not yet seen the socket close, so this write goes out on a dead
        // connection: whether it was applied is unknown, and the error must say so.
        writeError = await store.put('during', new Uint8Array([1])).catch((e: unknown) => e);
        readError = await store.get('before').catch((e: unknown) => e);
      } finally {
        execSync(
          'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
        );
      }
      try {
        expect(writeError instanceof ConnectionError || writeError instanceof UnknownOutcomeError).toBe(true);
        expect(readError).toBeInstanceOf(ConnectionError);
        const error = writeError;
        const ms = await untilUp(store, 'after');
        expect(await store.stat('after')).toBeDefined();
        recordFigure(
          'Server restarts',
          'redis: error while down, recovery after restart',
          `${(error as Error).constructor.name}; back after ${ms} ms`,
          'Redis keeps nothing on disk here, so data written before the restart is gone with the server',
        );
      } finally {
        // What was written after the restart (the key, the index, the byte count) stays otherwise.
        await store.clear().catch(() => undefined);
        await store.close();
      }
    },
    120_000,
  );

  it.skipIf(pg !== undefined)(
    'postgres: ConnectionError or UnknownOutcomeError while down, data intact once back',
    async () => {
      const table = uniqueName('restart');
      const store = await openBackend(`postgres://postgres@127.0.0.1:5432/test?table=${table}&connectTimeoutMs=2000`);
      await store.put('before', new TextEncoder().encode('kept'));
      const version = readdirSync('/etc/postgresql')[0];
      execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main stop -m fast`);
      let error: unknown;
      try {
        error = await store.put('during', new Uint8Array([1])).catch((e: unknown) => e);
      } finally {
        execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`);
      }
      expect(error instanceof ConnectionError || error instanceof UnknownOutcomeError).toBe(true);
      const ms = await untilUp(store, 'after');
      expect(new TextDecoder().decode((await store.get('before'))?.value)).toBe('kept');
      recordFigure(
        'Server restarts',
        'postgres: error while down, recovery after restart',
        `${(error as Error).constructor.name}; back after ${ms} ms`,
        'the value written before the restart read back intact',
      );
      await (store as Backend & { drop(): Promise<void> }).drop();
      await store.close();
    },
    120_000,
  );
});
