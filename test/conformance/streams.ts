import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { CHUNK_NAMESPACE } from '../../src/core/chunked-values.ts';
import {
  type Backend,
  ConditionFailedError,
  InvalidKeyError,
  OperationError,
  openBackend,
  StorageError,
} from '../../src/index.ts';

// Small chunks keep these tests fast; the chunk size is a per-call option, so every
// backend runs them with its real code path.
const CHUNK = 16;

/** Deterministic bytes 0..n-1 (mod 251, a prime, so chunk boundaries never line up with the pattern). */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) % 251;
  return out;
}

/** `bytes` cut into pieces of uneven sizes, as a stream from a pipe would deliver them. */
async function* piecesOf(bytes: Uint8Array, sizes = [1, 7, 30, 3]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.byteLength; i++) {
    const size = sizes[i % sizes.length] as number;
    yield bytes.slice(at, at + size);
    at += size;
  }
}

async function readAll(store: Backend, key: string): Promise<Uint8Array | undefined> {
  const found = await store.getStream(key);
  if (!found) return undefined;
  const parts: Uint8Array[] = [];
  for await (const part of found.stream) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

async function chunkEntries(store: Backend): Promise<number> {
  let n = 0;
  for await (const _ of store.keys(CHUNK_NAMESPACE)) n++;
  return n;
}

/** Streams, ranges and chunked large values, run by the conformance suite on every backend. */
export function describeStreams(current: () => Backend, staysWhole?: string): void {
  describe('streams and ranges', () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3]) {
      it(`round-trips ${size} bytes through putStream / getStream / get / getRange`, async () => {
        const store = current();
        const value = pattern(size);
        const meta = await store.putStream('big/v', piecesOf(value), { chunkBytes: CHUNK, attrs: { n: size } });
        expect(meta.size).toBe(size);
        expect(meta.attrs).toEqual({ n: size });
        expect(await readAll(store, 'big/v')).toEqual(value);
        const got = await store.get('big/v');
        expect(got?.value).toEqual(value);
        expect(got?.meta.size).toBe(size);
        expect(got?.meta.attrs).toEqual({ n: size });
        const stat = await store.stat('big/v');
        expect(stat?.size).toBe(size);
        expect(stat?.etag).toBe(meta.etag);
        expect(stat?.checksum).toBe(got?.meta.checksum);
        expect(await store.getRange('big/v', 0, size)).toEqual(value);
      });
    }

    it('reads ranges across chunk boundaries and past the end', async () => {
      const store = current();
      const value = pattern(4 * CHUNK + 5);
      await store.putStream('big/r', piecesOf(value), { chunkBytes: CHUNK });
      expect(await store.getRange('big/r', CHUNK - 3, 2 * CHUNK + 6)).toEqual(value.slice(CHUNK - 3, 3 * CHUNK + 3));
      expect(await store.getRange('big/r', CHUNK, CHUNK)).toEqual(value.slice(CHUNK, 2 * CHUNK));
      expect(await store.getRange('big/r', 4 * CHUNK, 100)).toEqual(value.slice(4 * CHUNK));
      expect(await store.getRange('big/r', value.byteLength, 10)).toEqual(new Uint8Array(0));
      expect(await store.getRange('big/r', value.byteLength + 100, 10)).toEqual(new Uint8Array(0));
      expect(await store.getRange('big/r', 3, 0)).toEqual(new Uint8Array(0));
      expect(await store.getRange('big/missing', 0, 1)).toBeUndefined();
      await expect(store.getRange('big/r', -1, 1)).rejects.toBeInstanceOf(OperationError);
      await expect(store.getRange('big/r', 0, 1.5)).rejects.toBeInstanceOf(OperationError);
    });

    it('reads ranges and streams of values written with put', async () => {
      const store = current();
      const value = pattern(40);
      await store.put('big/plain', value);
      expect(await store.getRange('big/plain', 5, 10)).toEqual(value.slice(5, 15));
      expect(await readAll(store, 'big/plain')).toEqual(value);
      expect(await store.getStream('big/none')).toBeUndefined();
    });

    it('accepts web streams, Node streams and arrays of bytes', async () => {
      const store = current();
      const value = pattern(3 * CHUNK + 2, 9);
      const web = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(value.slice(0, 20));
          controller.enqueue(value.slice(20));
          controller.close();
        },
      });
      await store.putStream('big/web', web, { chunkBytes: CHUNK });
      await store.putStream('big/node', Readable.from([Buffer.from(value)]), { chunkBytes: CHUNK });
      await store.putStream('big/array', [value.slice(0, 1), value.slice(1)], { chunkBytes: CHUNK });
      for (const key of ['big/web', 'big/node', 'big/array']) expect((await store.get(key))?.value).toEqual(value);
      await expect(store.putStream('big/text', Readable.from(['text']), { chunkBytes: CHUNK })).rejects.toBeInstanceOf(
        OperationError,
      );
      expect(await store.get('big/text')).toBeUndefined();
    });

    it('validates chunkBytes and refuses the chunk namespace and attribute', async () => {
      const store = current();
      for (const chunkBytes of [0, -1, 1.5, Number.NaN]) {
        await expect(store.putStream('big/x', [pattern(3)], { chunkBytes })).rejects.toBeInstanceOf(OperationError);
      }
      await expect(store.put(`${CHUNK_NAMESPACE}/x`, pattern(1))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.putStream(`${CHUNK_NAMESPACE}/x`, [pattern(1)])).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.put('big/x', pattern(1), { attrs: { 'stowage:chunked': 1 } })).rejects.toBeInstanceOf(
        OperationError,
      );
      expect(await store.get('big/x')).toBeUndefined();
    });

    it('a failing or aborted source leaves the previous value and no chunks', async () => {
      const store = current();
      const old = pattern(3 * CHUNK, 1);
      await store.putStream('big/a', [old], { chunkBytes: CHUNK });
      const before = await chunkEntries(store);
      async function* failing() {
        yield pattern(2 * CHUNK);
        yield pattern(CHUNK);
        throw new Error('source broke');
      }
      await expect(store.putStream('big/a', failing(), { chunkBytes: CHUNK })).rejects.toThrow('source broke');
      const controller = new AbortController();
      async function* aborting() {
        yield pattern(2 * CHUNK);
        controller.abort();
        yield pattern(2 * CHUNK);
      }
      await expect(
        store.putStream('big/a', aborting(), { chunkBytes: CHUNK, signal: controller.signal }),
      ).rejects.toThrow();
      expect((await store.get('big/a'))?.value).toEqual(old);
      expect(await chunkEntries(store)).toBe(before);
    });

    it('ifAbsent and ifMatch apply to the whole streamed value', async () => {
      const store = current();
      if (!store.capabilities.atomicConditionalWrite) {
        await expect(
          store.putStream('big/c', [pattern(3 * CHUNK)], { chunkBytes: CHUNK, ifAbsent: true }),
        ).rejects.toBeInstanceOf(OperationError);
        expect(await chunkEntries(store)).toBe(0);
        return;
      }
      const first = await store.putStream('big/c', [pattern(3 * CHUNK)], { chunkBytes: CHUNK, ifAbsent: true });
      await expect(
        store.putStream('big/c', [pattern(3 * CHUNK, 5)], { chunkBytes: CHUNK, ifAbsent: true }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(
        store.putStream('big/c', [pattern(3 * CHUNK, 5)], { chunkBytes: CHUNK, ifMatch: 'not-the-etag' }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      const second = await store.putStream('big/c', [pattern(2 * CHUNK, 7)], {
        chunkBytes: CHUNK,
        ifMatch: first.etag,
      });
      expect(second.etag).not.toBe(first.etag);
      expect((await store.get('big/c'))?.value).toEqual(pattern(2 * CHUNK, 7));
      expect(await store.delete('big/c', { ifMatch: first.etag }).catch((e: unknown) => e)).toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await store.delete('big/c', { ifMatch: second.etag })).toBe(true);
      expect(await chunkEntries(store)).toBe(0);
    });

    it(`listings, counts and clear hide the chunks; overwrite, delete and clear reclaim them${staysWhole ? ` (no chunks: ${staysWhole})` : ''}`, async () => {
      const store = current();
      await store.put('big/small', pattern(3));
      await store.putStream('big/l1', [pattern(4 * CHUNK)], { chunkBytes: CHUNK, attrs: { k: 1 } });
      await store.putStream('big/l2', [pattern(2 * CHUNK + 1)], { chunkBytes: CHUNK });
      if (staysWhole) expect(await chunkEntries(store)).toBe(0);
      else expect(await chunkEntries(store)).toBeGreaterThan(0);
      const listed = [];
      for await (const entry of store.list()) listed.push([entry.key.join('/'), entry.meta.size, entry.meta.attrs]);
      expect(listed).toEqual([
        ['big/l1', 4 * CHUNK, { k: 1 }],
        ['big/l2', 2 * CHUNK + 1, {}],
        ['big/small', 3, {}],
      ]);
      const keys = [];
      for await (const key of store.keys(undefined, { limit: 2 })) keys.push(key.join('/'));
      expect(keys).toEqual(['big/l1', 'big/l2']);
      const filtered = [];
      for await (const entry of store.list('', { where: { k: 1 } })) filtered.push(entry.key.join('/'));
      expect(filtered).toEqual(['big/l1']);
      expect((await store.info()).entries).toBe(3);

      await store.put('big/l1', pattern(2)); // a plain put replaces a chunked value
      expect((await store.get('big/l1'))?.value).toEqual(pattern(2));
      expect(await store.delete('big/l2')).toBe(true);
      expect(await chunkEntries(store)).toBe(0);

      await store.putStream('big/l3', [pattern(3 * CHUNK)], { chunkBytes: CHUNK });
      await store.putStream('big/l3', [pattern(5 * CHUNK)], { chunkBytes: CHUNK }); // replaces chunks by chunks
      expect(await chunkEntries(store)).toBe(staysWhole ? 0 : 6);
      expect(await store.clear('big')).toBe(3);
      expect(await chunkEntries(store)).toBe(0);
      await store.putStream('big/l4', [pattern(3 * CHUNK)], { chunkBytes: CHUNK });
      expect(await store.clear()).toBe(1);
      expect(await chunkEntries(store)).toBe(0);
    });

    it('getMany assembles chunked values', async () => {
      const store = current();
      await store.putStream('big/m1', [pattern(3 * CHUNK + 1)], { chunkBytes: CHUNK });
      await store.put('big/m2', pattern(4));
      const got = await store.getMany(['big/m1', 'big/none', 'big/m2']);
      expect(got.map((g) => g?.value)).toEqual([pattern(3 * CHUNK + 1), undefined, pattern(4)]);
    });

    it('a stream read while its value is replaced fails with a typed error or gives the old value', async () => {
      const store = current();
      await store.putStream('big/rw', [pattern(6 * CHUNK)], { chunkBytes: CHUNK });
      const found = await store.getStream('big/rw');
      const reader = found?.stream.getReader();
      const first = await reader?.read();
      await store.putStream('big/rw', [pattern(6 * CHUNK, 3)], { chunkBytes: CHUNK });
      const parts = [first?.value as Uint8Array];
      try {
        for (;;) {
          const next = await reader?.read();
          if (!next || next.done) break;
          parts.push(next.value);
        }
        // A read-ahead may already hold everything it needed; then it is the old value.
        expect(new Uint8Array(Buffer.concat(parts))).toEqual(pattern(6 * CHUNK));
      } catch (error) {
        expect(error).toBeInstanceOf(ConditionFailedError);
      }
    });

    it('compact spares chunk sets being written and reclaims those of puts that never finished', async () => {
      const store = current();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      async function* slow() {
        yield pattern(3 * CHUNK);
        await gate;
        yield pattern(CHUNK);
      }
      const pending = store.putStream('big/slow', slow(), { chunkBytes: CHUNK });
      for (let i = 0; i < 200 && (await chunkEntries(store)) < 3; i++) await new Promise((r) => setTimeout(r, 5));
      await store.compact?.({ minAgeMs: 0 });
      release();
      await pending;
      expect((await store.get('big/slow'))?.value).toEqual(
        new Uint8Array(Buffer.concat([pattern(3 * CHUNK), pattern(CHUNK)])),
      );
      await expect(store.compact?.({ bogus: 1 } as never)).rejects.toBeInstanceOf(OperationError);
      await store.delete('big/slow');

      // A second handle on the same store is another writer whose put this handle never
      // saw start; its unfinished chunks are reclaimed once old enough.
      const other = await openBackend(store.toConfig()).catch(() => undefined);
      if (!other) return;
      try {
        await store.put('big/probe', pattern(1));
        if (!(await other.get('big/probe'))) return; // not shared (an unnamed memory store)
        let releaseOther: () => void = () => undefined;
        const otherGate = new Promise<void>((resolve) => {
          releaseOther = resolve;
        });
        async function* stalled() {
          yield pattern(3 * CHUNK);
          await otherGate;
          yield pattern(CHUNK);
        }
        const abandoned = other.putStream('big/abandoned', stalled(), { chunkBytes: CHUNK });
        const settled = abandoned.catch((error: unknown) => error);
        for (let i = 0; i < 200 && (await chunkEntries(store)) < 4; i++) await new Promise((r) => setTimeout(r, 5));
        const report = await store.compact?.({ minAgeMs: 0 });
        expect(report?.details?.orphanChunkSets).toBe(1);
        expect(await chunkEntries(store)).toBe(0);
        releaseOther();
        expect(await settled).toBeInstanceOf(StorageError);
        expect(await store.get('big/abandoned')).toBeUndefined();
      } finally {
        await other.close();
      }
    });
  });
}
