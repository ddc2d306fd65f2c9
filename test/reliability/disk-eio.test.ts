// I/O errors (EIO) in the fs backend's writes, injected by a pass-through wrapper around
// node:fs and node:fs/promises: while the test arms a fault, the chosen call on a value's
// temp file (its write, its fsync, its rename into place), on the key's directory (its fsync
// after the rename) or on the key's lock file (its write) throws EIO. Each failing put must
// reject with a typed error naming the key and leave the key as it was, every earlier value
// whole, no temp or lock file behind; once the fault is off the same key writes and reads.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OperationError, openBackend, StorageError, UnknownOutcomeError } from '../../src/index.ts';
import { recordFigure, size } from './figures.ts';

type Fault = 'write' | 'short-write' | 'fsync' | 'rename' | 'dir-fsync' | 'lock-write';

const faults = vi.hoisted(() => {
  const state = {
    armed: undefined as string | undefined,
    fired: 0,
    // Of which in the synchronous put (writevSync, renameSync, the lock's writeFileSync).
    firedSync: 0,
    // Descriptors of open value temp files and lock files (the synchronous put path).
    tempFds: new Set<number>(),
    lockFds: new Set<number>(),
    // A value's temp file is `<stem>~v~t<random>`, its lock `<stem>~l` (see file-names.ts).
    isTemp: (path: unknown) => String(path).includes('~v~t'),
    isLock: (path: unknown) => String(path).endsWith('~l'),
    /** Throws EIO, as Node reports it, when `fault` is armed. */
    fail(fault: string, syscall: string, sync: boolean, path?: string): void {
      if (state.armed !== fault) return;
      state.fired++;
      if (sync) state.firedSync++;
      const where = path === undefined ? '' : ` '${path}'`;
      throw Object.assign(new Error(`EIO: i/o error, ${syscall}${where}`), {
        code: 'EIO',
        errno: -5,
        syscall,
        ...(path === undefined ? {} : { path }),
      });
    },
  };
  return state;
});

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    openSync: (
      path: import('node:fs').PathLike,
      flags: import('node:fs').OpenMode = 'r',
      mode?: import('node:fs').Mode,
    ) => {
      const fd = real.openSync(path, flags, mode);
      if (faults.isTemp(path)) faults.tempFds.add(fd);
      else if (faults.isLock(path)) faults.lockFds.add(fd);
      return fd;
    },
    closeSync: (fd: number) => {
      faults.tempFds.delete(fd);
      faults.lockFds.delete(fd);
      real.closeSync(fd);
    },
    writevSync: (fd: number, buffers: readonly NodeJS.ArrayBufferView[], position?: number) => {
      if (faults.tempFds.has(fd)) {
        faults.fail('write', 'write', true);
        if (faults.armed === 'short-write') {
          // Half the bytes land, as on a signal or a nearly full disk; the rest then fails.
          const all = Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
          return real.writeSync(fd, all, 0, all.byteLength >> 1);
        }
      }
      return real.writevSync(fd, buffers, position);
    },
    writeSync: ((fd: number, ...rest: unknown[]) => {
      if (faults.tempFds.has(fd)) faults.fail('short-write', 'write', true);
      return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof real.writeSync,
    writeFileSync: ((file: unknown, ...rest: unknown[]) => {
      if (typeof file === 'number' && faults.lockFds.has(file)) faults.fail('lock-write', 'write', true);
      return (real.writeFileSync as (...a: unknown[]) => void)(file, ...rest);
    }) as typeof real.writeFileSync,
    renameSync: (from: import('node:fs').PathLike, to: import('node:fs').PathLike) => {
      if (faults.isTemp(from)) faults.fail('rename', 'rename', true, String(from));
      real.renameSync(from, to);
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (path: import('node:fs').PathLike, flags?: string, mode?: number) => {
      const handle = await real.open(path, flags, mode);
      const name = String(path);
      if (faults.isTemp(name)) {
        const { writev, write, sync } = handle;
        handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
          faults.fail('write', 'write', false);
          if (faults.armed === 'short-write') {
            const all = Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
            const { bytesWritten } = await handle.write(all, 0, all.byteLength >> 1);
            return { bytesWritten, buffers };
          }
          return writev.call(handle, buffers, position);
        }) as typeof handle.writev;
        handle.write = (async (...args: unknown[]) => {
          // The short-write fault's own half write goes through; the completion of the rest fails.
          if (faults.armed === 'short-write' && (args[2] as number) !== (args[0] as Buffer).byteLength >> 1) {
            faults.fail('short-write', 'write', false);
          }
          return (write as (...a: unknown[]) => unknown).apply(handle, args);
        }) as typeof handle.write;
        handle.sync = async () => {
          faults.fail('fsync', 'fsync', false);
          return sync.call(handle);
        };
      } else if (faults.isLock(name)) {
        const { writeFile } = handle;
        handle.writeFile = (async (...args: unknown[]) => {
          faults.fail('lock-write', 'write', false);
          return (writeFile as (...a: unknown[]) => unknown).apply(handle, args);
        }) as typeof handle.writeFile;
      } else if (flags === 'r' && !name.includes('~')) {
        // A directory opened to fsync it after a rename (value files all end in ~v).
        const { sync } = handle;
        handle.sync = async () => {
          faults.fail('dir-fsync', 'fsync', false);
          return sync.call(handle);
        };
      }
      return handle;
    },
    rename: async (from: import('node:fs').PathLike, to: import('node:fs').PathLike) => {
      if (faults.isTemp(from)) faults.fail('rename', 'rename', false, String(from));
      return real.rename(from, to);
    },
  };
});

