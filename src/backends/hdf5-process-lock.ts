import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConnectionError } from '../core/errors.ts';
import { HOST, processAlive } from '../core/process-alive.ts';

/** A held lock file; `release` removes it. */
export interface ProcessLock {
  release(): void;
  /** The lock file was left by a process that died holding it: the file may hold torn writes. */
  readonly tookOverFromDeadProcess: boolean;
}

interface Holder {
  host: string;
  pid: number;
  time: number;
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/*
 * A whole-file lock for engines without concurrent writers (HDF5): created with O_EXCL,
 * holding host and pid. A lock whose holder process is gone (same host) is taken over, so
 * a crash never needs manual repair; a live holder makes the open fail with its pid.
 */
export function acquireProcessLock(file: string, backend: string): ProcessLock {
  const mine: Holder = { host: HOST, pid: process.pid, time: Date.now() };
  let tookOverFromDeadProcess = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return {
        tookOverFromDeadProcess,
        release() {
          if (readHolder(file)?.pid === mine.pid) unlinkSync(file);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConnectionError(`Cannot create the lock file ${file}: ${(error as Error).message}`, {
          backend,
          cause: error,
        });
      }
    }
    const holder = readHolder(file);
    // An unreadable lock is either being written right now or was left by a crash between
    // create and write; only an old one is taken to be the latter.
    const abandoned = holder ? holder.host === HOST && !processAlive(holder.pid) : ageMs(file) > 2000;
    if (!abandoned) {
      const who = holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
      throw new ConnectionError(`The file is in use by ${who} (lock ${file})`, { backend });
    }
    tookOverFromDeadProcess = true;
    // Two processes may judge the same dead lock at once; unlinking by name could then remove
    // the fresh lock the faster one just took. Move it aside under a unique name instead and
    // check it was the lock judged; if it was a fresh one, put it back.
    const aside = `${file}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch {
      continue; // someone else moved it first; try creating ours
    }
    const moved = readHolder(aside);
    const same = holder ? moved?.pid === holder.pid && moved?.time === holder.time : moved === undefined;
    if (!same) {
      try {
        linkSync(aside, file);
      } catch {
        // A third process created a lock meanwhile; it keeps the file, and we retry.
      }
    }
    unlinkSync(aside);
  }
  throw new ConnectionError(`Cannot take the lock file ${file}`, { backend });
}
