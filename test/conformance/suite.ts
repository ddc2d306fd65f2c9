import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, it as vitestIt } from 'vitest';
import { compareKeyPaths } from '../../src/core/keys.ts';
import {
  type Backend,
  type BackendConfig,
  CapacityError,
  ConditionFailedError,
  InvalidKeyError,
  type Key,
  type ListedEntry,
  type ListOptions,
  OperationError,
  openBackend,
  SerializationError,
  StorageError,
  StoreNotFoundError,
} from '../../src/index.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { runWorkers } from './run-workers.ts';
import { describeStreams } from './streams.ts';

/** A backend under test. */
export interface ConformanceTarget {
  /** Name shown in the test titles. */
  name: string;
  /** Opens a fresh, empty store. */
  open(): Promise<Backend>;
  /**
   * A config of a store of this type that does not exist (a missing file, folder, table,
   * bucket or prefix), for `openBackend(config, { create: false })`.
   */
  missing(): BackendConfig;
  /** When set, the suite is skipped with this message (e.g. the server is unreachable). */
  skipReason?: string | undefined;
  /**
   * Why the engine under test cannot hold key segments over 200 bytes (a test server's
   * file-name limit, not the backend's); those keys are then left out, and the test title says so.
   */
  longSegmentsUnsupported?: string | undefined;
  /**
   * Why the engine under test does not replace an object atomically when writes to one key
   * overlap (a test server's defect, not the backend's); the overlapping same-key writes are
   * then left out of the concurrency test, and its title says so.
   */
  overlappingWritesTear?: string | undefined;
  /**
   * Why the store keeps every streamed value as one entry instead of chunks (a memory store
   * bounded by maxBytes, whose eviction must never take part of a value); the stream tests
   * then expect no chunk entries, and their titles say so.
   */
  streamsStayWhole?: string | undefined;
}

async function collect(iterable: AsyncIterable<ListedEntry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of iterable) keys.push(entry.key.join('/'));
  return keys;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Keys chosen to break naive implementations: ordering around '/', escaping, case and
// Unicode twins, Windows device names, trailing dots, value-and-prefix, long segments.
const TRICKY_KEYS: string[] = [
  'a',
  'a/b',
  'a/b/c',
  'a!',
  'a b',
  'a%2Fb',
  'A',
  'CON',
  'con.txt',
  'nul',
  'trailing.',
  'x~v',
  'caf\u00e9',
  'cafe\u0301',
  '\u{1F600}',
  '\uFFFD',
  'z'.repeat(255),
  `${'\u00e9'.repeat(127)}x`,
  `deep/${'\u{1F600}'.repeat(60)}/leaf`,
  'quote\'"`;--',
  'percent%_under_',
];

const INVALID_KEYS: unknown[] = [
  '',
  [],
  '/a',
  'a/',
  'a//b',
  '.',
  '..',
  'a/../b',
  'a/./b',
  'a\u0000b',
  'a\nb',
  'a\u007fb',
  'x'.repeat(256),
  '\u00e9'.repeat(128),
  'bad\ud800',
  ['ok', 3],
  ['a/b'],
  42,
  null,
];

