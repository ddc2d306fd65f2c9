import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as H5 from 'h5wasm';
import { ConnectionError } from '../../core/errors.ts';
import { acquireLockFile, type HeldLock, LockBusyError, type LockPolicy } from '../kit/lock-file.ts';
import { SerialQueue } from '../kit/serial-queue.ts';
import type { AbandonedDatasets, GroupState } from './group-state.ts';
import { type H5Module, hdf5Error, openH5File } from './h5wasm.ts';
import { lockFileOf } from './names.ts';
import { openRecovered, readAbandoned } from './recovery.ts';

/**
 * One open file per path and process. HDF5 keeps caches per handle, so two stores on the
 * same file must share the handle (and the index) to see each other's writes.
 */
export interface OpenFile {
  readonly h5: H5Module;
  /** The handle; compaction replaces it. */
  file: H5.File;
  readonly lock: HeldLock;
  /** Datasets that must never be written again (see recovery.ts). */
  abandoned: AbandonedDatasets;
  /** The groups opened so far, by name. */
  readonly groups: Map<string, GroupState>;
  refs: number;
}

const openFiles = new Map<string, OpenFile>();
// Opens and closes run one at a time, so an open never meets the lock file of a close of
// this process that is still releasing it.
const openings = new SerialQueue();

/*
 * HDF5 has no concurrent writers, so the file's lock is held as long as this process has
 * the file open: no lease, and a live holder makes the open fail at once, naming it.
 */
const WHOLE_FILE_LOCK: LockPolicy = { leaseMs: Number.POSITIVE_INFINITY, waitMs: 0 };

async function takeLock(path: string, label: string): Promise<HeldLock> {
  const file = lockFileOf(path);
  try {
    return await acquireLockFile(file, WHOLE_FILE_LOCK);
  } catch (error) {
    const message =
      error instanceof LockBusyError
        ? `Cannot open the HDF5 file: ${error.message}`
        : `Cannot take the lock file ${file}: ${(error as Error).message}`;
    throw new ConnectionError(message, { backend: label, cause: error });
  }
}

async function openFile(h5: H5Module, path: string, label: string): Promise<OpenFile> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = await takeLock(path, label);
  try {
    let opened: { file: H5.File; abandoned: AbandonedDatasets };
    if (lock.tookOver) {
      opened = openRecovered(h5, path, label);
    } else {
      const file = openH5File(h5, path, label);
      try {
        opened = { file, abandoned: readAbandoned(path, label) };
      } catch (error) {
        file.close();
        throw error;
      }
    }
    return { h5, ...opened, lock, groups: new Map(), refs: 0 };
  } catch (error) {
    await lock.release();
    throw error instanceof ConnectionError
      ? error
      : new ConnectionError(`Cannot open the HDF5 file: ${hdf5Error(error).message}`, { backend: label, cause: error });
  }
}

/** The open file at `path`, opened (locked, and recovered if need be) by the first store on it in this process. */
export function acquireFile(h5: H5Module, path: string, label: string): Promise<OpenFile> {
  return openings.run(async () => {
    let open = openFiles.get(path);
    if (!open) {
      open = await openFile(h5, path, label);
      openFiles.set(path, open);
    }
    open.refs++;
    return open;
  });
}

/** Drops one store's use of `open`; the last one closes the file and releases its lock. */
export function releaseFile(path: string, open: OpenFile, label: string): Promise<void> {
  return openings.run(async () => {
    open.refs--;
    if (open.refs > 0) return;
    openFiles.delete(path);
    try {
      open.file.close();
    } catch (error) {
      // Closing flushes HDF5's caches into the file, whose structures may be damaged.
      throw new ConnectionError(`Cannot close the HDF5 file: ${hdf5Error(error).message}`, {
        backend: label,
        cause: error,
      });
    } finally {
      await open.lock.release();
    }
  });
}
