import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLockFile, LockBusyError } from '../../src/backends/kit/lock-file.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

// pid 2^22+1 is above Linux's pid_max default, so it is not running.
const DEAD_PID = 2 ** 22 + 1;
const WHOLE_FILE = { leaseMs: Number.POSITIVE_INFINITY, waitMs: 0 };

function writeRecord(file: string, record: object): void {
  writeFileSync(file, JSON.stringify(record));
}

describe('the shared lock-file protocol', () => {
  it('records its holder, and release removes only its own lock', async () => {
    const file = join(tempDir('lock-own'), 'deep', 'dir', 'x.lock');
    const lock = await acquireLockFile(file, WHOLE_FILE);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({ host: hostname(), pid: process.pid });
    expect(lock.tookOver).toBe(false);
    expect(await lock.stillHeld()).toBe(true);
    // Its lease was taken over: the file now holds a successor's record.
    writeRecord(file, { ...record, id: 'successor' });
    expect(await lock.stillHeld()).toBe(false);
    await lock.release();
    expect(JSON.parse(readFileSync(file, 'utf8')).id).toBe('successor');
  });

  it('refuses a live holder at once, naming it, and after waiting', async () => {
    const file = join(tempDir('lock-busy'), 'x.lock');
    const held = await acquireLockFile(file, WHOLE_FILE);
    const error = await acquireLockFile(file, WHOLE_FILE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBusyError);
    expect((error as LockBusyError).message).toContain(`in use by process ${process.pid}`);
    expect((error as LockBusyError).holder?.pid).toBe(process.pid);
    await expect(acquireLockFile(file, { leaseMs: 60_000, waitMs: 50 })).rejects.toThrow(/waited 50 ms/);
    await held.release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over the lock of a dead holder and says so', async () => {
    const file = join(tempDir('lock-dead'), 'x.lock');
    writeRecord(file, { host: hostname(), pid: DEAD_PID, time: Date.now(), id: 'dead' });
    const lock = await acquireLockFile(file, WHOLE_FILE);
    expect(lock.tookOver).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a live holder only once its lease has run out', async () => {
    const file = join(tempDir('lock-lease'), 'x.lock');
    writeRecord(file, { host: hostname(), pid: process.pid, time: Date.now(), id: 'live' });
    await expect(acquireLockFile(file, { leaseMs: 60_000, waitMs: 0 })).rejects.toBeInstanceOf(LockBusyError);
    writeRecord(file, { host: hostname(), pid: process.pid, time: Date.now() - 61_000, id: 'expired' });
    const lock = await acquireLockFile(file, { leaseMs: 60_000, waitMs: 0 });
    expect(lock.tookOver).toBe(true);
    await lock.release();
  });

  it('gives an unreadable lock time to get its record, then takes it over', async () => {
    const file = join(tempDir('lock-unreadable'), 'x.lock');
    writeFileSync(file, '');
    await expect(acquireLockFile(file, WHOLE_FILE)).rejects.toThrow(/in use by another process/);
    const old = (Date.now() - 5_000) / 1000;
    utimesSync(file, old, old);
    const lock = await acquireLockFile(file, WHOLE_FILE);
    expect(lock.tookOver).toBe(true);
    await lock.release();
  });

  it('lets only one of many recoverers of the same dead lock hold it at a time', async () => {
    const dir = tempDir('lock-race');
    const file = join(dir, 'x.lock');
    let holding = 0;
    let most = 0;
    let done = 0;
    // Recoverers that judge the dead lock at slightly different moments: a late one must
    // not remove the fresh lock an early one has taken meanwhile.
    for (let round = 0; round < 40; round++) {
      writeRecord(file, { host: hostname(), pid: DEAD_PID, time: Date.now(), id: 'dead' });
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          await sleep(i % 2);
          const lock = await acquireLockFile(file, { leaseMs: 60_000, waitMs: 30_000 });
          holding++;
          most = Math.max(most, holding);
          await sleep(1);
          holding--;
          done++;
          await lock.release();
        }),
      );
    }
    expect(done).toBe(160);
    expect(most).toBe(1);
    // No take-over claim is left behind.
    expect(readdirSync(dir)).toEqual([]);
  });
});