/**
 * Runs the whole backend contract against `target`. Capabilities decide which checks
 * apply; a check for a claimed capability is never skipped.
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  const tricky = target.longSegmentsUnsupported
    ? TRICKY_KEYS.filter((k) => k.split('/').every((s) => Buffer.byteLength(s) <= 200))
    : TRICKY_KEYS;
  const trickyNote = target.longSegmentsUnsupported
    ? ` (without >200-byte segments: ${target.longSegmentsUnsupported})`
    : '';
  describe.skipIf(target.skipReason !== undefined)(`conformance: ${target.name}`, () => {
    let store: Backend;
    const opened: Backend[] = [];

    beforeEach(async () => {
      store = await target.open();
      opened.push(store);
    });
    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close().catch(() => undefined);
    });

    describe('get / put / stat / delete', () => {
      it('round-trips a value with its metadata', async () => {
        const before = Date.now();
        const meta = await store.put('runs/exp-1', bytes('hello'), { attrs: { kind: 'run', n: 3 } });
        const after = Date.now();
        expect(meta.etag).toMatch(/\S/);
        expect(meta.size).toBe(5);
        // The contract's checksum is the CRC-32 of the bytes (large values rely on it).
        expect(meta.checksum).toBe(crc32(bytes('hello')));
        expect(meta.createdAt).toBeGreaterThanOrEqual(before - 1);
        expect(meta.createdAt).toBeLessThanOrEqual(after + 1);
        expect(meta.modifiedAt).toBe(meta.createdAt);
        const got = await store.get(['runs', 'exp-1']);
        expect(text(got?.value)).toBe('hello');
        expect(got?.meta).toEqual(meta);
        expect(await store.stat('runs/exp-1')).toEqual(meta);
      });

      it('reports absent keys without throwing', async () => {
        expect(await store.get('nope')).toBeUndefined();
        expect(await store.stat('nope/deeper')).toBeUndefined();
        expect(await store.delete('nope')).toBe(false);
      });

      it('changes the ETag on every write and keeps createdAt', async () => {
        const first = await store.put('k', bytes('1'));
        await sleep(5);
        const second = await store.put('k', bytes('2'));
        const third = await store.put('k', bytes('2'));
        expect(new Set([first.etag, second.etag, third.etag]).size).toBe(3);
        expect(second.createdAt).toBe(first.createdAt);
        expect(second.modifiedAt).toBeGreaterThan(first.modifiedAt);
        expect((await store.stat('k'))?.createdAt).toBe(first.createdAt);
        expect(text((await store.get('k'))?.value)).toBe('2');
      });

      it('stores empty and 10 MB values intact', async () => {
        await store.put('empty', new Uint8Array());
        const big = new Uint8Array(10 * 1024 * 1024);
        for (let i = 0; i < big.length; i += 4099) big[i] = i % 251;
        await store.put('big', big);
        expect((await store.get('empty'))?.value.byteLength).toBe(0);
        const back = await store.get('big');
        expect(back?.meta.size).toBe(big.length);
        expect(Buffer.compare(Buffer.from(back?.value ?? []), Buffer.from(big))).toBe(0);
      });

      it('keeps stored bytes and attrs apart from the caller’s objects', async () => {
        const value = bytes('abc');
        const attrs = { tag: 'x' };
        await store.put('copy', value, { attrs });
        value[0] = 0;
        attrs.tag = 'changed';
        const got = await store.get('copy');
        expect(text(got?.value)).toBe('abc');
        expect(got?.meta.attrs).toEqual({ tag: 'x' });
        got?.value.fill(0);
        expect(text((await store.get('copy'))?.value)).toBe('abc');
      });

      it('replaces attrs on overwrite', async () => {
        await store.put('at', bytes('1'), { attrs: { a: 1, b: 'x' } });
        await store.put('at', bytes('2'), { attrs: { c: true } });
        expect((await store.stat('at'))?.attrs).toEqual({ c: true });
        await store.put('at', bytes('3'));
        expect((await store.stat('at'))?.attrs).toEqual({});
      });

      it('deletes', async () => {
        await store.put('d/1', bytes('x'));
        expect(await store.delete('d/1')).toBe(true);
        expect(await store.get('d/1')).toBeUndefined();
        expect(await store.delete('d/1')).toBe(false);
      });

      it('lets a key be a value and a prefix at once', async () => {
        await store.put('runs/a', bytes('parent'));
        await store.put('runs/a/b', bytes('child'));
        expect(text((await store.get('runs/a'))?.value)).toBe('parent');
        expect(text((await store.get('runs/a/b'))?.value)).toBe('child');
        await store.delete('runs/a');
        expect(text((await store.get('runs/a/b'))?.value)).toBe('child');
      });
    });

    describe('conditional writes', () => {
      // A backend that declares the capability absent must refuse conditions clearly.
      const it = (name: string, fn: () => Promise<void>) =>
        vitestIt(name, async () => {
          if (store.capabilities.atomicConditionalWrite) return fn();
          await expect(store.put('c', bytes('x'), { ifAbsent: true })).rejects.toBeInstanceOf(StorageError);
          await expect(store.put('c', bytes('x'), { ifMatch: 'e' })).rejects.toBeInstanceOf(StorageError);
          await expect(store.delete('c', { ifMatch: 'e' })).rejects.toBeInstanceOf(StorageError);
          expect(await store.get('c')).toBeUndefined();
        });

      it('ifAbsent writes once, then fails without writing', async () => {
        const meta = await store.put('c', bytes('first'), { ifAbsent: true });
        const error = await store.put('c', bytes('second'), { ifAbsent: true }).catch((e) => e);
        expect(error).toBeInstanceOf(ConditionFailedError);
        expect(error.code).toBe('CONDITION_FAILED');
        expect(error.actualEtag).toBe(meta.etag);
        expect(error.message).toContain("'c'");
        expect(text((await store.get('c'))?.value)).toBe('first');
        expect((await store.stat('c'))?.etag).toBe(meta.etag);
      });

      it('ifMatch succeeds on the current ETag only', async () => {
        const v1 = await store.put('m', bytes('1'));
        const v2 = await store.put('m', bytes('2'), { ifMatch: v1.etag });
        await expect(store.put('m', bytes('3'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(text((await store.get('m'))?.value)).toBe('2');
        expect((await store.stat('m'))?.etag).toBe(v2.etag);
        expect(v2.createdAt).toBe(v1.createdAt);
      });

      it('ifMatch on an absent key fails and creates nothing', async () => {
        await expect(store.put('ghost', bytes('x'), { ifMatch: 'whatever' })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        expect(await store.get('ghost')).toBeUndefined();
      });

      it('delete with ifMatch', async () => {
        const meta = await store.put('dm', bytes('x'));
        await expect(store.delete('dm', { ifMatch: 'stale' })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.get('dm')).toBeDefined();
        await expect(store.delete('missing', { ifMatch: meta.etag })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.delete('dm', { ifMatch: meta.etag })).toBe(true);
        expect(await store.get('dm')).toBeUndefined();
      });

      it('rejects ifAbsent together with ifMatch', async () => {
        await expect(store.put('both', bytes('x'), { ifAbsent: true, ifMatch: 'e' })).rejects.toBeInstanceOf(
          StorageError,
        );
        expect(await store.get('both')).toBeUndefined();
      });

      it('lets exactly one of many concurrent ifAbsent writers win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.put('race', bytes(`w${i}`), { ifAbsent: true })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
        }
      });

      it('loses no update among concurrent ifMatch increments', async () => {
        await store.put('counter', bytes('0'));
        const increment = async () => {
          for (;;) {
            const cur = await store.get('counter');
            const next = String(Number(text(cur?.value)) + 1);
            try {
              await store.put('counter', bytes(next), { ifMatch: cur?.meta.etag });
              return;
            } catch (e) {
              if (!(e instanceof ConditionFailedError)) throw e;
            }
          }
        };
        await Promise.all(Array.from({ length: 25 }, increment));
        expect(text((await store.get('counter'))?.value)).toBe('25');
      });
    });

    describe('list', () => {
      it(`lists in UTF-8 byte order of the key, with segments as arrays${trickyNote}`, async () => {
        for (const key of tricky) await store.put(key, bytes(key));
        const listed: Key[] = [];
        for await (const entry of store.list()) listed.push(entry.key);
        const expected = [...tricky].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(listed.map((k) => k.join('/'))).toEqual(expected);
        expect(listed.find((k) => k.join('/') === 'a/b/c')).toEqual(['a', 'b', 'c']);
      });

      it('keeps prefixes apart: a/b is not a/bc', async () => {
        await store.putMany(
          ['a/b', 'a/b/1', 'a/b/2/x', 'a/bc', 'a/bc/1', 'a/b!', 'ab', 'a'].map((k) => ({ key: k, value: bytes(k) })),
        );
        expect(await collect(store.list('a/b'))).toEqual(['a/b/1', 'a/b/2/x']);
        expect(await collect(store.list(['a', 'bc']))).toEqual(['a/bc/1']);
        expect(await collect(store.list('a/b', { recursive: false }))).toEqual(['a/b/1']);
        expect(await collect(store.list('a', { recursive: false }))).toEqual(['a/b', 'a/b!', 'a/bc']);
        expect(await collect(store.list('', { recursive: false }))).toEqual(['a', 'ab']);
        expect(await collect(store.list('nothing/here'))).toEqual([]);
      });

      it('lists keys whose next segment starts with a string, wildcards and all taken literally', async () => {
        const names = [
          'run_001',
          'run_002/x',
          'run_01x',
          'runa',
          'run%',
          'run%1',
          'run[1]',
          'run*',
          'rÜn',
          'rÜnß',
          'r',
          'ru',
        ];
        await store.putMany(names.map((n) => ({ key: ['sw', ...n.split('/')], value: bytes(n) })));
        await store.put('sw-sibling/run_9', bytes('outside the prefix'));
        await store.put('run_top', bytes('top level'));
        const under = async (startsWith: string, options: ListOptions = {}) =>
          (await collect(store.list('sw', { ...options, startsWith }))).map((k) => k.slice(3));
        expect(await under('run_')).toEqual(['run_001', 'run_002/x', 'run_01x']);
        expect(await under('run_0', { recursive: false })).toEqual(['run_001', 'run_01x']);
        expect(await under('run_00', { limit: 1 })).toEqual(['run_001']);
        expect(await under('run_', { after: 'sw/run_001' })).toEqual(['run_002/x', 'run_01x']);
        expect(await under('run%')).toEqual(['run%', 'run%1']);
        expect(await under('run[')).toEqual(['run[1]']);
        expect(await under('run*')).toEqual(['run*']);
        expect(await under('rÜ')).toEqual(['rÜn', 'rÜnß']);
        expect(await under('zzz')).toEqual([]);
        expect(await under('')).toHaveLength(names.length);
        expect(await collect(store.list('', { startsWith: 'run_' }))).toEqual(['run_top']);
        const keys: string[] = [];
        for await (const key of store.keys('sw', { startsWith: 'run_0' })) keys.push(key.join('/'));
        expect(keys).toEqual(['sw/run_001', 'sw/run_002/x', 'sw/run_01x']);
        await expect(collect(store.list('sw', { startsWith: 'a/b' }))).rejects.toBeInstanceOf(OperationError);
      });

      it('paginates with after and limit', async () => {
        const keys = Array.from({ length: 57 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
        await store.putMany(keys.map((key) => ({ key, value: bytes(key) })));
        await store.put('q/outside', bytes('x'));
        const pages: string[][] = [];
        let after: Key | undefined;
        for (;;) {
          const page: ListedEntry[] = [];
          for await (const e of store.list('p', { after, limit: 10 })) page.push(e);
          if (page.length === 0) break;
          pages.push(page.map((e) => e.key.join('/')));
          after = page[page.length - 1]?.key;
        }
        expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 10, 7]);
        expect(pages.flat()).toEqual(keys);
        expect(await collect(store.list('p', { after: 'p/055' }))).toEqual(['p/056']);
        expect(await collect(store.list('p', { limit: 0 }))).toEqual([]);
        // A cursor before the prefix's range starts at its first key; one after it ends the listing.
        expect(await collect(store.list('p', { after: 'a' }))).toEqual(keys);
        expect(await collect(store.list('p', { after: 'p' }))).toEqual(keys);
        expect(await collect(store.list('p', { after: 'q' }))).toEqual([]);
      });

      it('filters on attrs with exact types', async () => {
        await store.put('f/1', bytes('1'), { attrs: { kind: 'a', n: 1, ok: true, z: null } });
        await store.put('f/2', bytes('2'), { attrs: { kind: 'b', n: 2, ok: false } });
        await store.put('f/3', bytes('3'), { attrs: { kind: 'a', n: '1' } });
        await store.put('f/4', bytes('4'));
        await store.put('g/1', bytes('5'), { attrs: { kind: 'a' } });
        expect(await collect(store.list('f', { where: { kind: 'a' } }))).toEqual(['f/1', 'f/3']);
        expect(await collect(store.list('f', { where: { n: 1 } }))).toEqual(['f/1']);
        expect(await collect(store.list('f', { where: { n: '1' } }))).toEqual(['f/3']);
        expect(await collect(store.list('f', { where: { ok: false } }))).toEqual(['f/2']);
        expect(await collect(store.list('f', { where: { z: null } }))).toEqual(['f/1']);
        expect(await collect(store.list('f', { where: { kind: 'a', n: 1 } }))).toEqual(['f/1']);
        expect(await collect(store.list('', { where: { kind: 'a' }, limit: 2 }))).toEqual(['f/1', 'f/3']);
      });
    });

    describe('keys-only listing', () => {
      it('keys() yields what list() yields, for every option', async () => {
        await store.putMany(
          ['a/b', 'a/b/1', 'a/b/2/x', 'a/bc', 'a/bc/1', 'ab', 'a', 'k/1', 'k/2', 'k/3'].map((k, i) => ({
            key: k,
            value: bytes(k),
            attrs: { odd: i % 2 === 1 },
          })),
        );
        const variants: [string | undefined, Parameters<Backend['list']>[1]][] = [
          [undefined, {}],
          ['a', {}],
          ['a', { recursive: false }],
          ['', { recursive: false }],
          ['k', { after: 'k/1' }],
          ['k', { limit: 2 }],
          ['', { where: { odd: true } }],
          ['nothing', {}],
        ];
        for (const [prefix, options] of variants) {
          const keys: string[] = [];
          for await (const key of store.keys(prefix, options)) keys.push(key.join('/'));
          expect(keys, `${prefix} ${JSON.stringify(options)}`).toEqual(await collect(store.list(prefix, options)));
        }
      });

      it('keys() yields keys as arrays of segments', async () => {
        await store.put('x/y/z', bytes('1'));
        const keys: Key[] = [];
        for await (const key of store.keys('x')) keys.push(key);
        expect(keys).toEqual([['x', 'y', 'z']]);
      });
    });

    describe('values and limits', () => {
      it('returns values as plain Uint8Array, never a Buffer or another subclass', async () => {
        await store.put('plain/1', bytes('one'));
        await store.put('plain/2', new Uint8Array(10_000).fill(3));
        const one = await store.get('plain/1');
        expect(Object.getPrototypeOf(one?.value)).toBe(Uint8Array.prototype);
        for (const got of await store.getMany(['plain/1', 'plain/2'])) {
          expect(Object.getPrototypeOf(got?.value)).toBe(Uint8Array.prototype);
        }
      });

      it('enforces a declared key limit before any I/O, and stores keys right at it', async () => {
        const max = store.capabilities.maxKeyBytes;
        if (max === undefined) return;
        const segments = (total: number) => {
          const parts: string[] = [];
          let left = total;
          while (left > 0) {
            const n = Math.min(200, left - (parts.length > 0 ? 1 : 0));
            parts.push('k'.repeat(Math.max(1, n)));
            left -= n + (parts.length > 1 ? 1 : 0);
          }
          return parts.join('/');
        };
        const atLimit = segments(max);
        expect(Buffer.byteLength(atLimit)).toBe(max);
        await store.put(atLimit, bytes('edge'));
        expect(text((await store.get(atLimit))?.value)).toBe('edge');
        await expect(store.put(`${atLimit}k`, bytes('over'))).rejects.toBeInstanceOf(InvalidKeyError);
      });

      it('refuses a value over a declared value limit with CapacityError, writing nothing', async () => {
        const max = store.capabilities.maxValueBytes;
        if (max === undefined || max > 64 * 1024 * 1024) return;
        await expect(store.put('too/big', new Uint8Array(max + 1))).rejects.toBeInstanceOf(CapacityError);
        expect(await store.stat('too/big')).toBeUndefined();
        const ok = await store.put('at/limit', new Uint8Array(max));
        expect(ok.size).toBe(max);
      });

      it('takes batches of any length (the backend splits them as its engine needs)', async () => {
        const entries = Array.from({ length: 1234 }, (_, i) => ({
          key: `batch/${String(i).padStart(4, '0')}`,
          value: bytes(String(i)),
        }));
        const metas = await store.putMany(entries);
        expect(metas).toHaveLength(1234);
        const got = await store.getMany(entries.map((e) => e.key));
        expect(got.every((g, i) => text(g?.value) === String(i))).toBe(true);
        expect(await store.deleteMany(entries.map((e) => e.key))).toBe(1234);
        expect(await collect(store.list('batch'))).toEqual([]);
      });

      it('compacts, where it can, with a report of what it removed', async () => {
        if (!store.compact) return;
        await store.put('c/1', new Uint8Array(1000));
        await store.delete('c/1');
        const report = await store.compact();
        expect(typeof report.removed).toBe('number');
      });
    });

    describeStreams(() => store, target.streamsStayWhole);

    describe('batches and clear', () => {
      it('getMany keeps order and reports misses', async () => {
        await store.putMany([
          { key: 'b/1', value: bytes('one'), attrs: { i: 1 } },
          { key: 'b/2', value: bytes('two') },
        ]);
        const got = await store.getMany(['b/2', 'missing', 'b/1', 'b/2']);
        expect(got.map((g) => text(g?.value))).toEqual(['two', undefined, 'one', 'two']);
        expect(got[2]?.meta.attrs).toEqual({ i: 1 });
      });

      it('putMany returns metadata per entry and validates every key first', async () => {
        const metas = await store.putMany([
          { key: 'pm/1', value: bytes('1') },
          { key: 'pm/2', value: bytes('22') },
        ]);
        expect(metas.map((m) => m.size)).toEqual([1, 2]);
        await expect(
          store.putMany([
            { key: 'pm/3', value: bytes('3') },
            { key: 'bad//key', value: bytes('x') },
          ]),
        ).rejects.toBeInstanceOf(InvalidKeyError);
        expect(await store.get('pm/3')).toBeUndefined();
      });

      it('putMany keeps any bytes, key text and attrs exactly as a put does', async () => {
        const every = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff);
        const entries = [
          { key: 'pmb/rÜn ß/日本', value: every, attrs: { note: 'é ✓ "q"', n: 1.5 } },
          { key: 'pmb/empty', value: new Uint8Array(0) },
          { key: 'pmb/nul', value: Uint8Array.of(0, 0xc1, 0xdb, 0xff, 0) },
        ];
        const metas = await store.putMany(entries);
        for (const [i, entry] of entries.entries()) {
          const got = await store.get(entry.key);
          expect(Buffer.from(got?.value ?? []).equals(Buffer.from(entry.value)), entry.key).toBe(true);
          expect(got?.meta).toEqual(metas[i]);
          expect(got?.meta.attrs).toEqual(entry.attrs ?? {});
        }
      });

      // Found by the model tests (test/reliability/model.test.ts): batches written in
      // parallel could let an earlier entry of a key overtake a later one.
      it('putMany naming a key several times ends with its last entry, value and attrs', async () => {
        const entries = Array.from({ length: 30 }, (_, i) => ({
          key: `dup/${i % 3}`,
          value: bytes(`v${i}`),
          attrs: { i },
        }));
        const metas = await store.putMany(entries);
        expect(metas).toHaveLength(30);
        for (const k of [0, 1, 2]) {
          const got = await store.get(`dup/${k}`);
          expect(text(got?.value)).toBe(`v${27 + k}`);
          expect(got?.meta.attrs).toEqual({ i: 27 + k });
          expect(got?.meta.etag).toBe(metas[27 + k]?.etag);
        }
      });

      it('deleteMany counts what existed', async () => {
        await store.putMany([1, 2, 3].map((i) => ({ key: `dm/${i}`, value: bytes(String(i)) })));
        expect(await store.deleteMany(['dm/1', 'dm/3', 'dm/9'])).toBe(2);
        expect(await collect(store.list('dm'))).toEqual(['dm/2']);
      });

      it('clear removes only under the prefix and counts', async () => {
        await store.putMany(['x/1', 'x/2/deep', 'x', 'xy/1', 'y'].map((key) => ({ key, value: bytes(key) })));
        expect(await store.clear('x')).toBe(2);
        expect(await collect(store.list())).toEqual(['x', 'xy/1', 'y']);
        expect(await store.clear()).toBe(3);
        expect(await collect(store.list())).toEqual([]);
      });
    });

    describe('keys', () => {
      it(`stores every tricky key distinctly${trickyNote}`, async () => {
        for (const key of tricky) await store.put(key, bytes(`v:${key}`));
        for (const key of tricky) expect(text((await store.get(key))?.value)).toBe(`v:${key}`);
        expect((await store.info()).entries).toBe(tricky.length);
      });

      it('rejects invalid keys with InvalidKeyError before any I/O', async () => {
        for (const key of INVALID_KEYS) {
          const k = key as string;
          await expect(store.put(k, bytes('x')), `put ${JSON.stringify(key)}`).rejects.toBeInstanceOf(InvalidKeyError);
          await expect(store.get(k), `get ${JSON.stringify(key)}`).rejects.toBeInstanceOf(InvalidKeyError);
          await expect(store.delete(k)).rejects.toBeInstanceOf(InvalidKeyError);
        }
        await expect(collect(store.list('a//b'))).rejects.toBeInstanceOf(InvalidKeyError);
        expect(await collect(store.list())).toEqual([]);
      });

      it('accepts arrays and strings as the same key', async () => {
        await store.put(['s', 't'], bytes('1'));
        expect(text((await store.get('s/t'))?.value)).toBe('1');
      });

      it('sorts keys with compareKeyPaths', () => {
        const sorted = [...TRICKY_KEYS].sort(compareKeyPaths);
        expect(sorted).toEqual([...TRICKY_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      });
    });

    describe('store', () => {
      it('reports counts and bytes in info()', async () => {
        await store.putMany([
          { key: 'i/1', value: bytes('abc') },
          { key: 'i/2', value: bytes('de') },
        ]);
        const info = await store.info();
        expect(info.entries).toBe(2);
        expect(info.bytes).toBe(5);
        expect(info.capabilities).toEqual(store.capabilities);
        expect(typeof info.location).toBe('string');
      });

      it('round-trips toConfig through openBackend', async () => {
        const config = store.toConfig();
        expect(JSON.parse(JSON.stringify(config))).toEqual(JSON.parse(JSON.stringify(config)));
        await store.put('cfg', bytes('saved'));
        const again = await openBackend(JSON.parse(JSON.stringify(config)));
        opened.push(again);
        expect(again.capabilities).toEqual(store.capabilities);
        if (store.capabilities.persistent) expect(text((await again.get('cfg'))?.value)).toBe('saved');
      });

      it('fails clearly once closed, and close is idempotent', async () => {
        await store.close();
        await store.close();
        await expect(store.get('a')).rejects.toBeInstanceOf(StorageError);
        await expect(store.put('a', bytes('x'))).rejects.toBeInstanceOf(StorageError);
      });

      it('supports await using', async () => {
        let closedStore: Backend | undefined;
        {
          await using s = await openBackend(store.toConfig());
          closedStore = s;
          await s.stat('x');
        }
        await expect(closedStore.get('x')).rejects.toBeInstanceOf(StorageError);
      });

      it('keeps data across reopen when persistent', async () => {
        await store.put('persist/me', bytes('still here'), { attrs: { a: 1 } });
        const config = store.toConfig();
        await store.close();
        const again = await openBackend(config);
        opened.push(again);
        const got = await again.get('persist/me');
        if (store.capabilities.persistent) {
          expect(text(got?.value)).toBe('still here');
          expect(got?.meta.attrs).toEqual({ a: 1 });
        } else {
          expect(got).toBeUndefined();
        }
      });

      const tears = target.overlappingWritesTear;
      it(`writes many keys concurrently from async tasks${tears ? ` (different keys only: ${tears})` : ''}`, async () => {
        await Promise.all(Array.from({ length: 100 }, (_, i) => store.put(`con/${i % 10}/${i}`, bytes(String(i)))));
        expect(await collect(store.list('con'))).toHaveLength(100);
        expect(text((await store.get('con/3/43'))?.value)).toBe('43');
        if (tears) return;
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('same', bytes(`value-${i}`))));
        expect(text((await store.get('same'))?.value)).toMatch(/^value-\d+$/);
      });
    });

    describe('opening existing stores only (create: false)', () => {
      it('refuses a store that does not exist, and creates nothing', async () => {
        const missing = target.missing();
        await expect(openBackend(missing, { create: false })).rejects.toBeInstanceOf(StoreNotFoundError);
        // Still missing: the refused open left nothing behind.
        await expect(openBackend(missing, { create: false })).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      it('opens the store itself with create: false (when it outlives its handle)', async () => {
        await store.put('exists/a', bytes('here'));
        const opening = openBackend(store.toConfig(), { create: false });
        if (!store.capabilities.persistent) {
          // A volatile store opened again is a new, empty one: there is nothing existing to open.
          await expect(opening).rejects.toBeInstanceOf(StoreNotFoundError);
          return;
        }
        const again = await opening;
        opened.push(again);
        expect(text((await again.get('exists/a'))?.value)).toBe('here');
      });

      it('refuses unknown open options and a create that is not a boolean', async () => {
        await expect(openBackend(store.toConfig(), { creat: false } as never)).rejects.toBeInstanceOf(OperationError);
        await expect(openBackend(store.toConfig(), { create: 'no' } as never)).rejects.toBeInstanceOf(OperationError);
      });

      it('refuses a config option it does not know, naming it', async () => {
        const config = { ...store.toConfig(), bogusOption: 1 };
        await expect(openBackend(config)).rejects.toBeInstanceOf(OperationError);
        await expect(openBackend(config)).rejects.toThrow(/bogusOption/);
      });
    });

    describe('attributes are JSON', () => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      const notJson: [string, unknown, string][] = [
        ['a function', { f: () => 1 }, 'attrs.f'],
        ['a Date', { when: new Date(0) }, 'attrs.when'],
        ['NaN', { score: Number.NaN }, 'attrs.score'],
        ['Infinity, nested', { run: { best: [1, Number.POSITIVE_INFINITY] } }, 'attrs.run.best[1]'],
        ['a BigInt', { n: 1n }, 'attrs.n'],
        ['undefined', { u: undefined }, 'attrs.u'],
        ['a symbol', { s: Symbol('s') }, 'attrs.s'],
        ['a Map', { m: new Map() }, 'attrs.m'],
        ['a cycle', cycle, 'attrs.self'],
      ];
      for (const [what, attrs, path] of notJson) {
        it(`refuses ${what} in attrs with a SerializationError naming the key and the attribute, writing nothing`, async () => {
          const put = store.put('attrs/bad', bytes('x'), { attrs: attrs as never });
          await expect(put).rejects.toBeInstanceOf(SerializationError);
          await expect(put).rejects.toThrow(path);
          await expect(put).rejects.toMatchObject({ key: 'attrs/bad' });
          await expect(
            store.putMany([{ key: 'attrs/many', value: bytes('x'), attrs: attrs as never }]),
          ).rejects.toThrow(path);
          expect(await store.stat('attrs/bad')).toBeUndefined();
          expect(await store.stat('attrs/many')).toBeUndefined();
        });
      }
    });

    describe('close', () => {
      it('waits for calls in flight: a put not awaited before close() completes and is kept', async () => {
        const pending = store.put('inflight/a', bytes('written'), { attrs: { n: 1 } });
        const pendingMany = store.putMany([{ key: 'inflight/b', value: bytes('too') }]);
        const pendingRead = store.get('inflight/none');
        await store.close();
        await expect(pending).resolves.toMatchObject({ size: 7 });
        await expect(pendingMany).resolves.toHaveLength(1);
        await expect(pendingRead).resolves.toBeUndefined();
        await expect(store.get('inflight/a')).rejects.toBeInstanceOf(OperationError);
        if (!store.capabilities.persistent) return;
        const again = await openBackend(store.toConfig());
        opened.push(again);
        expect(text((await again.get('inflight/a'))?.value)).toBe('written');
        expect(text((await again.get('inflight/b'))?.value)).toBe('too');
      });
    });

    describe('multiple processes', () => {
      it('loses no update among processes doing ifMatch increments (when claimed)', async () => {
        // Only backends that claim both are held to it; others are single-process by contract.
        if (!(store.capabilities.multiProcess && store.capabilities.atomicConditionalWrite)) return;
        const results = (await runWorkers(
          './increment-worker.ts',
          [JSON.stringify(store.toConfig()), 'mp/counter', '40'],
          3,
        )) as { conflicts: number }[];
        expect(text((await store.get('mp/counter'))?.value)).toBe('120');
        expect(results).toHaveLength(3);
      });
    });
  });
}