interface WritePath {
  readonly name: string;
  readonly fsync: boolean;
  readonly bytes: number;
  readonly faults: readonly Fault[];
}

// Small values without fsync take the synchronous put (writevSync, renameSync); the rest
// the asynchronous one (FileHandle writev / sync, rename, then the directory's fsync).
const PATHS: readonly WritePath[] = [
  {
    name: 'small value, fsync off',
    fsync: false,
    bytes: 1024,
    faults: ['write', 'short-write', 'rename', 'lock-write'],
  },
  {
    name: 'large value, fsync off',
    fsync: false,
    bytes: 100 * 1024,
    faults: ['write', 'short-write', 'rename', 'lock-write'],
  },
  {
    name: 'small value, fsync on',
    fsync: true,
    bytes: 1024,
    faults: ['write', 'short-write', 'fsync', 'rename', 'dir-fsync', 'lock-write'],
  },
  {
    name: 'large value, fsync on',
    fsync: true,
    bytes: 100 * 1024,
    faults: ['write', 'short-write', 'fsync', 'rename', 'dir-fsync', 'lock-write'],
  },
];

// Whether the fs backend takes its synchronous put (fs/index.ts, #putSync) for this path.
const SYNC_PUT = (path: WritePath) => !path.fsync && path.bytes <= 64 * 1024;

const ROUNDS = size(25, 2);
const EARLIER = 8;
// Short, so that a lock file left behind fails the next put at once instead of hanging.
const LOCK_TIMEOUT_MS = 1500;

const tagged = (key: string, generation: number, bytes: number) => {
  const out = Buffer.alloc(bytes);
  out.fill(`${key}@${generation};`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

// Temp files, lock files and take-over claims under `dir`, at any depth.
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /~t|~l$|~s$/.test(name));
}

// The key of a round: new or overwritten, nested (a directory already made) or top level.
const keyOf = (round: number) =>
  [`runs/new-${round}`, `runs/e${round % EARLIER}`, `top-${round}`, `e${round % EARLIER}`][round % 4] as string;

