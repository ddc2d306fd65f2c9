import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST, processAlive } from '../../core/process-alive.ts';
import { STALE_MARKER } from './file-names.ts';

/*
 * A per-key lock file created with O_EXCL, treated as a lease: it records its holder
 * (host, pid, time, id). A lock whose holder process is gone, or that is older than the
 * lease, is taken away. Locks are short: they cover one read-check-write of one key.
 * Within a process, waiters queue on a promise chain instead of polling the file.
 */

interface LockRecord {
  host: string;
  pid: number;
  time: number;
  id: string;
}

/** Timing of {@link FileLocks}. */
export interface LockTiming {
  /** A lock older than this is considered abandoned (ms). */
  leaseMs: number;
  /** Give up acquiring after this long (ms). */
  timeoutMs: number;
}

async function readRecord(file: string): Promise<LockRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/** Thrown when a lock cannot be acquired in time. */
export class LockTimeoutError extends Error {}

/** Acquires and releases per-key lock files. */
export class FileLocks {
  readonly #timing: LockTiming;
  readonly #queues = new Map<string, Promise<void>>();

  constructor(timing: LockTiming) {
    this.#timing = timing;
  }

  /** Runs `fn` while holding the lock file `file`. */
  async withLock<T>(file: string, fn: (stillHeld: () => Promise<boolean>) => Promise<T>): Promise<T> {
    const previous = this.#queues.get(file) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const chained = previous.then(() => mine);
    this.#queues.set(file, chained);
    await previous;
    try {
      const id = await this.#acquire(file);
      try {
        return await fn(async () => (await readRecord(file))?.id === id);
      } finally {
        await this.#release(file, id);
      }
    } finally {
      release();
      if (this.#queues.get(file) === chained) this.#queues.delete(file);
    }
  }

  async #acquire(file: string): Promise<string> {
    const id = randomBytes(9).toString('base64url');
    const record: LockRecord = { host: HOST, pid: process.pid, time: Date.now(), id };
    const deadline = Date.now() + this.#timing.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(file, 'wx');
        try {
          await handle.writeFile(JSON.stringify(record));
        } finally {
          await handle.close();
        }
        return id;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          await mkdir(dirname(file), { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw error;
      }
      if (await this.#breakIfStale(file)) continue;
      if (Date.now() > deadline)
        throw new LockTimeoutError(`lock ${file} still held after ${this.#timing.timeoutMs} ms`);
      await sleep(Math.min(50, 1 + attempt) * (0.5 + Math.random()));
    }
  }

  async #breakIfStale(file: string): Promise<boolean> {
    const record = await readRecord(file);
    if (record) {
      const dead = record.host === HOST && !processAlive(record.pid);
      if (!dead && Date.now() - record.time < this.#timing.leaseMs) return false;
    } else {
      // Unreadable: its holder may be between create and write; give it a moment.
      try {
        if (Date.now() - (await stat(file)).mtimeMs < 1000) return false;
      } catch {
        return true;
      }
    }
    // Move the stale lock aside under a unique name, then make sure it was the one we
    // judged: if another process replaced it meanwhile, put that fresh lock back.
    const aside = `${file}${STALE_MARKER}${randomBytes(6).toString('hex')}`;
    try {
      await rename(file, aside);
    } catch {
      return true;
    }
    const moved = await readRecord(aside);
    if (record && moved?.id !== record.id) {
      await link(aside, file).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
    return true;
  }

  async #release(file: string, id: string): Promise<void> {
    if ((await readRecord(file))?.id === id) await unlink(file).catch(() => undefined);
  }
}
