import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * The one lock-file protocol of the backends that guard something with a file: fs (one
 * key, for one read-check-write) and hdf5 (a whole file, while a process has it open).
 *
 * - Taking: the lock file is created with O_EXCL and holds a LockRecord naming its holder.
 * - Staleness: a lock is stale when its holder is a process of this machine that no longer
 *   exists, or when it is older than the lease. A lock that cannot be read belongs to a
 *   holder between create and write, or to one that died there; it is stale once older
 *   than UNREADABLE_GRACE_MS.
 * - Take-over: several processes may judge the same stale lock at once, and removing it
 *   by name could then remove the fresh lock the fastest one has just taken. So a stale
 *   lock is only removed by the recoverer holding its take-over claim (a second O_EXCL
 *   file, held for one look and one unlink), and only if the lock is still, to the inode,
 *   record and time, the one it judged; apart from that recoverer, only a lock's own
 *   holder removes it. (Moving the lock aside and putting it back when it proved fresh
 *   leaves a gap in which a third process can create its own: two holders at once.)
 * - Release: the file is removed only while it still holds this holder's record. A live
 *   holder whose lease ran out can still lose its lock between that check and the unlink,
 *   which is why a lease holder checks its condition again when it commits (stillHeld).
 */

/** This machine's host name: only holders on this host can be probed for life. */
const HOST = hostname();

/** How long an unreadable lock is given to get its record written. */
const UNREADABLE_GRACE_MS = 1000;

/** A take-over claim is held for one stat, one read and one unlink; older, its holder is stuck. */
const CLAIM_LEASE_MS = 5000;

/**
 * Suffix of a lock's take-over claim (`<lock file>~s`), so a directory scan can tell the
 * claim a recoverer killed mid-take-over leaves behind from a lock.
 */
export const TAKE_OVER_SUFFIX = '~s';

/** Who holds a lock: written into the lock file when it is taken. */
export interface LockRecord {
  readonly host: string;
  readonly pid: number;
  /** When the lock was taken (ms since the epoch): the start of the lease. */
  readonly time: number;
  /** Unique per acquisition, so a process tells its own lock from a later one of its own. */
  readonly id: string | undefined;
}

/** How a lock is held and waited for. */
export interface LockPolicy {
  /**
   * A lock older than this is taken over even when its holder is alive (ms): `Infinity`
   * for a lock held as long as a store is open, which only its holder's death frees.
   */
  readonly leaseMs: number;
  /** How long to wait for a live holder before giving up (ms); 0 gives up at once. */
  readonly waitMs: number;
}

/** A lock file taken by {@link acquireLockFile}. */
export interface HeldLock {
  /** The lock was taken over from a holder judged gone: what it guarded may hold a half-done write. */
  readonly tookOver: boolean;
  /** Whether the lock file still holds this holder's record (a lease can be taken over). */
  stillHeld(): Promise<boolean>;
  /** Removes the lock file if it still holds this holder's record. */
  release(): Promise<void>;
}

/** Thrown when a lock is still held by someone else after {@link LockPolicy.waitMs}. */
export class LockBusyError extends Error {
  /** The holder, when its record could be read. */
  readonly holder: LockRecord | undefined;

  constructor(file: string, holder: LockRecord | undefined, waitedMs: number) {
    const who = holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
    super(`lock ${file} is in use by ${who}${waitedMs > 0 ? ` (waited ${waitedMs} ms)` : ''}`);
    this.name = 'LockBusyError';
    this.holder = holder;
  }
}

/** Whether a process with this id exists on this machine (EPERM: it does, owned by another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file is at one moment: its record (if readable) and the file's identity. */
interface Observation {
  readonly record: LockRecord | undefined;
  readonly inode: number;
  readonly mtimeMs: number;
}

/** The staleness rule: the holder died on this machine, or the lease ran out. */
function isStale(seen: Observation, leaseMs: number): boolean {
  if (!seen.record) return Date.now() - seen.mtimeMs >= UNREADABLE_GRACE_MS;
  if (seen.record.host === HOST && !processAlive(seen.record.pid)) return true;
  return Date.now() - seen.record.time >= leaseMs;
}

/** Whether two observations are of the same lock (not a later one, even in a reused inode). */
function sameLock(a: Observation, b: Observation): boolean {
  if (a.inode !== b.inode || a.mtimeMs !== b.mtimeMs) return false;
  if (!a.record || !b.record) return a.record === b.record;
  const [x, y] = [a.record, b.record];
  return x.id === y.id && x.pid === y.pid && x.host === y.host && x.time === y.time;
}

