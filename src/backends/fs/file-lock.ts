import { acquireLockFile, type LockPolicy } from '../kit/lock-file.ts';

/*
 * Per-key lock files (the protocol is kit/lock-file.ts), held for one read-check-write of
 * one key, as a lease. Within a process, waiters queue on a promise chain instead of
 * polling the file.
 */

/** Acquires and releases per-key lock files. */
export class FileLocks {
  readonly #policy: LockPolicy;
  readonly #queues = new Map<string, Promise<void>>();

  constructor(policy: LockPolicy) {
    this.#policy = policy;
  }

  /** True when no call of this process holds or waits for the lock file `file`. */
  idle(file: string): boolean {
    return !this.#queues.has(file);
  }

  /** Runs `fn` while holding the lock file `file`; `stillHeld` tells whether the lease was taken over since. */
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
      const lock = await acquireLockFile(file, this.#policy);
      try {
        return await fn(lock.stillHeld);
      } finally {
        await lock.release();
      }
    } finally {
      release();
      if (this.#queues.get(file) === chained) this.#queues.delete(file);
    }
  }
}
