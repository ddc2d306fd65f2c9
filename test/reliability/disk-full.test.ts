// A full disk, for real: each store lives on its own size-limited tmpfs mounted by the test
// (root only; skipped with a message elsewhere). Writes go on until the disk refuses one;
// that write must fail with a CapacityError naming the key and leave nothing half-written,
// every earlier value must read back whole, and once space returns the store works again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendConfig, CapacityError, openBackend, type StorageError } from '../../src/index.ts';
import { recordFigure, size } from './figures.ts';

const mounts: string[] = [];

function mountTmpfs(bytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

const stores: { close(): Promise<void> }[] = [];

afterAll(async () => {
  // A store left open by a failed assertion would keep its file system busy.
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});

// Whether this machine lets the test mount one (root): tried once, and unmounted at once.
const probe = mountTmpfs(64 * 1024);
if (probe !== undefined) {
  execFileSync('umount', [probe], { stdio: 'ignore' });
  mounts.splice(mounts.indexOf(probe), 1);
  rmSync(probe, { recursive: true, force: true });
}
const skip = probe === undefined ? 'cannot mount a tmpfs here (needs root): full-disk tests skipped' : undefined;
if (skip) console.warn(skip);

const ROUNDS = size(10, 1);
const VALUE = 16 * 1024;
// The file system's size: small in `npm test`, so that it fills in a few dozen writes.
const DISK = size(2 * 1024 * 1024, 384 * 1024);
const BALLAST = size(512 * 1024, 96 * 1024);

const engines: { name: string; config(dir: string): BackendConfig }[] = [
  { name: 'fs', config: (d) => ({ type: 'fs', root: join(d, 'fs') }) },
  { name: 'sqlite', config: (d) => ({ type: 'sqlite', path: join(d, 's.sqlite') }) },
];

// Not LMDB: lmdb-js 3.5.6 corrupts its own heap when a page write fails. Its bundled mdb.c
// (mdb_page_flush, on pwrite/writev < 0) formats "Attempting to write page at position %u,
// size %u, blocks %u, buffer sizes %i %i %i" into malloc(100): up to 134 bytes, with
// iov entries that may be unset. Its put fails with a CapacityError naming the key, but in
// 6 of 12 standalone runs the process then died (free(): invalid size, double free,
// munmap_chunk(): invalid pointer, SIGSEGV). Only patching lmdb-js's C code mends that.
const LMDB_SKIP =
  'lmdb-js overflows a 100-byte heap buffer in its write-error message (mdb.c, mdb_page_flush) when a page write fails on a full disk, and the process later aborts';

const tagged = (key: string, round: number) => {
  const bytes = new Uint8Array(VALUE);
  const tag = new TextEncoder().encode(`${key}@${round}`);
  for (let i = 0; i < VALUE; i++) bytes[i] = tag[i % tag.length] as number;
  return bytes;
};

// Byte equality, not toEqual: a deep comparison of some hundred 16 KB values took seconds a round.
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

describe.skipIf(skip !== undefined)('full disk (size-limited tmpfs)', () => {
  it.skip(`lmdb: ${LMDB_SKIP}`, () => undefined);
  for (const engine of engines) {
    it(`${engine.name}: CapacityError naming the key, nothing half-written, works again once space returns`, async () => {
      let faults = 0;
      let acknowledged = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const dir = mountTmpfs(DISK + round * 64 * 1024) as string;
        // Space held back, given back later: "once space returns".
        writeFileSync(join(dir, 'ballast'), new Uint8Array(BALLAST));
        const store = await openBackend(engine.config(dir));
        stores.push(store);
        const written = new Map<string, number>();
        let failure: unknown;
        for (let i = 0; i < 400 && failure === undefined; i++) {
          // Overwrites as well as new keys: an overwrite that fails must keep the old value.
          const key = i % 3 === 2 ? `k/${i - 2}` : `k/${i}`;
          try {
            await store.put(key, tagged(key, round * 1000 + i));
            written.set(key, round * 1000 + i);
          } catch (error) {
            failure = { error, key };
          }
        }
        const { error, key } = failure as { error: unknown; key: string };
        expect(error, `${engine.name}: ${(error as Error)?.message}`).toBeInstanceOf(CapacityError);
        expect((error as StorageError).key).toBe(key);
        faults++;
        acknowledged += written.size;
        const check = async (s: typeof store) => {
          for (const [k, gen] of written) expect(sameBytes((await s.get(k))?.value, tagged(k, gen)), k).toBe(true);
          if (!written.has(key)) expect(await s.get(key)).toBeUndefined();
        };
        await check(store);
        unlinkSync(join(dir, 'ballast'));
        await store.put(key, tagged(key, 999_999));
        written.set(key, 999_999);
        await store.put('after/space/returned', new Uint8Array([1]));
        await check(store);
        await store.close();
        const again = await openBackend(engine.config(dir), { create: false });
        await check(again);
        await again.close();
      }
      recordFigure(
        'Disk faults (full disk)',
        `${engine.name}: full-disk faults`,
        faults,
        `size-limited tmpfs (${DISK / 1024} KB) filled with 16 KB values; each failing write a CapacityError naming its key; ${acknowledged} acknowledged values all read back whole (before and after reopening); the failed key kept its previous value or stayed absent; writes succeeded again once ${BALLAST / 1024} KB were freed`,
      );
    }, 600_000);
  }
});