/** The record in a lock file; `undefined` when it is missing or cannot be read. */
async function readRecord(file: string): Promise<LockRecord | undefined> {
  let parsed: Partial<Record<keyof LockRecord, unknown>> | null;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed?.host !== 'string' || typeof parsed.pid !== 'number') return undefined;
  return {
    host: parsed.host,
    pid: parsed.pid,
    // A record without a time (written by hand) counts as taken at the epoch: as old as can be.
    time: typeof parsed.time === 'number' ? parsed.time : 0,
    id: typeof parsed.id === 'string' ? parsed.id : undefined,
  };
}

/** The lock file as it is now; `undefined` when there is none. */
async function observe(file: string): Promise<Observation | undefined> {
  try {
    const { ino, mtimeMs } = await stat(file);
    return { record: await readRecord(file), inode: ino, mtimeMs };
  } catch {
    return undefined;
  }
}

/** Creates the lock file holding `record`; false when a lock file already exists. */
async function create(file: string, record: LockRecord): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'ENOENT') throw error;
    await mkdir(dirname(file), { recursive: true });
    return create(file, record);
  }
  try {
    await handle.writeFile(JSON.stringify(record));
  } catch (error) {
    await handle.close();
    await unlink(file).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return true;
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Removes the stale lock `judged` if it is still there, holding the lock's take-over
 * claim meanwhile; false when another recoverer holds the claim (a stale claim is cleared).
 */
async function takeOver(file: string, judged: Observation, claimant: LockRecord): Promise<boolean> {
  const claim = `${file}${TAKE_OVER_SUFFIX}`;
  if (!(await create(claim, claimant))) {
    const other = await observe(claim);
    // A claim outlives its take-over only when its holder died or hangs; the window this
    // removal by name leaves needs such a death during another take-over of the same lock.
    if (other && isStale(other, CLAIM_LEASE_MS)) await unlinkIfPresent(claim);
    return false;
  }
  try {
    const now = await observe(file);
    if (now && sameLock(now, judged)) await unlinkIfPresent(file);
  } finally {
    await unlink(claim).catch(() => undefined);
  }
  return true;
}

/**
 * Takes the lock file `file` (creating its directory if needed), taking over a stale one,
 * and waits up to `policy.waitMs` for a live holder; then throws {@link LockBusyError}.
 */
export async function acquireLockFile(file: string, policy: LockPolicy): Promise<HeldLock> {
  const record: LockRecord = {
    host: HOST,
    pid: process.pid,
    time: Date.now(),
    id: randomBytes(9).toString('base64url'),
  };
  const deadline = Date.now() + policy.waitMs;
  let tookOver = false;
  for (let attempt = 0; ; attempt++) {
    if (await create(file, record)) break;
    const seen = await observe(file);
    if (!seen) continue;
    const backoff = () => sleep(Math.min(50, 1 + attempt) * (0.5 + Math.random()));
    if (isStale(seen, policy.leaseMs)) {
      tookOver = true;
      // Another recoverer is taking it over: its claim is held for moments, so wait for it.
      if (!(await takeOver(file, seen, record))) await backoff();
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(file, seen.record, policy.waitMs);
    await backoff();
  }
  const stillHeld = async () => (await readRecord(file))?.id === record.id;
  return {
    tookOver,
    stillHeld,
    async release() {
      if (await stillHeld()) await unlink(file).catch(() => undefined);
    },
  };
}

/** A lock file taken by {@link tryLockFileSync}: checked and released synchronously. */
export interface HeldLockSync {
  stillHeld(): boolean;
  release(): void;
}

/**
 * Takes the lock file `file` in one synchronous step when nobody holds it and its
 * directory exists; `undefined` otherwise, and the caller takes the ordinary path
 * ({@link acquireLockFile}: waiting, stale locks, directory creation). Same record, same
 * protocol: it only skips the event-loop hops of the common, uncontended case.
 */
export function tryLockFileSync(file: string): HeldLockSync | undefined {
  const record: LockRecord = {
    host: HOST,
    pid: process.pid,
    time: Date.now(),
    id: randomBytes(9).toString('base64url'),
  };
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    writeFileSync(fd, JSON.stringify(record));
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {}
    throw error;
  }
  closeSync(fd);
  const stillHeld = () => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { id?: unknown }).id === record.id;
    } catch {
      return false;
    }
  };
  return {
    stillHeld,
    release() {
      if (!stillHeld()) return;
      try {
        unlinkSync(file);
      } catch {}
    },
  };
}