describe('EIO in the fs backend (fault-injecting wrapper around node:fs)', () => {
  for (const path of PATHS) {
    it(`${path.name}: each of ${path.faults.join(', ')} failing`, async () => {
      const counts = new Map<Fault, number>();
      const errorClasses = new Set<string>();
      let checked = 0;
      for (const fault of path.faults) {
        const root = mkdtempSync(join(tmpdir(), 'stowage-eio-'));
        try {
          const config = { type: 'fs', root, fsync: path.fsync, lockTimeoutMs: LOCK_TIMEOUT_MS } as const;
          const store = await openBackend(config);
          const written = new Map<string, Uint8Array>();
          const put = async (key: string, value: Uint8Array) => {
            await store.put(key, value);
            written.set(key, value);
          };
          const check = async (s: typeof store) => {
            for (const [k, v] of written) expect(sameBytes((await s.get(k))?.value, v), k).toBe(true);
            checked += written.size;
          };
          for (let i = 0; i < EARLIER; i++) {
            await put(`runs/e${i}`, tagged(`runs/e${i}`, 0, path.bytes));
            await put(`e${i}`, tagged(`e${i}`, 0, path.bytes));
          }
          for (let round = 1; round <= ROUNDS; round++) {
            const key = keyOf(round);
            const before = written.get(key);
            const value = tagged(key, round, path.bytes);
            const [fired, firedSync] = [faults.fired, faults.firedSync];
            faults.armed = fault;
            const error = await store.put(key, value).then(
              () => undefined,
              (e: unknown) => e,
            );
            faults.armed = undefined;
            expect(faults.fired, `${fault} reached`).toBeGreaterThan(fired);
            expect(faults.firedSync > firedSync, 'the put path this case is about').toBe(SYNC_PUT(path));
            counts.set(fault, (counts.get(fault) ?? 0) + 1);
            expect(error, `${fault}: ${(error as Error)?.stack}`).toBeInstanceOf(StorageError);
            const typed = error as StorageError;
            errorClasses.add(typed.constructor.name);
            expect(typed.key).toBe(key);
            expect(typed.backend).toBe(`file:${root}`);
            expect((typed.cause as NodeJS.ErrnoException | undefined)?.code).toBe('EIO');
            const now = (await store.get(key))?.value;
            if (fault === 'dir-fsync') {
              // The rename had happened: the new value is in place, its durability unknown.
              expect(typed).toBeInstanceOf(UnknownOutcomeError);
              expect(sameBytes(now, value) || sameBytes(now, before) || (now === undefined && !before)).toBe(true);
              if (sameBytes(now, value)) written.set(key, value);
            } else {
              expect(typed).toBeInstanceOf(OperationError);
              if (before) expect(sameBytes(now, before), `${key} kept its value`).toBe(true);
              else expect(now, `${key} stayed absent`).toBeUndefined();
            }
            await check(store);
            expect(leftovers(root)).toEqual([]);
            // A lock left behind would make this put fail after LOCK_TIMEOUT_MS (its lease is
            // far longer); no wall-clock bound here, as a large fsynced put on a loaded
            // machine can itself take that long.
            await put(key, tagged(key, round + 1000, path.bytes));
            expect(sameBytes((await store.get(key))?.value, written.get(key))).toBe(true);
          }
          await store.close();
          const again = await openBackend(config, { create: false });
          await check(again);
          // Listings show exactly the values written: no temp file surfaces as a key.
          const listed: string[] = [];
          for await (const entry of again.list()) listed.push(entry.key.join('/'));
          expect(listed.sort()).toEqual([...written.keys()].sort());
          await again.close();
        } finally {
          faults.armed = undefined;
          rmSync(root, { recursive: true, force: true });
        }
      }
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      recordFigure(
        'Disk faults (I/O errors)',
        `fs, ${path.name}: EIO faults`,
        total,
        `${[...counts].map(([f, n]) => `${n} on ${f}`).join(', ')}; each put rejected with ${[...errorClasses].join(' / ')} naming its key and backend (cause EIO); the key kept its previous value or stayed absent${path.faults.includes('dir-fsync') ? ' (after a failed directory fsync the renamed value is in place: UnknownOutcomeError)' : ''}; ${checked} value reads of earlier values all whole (also after reopening); no temp or lock file left; the same key written and read at once after the fault`,
      );
    }, 300_000);
  }
});
