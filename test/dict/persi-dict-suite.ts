import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Backend,
  ConditionFailedError,
  DELETE_CURRENT,
  KEEP_CURRENT,
  MutationPolicyError,
  NotFoundError,
  OperationError,
  PersiDict,
  registerClass,
  SerializationError,
  ValueTypeError,
} from '../../src/index.ts';
import { runWorkers } from '../conformance/run-workers.ts';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
registerClass({ name: 'test.Point', Class: Point });

class Unregistered {
  readonly field = 1;
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Runs the PersiDict behaviour tests on stores opened by `open`. */
export function runPersiDictSuite(name: string, open: () => Promise<Backend>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`PersiDict on ${name}`, () => {
    let backend: Backend;
    beforeEach(async () => {
      backend = await open();
    });
    afterEach(async () => {
      await backend.close();
    });

    it('behaves like an async Map', async () => {
      const dict = new PersiDict<{ score: number }>({ backend, prefix: 'runs' });
      await dict.set('a', { score: 1 });
      await dict.set(['b', 'c'], { score: 2 });
      expect(await dict.get('a')).toEqual({ score: 1 });
      expect(await dict.get('b/c')).toEqual({ score: 2 });
      expect(await dict.has('a')).toBe(true);
      expect(await dict.has('zzz')).toBe(false);
      await expect(dict.get('zzz')).rejects.toBeInstanceOf(NotFoundError);
      expect(await dict.getOrDefault('zzz', 7)).toBe(7);
      expect(await dict.getOrDefault('zzz')).toBeUndefined();
      expect(await dict.size()).toBe(2);
      expect((await all(dict.keys({ sorted: true }))).map((k) => k.join('/'))).toEqual(['a', 'b/c']);
      expect(await all(dict.values({ sorted: true }))).toEqual([{ score: 1 }, { score: 2 }]);
      expect(await all(dict.entries({ prefix: 'b' }))).toEqual([[['b', 'c'], { score: 2 }]]);
      expect(await dict.delete('a')).toBe(true);
      expect(await dict.delete('a')).toBe(false);
      expect(await dict.size()).toBe(1);
      expect(await all(dict)).toEqual([[['b', 'c'], { score: 2 }]]);
    });

    it('returns copies: mutating after set or get never changes what is stored', async () => {
      const dict = new PersiDict<{ list: number[] }>({ backend });
      const value = { list: [1, 2] };
      await dict.set('k', value);
      value.list.push(3);
      const read = await dict.get('k');
      read.list.push(4);
      expect(await dict.get('k')).toEqual({ list: [1, 2] });
    });

    it('keeps timestamps and sorts keys by UTF-8 bytes', async () => {
      const dict = new PersiDict<number>({ backend });
      const before = Date.now();
      for (const key of ['b', 'a!', 'a', 'a/b', '\u{1F600}', '\uFFFD']) await dict.set(key, 1);
      expect((await all(dict.keys({ sorted: true }))).map((k) => k.join('/'))).toEqual([
        'a',
        'a!',
        'a/b',
        'b',
        '\uFFFD',
        '\u{1F600}',
      ]);
      const stamps = await all(dict.timestamps());
      expect(stamps).toHaveLength(6);
      for (const [, t] of stamps) expect(t).toBeGreaterThanOrEqual(before - 1);
      expect(await dict.timestamp('a')).toBeGreaterThanOrEqual(before - 1);
      await expect(dict.timestamp('nope')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('shares data with sub-dicts, and clear on a view clears only its part', async () => {
      const root = new PersiDict<string>({ backend, prefix: 'exp' });
      const runs = root.subdict('runs');
      await runs.set('r1', 'one');
      await root.set('runs/r2', 'two');
      await root.set('notes', 'n');
      expect(await root.get('runs/r1')).toBe('one');
      expect(await runs.get('r2')).toBe('two');
      expect(await runs.size()).toBe(2);
      expect(await runs.clear()).toBe(2);
      expect(await root.size()).toBe(1);
      expect(await root.get('notes')).toBe('n');
    });

    it('keeps codecs apart on the same prefix', async () => {
      const json = new PersiDict<unknown>({ backend, prefix: 'p', codec: 'json' });
      const msgpack = new PersiDict<unknown>({ backend, prefix: 'p', codec: 'msgpack' });
      await json.set('k', { from: 'json' });
      await msgpack.set('k', new Map([['from', 'msgpack']]));
      expect(await json.get('k')).toEqual({ from: 'json' });
      expect(await msgpack.get('k')).toEqual(new Map([['from', 'msgpack']]));
      expect(await json.size()).toBe(1);
      await json.clear();
      expect(await msgpack.has('k')).toBe(true);
    });

    it('does ETag-conditional writes', async () => {
      const dict = new PersiDict<number>({ backend });
      expect(await dict.setIfAbsent('k', 1)).toBe(true);
      expect(await dict.setIfAbsent('k', 2)).toBe(false);
      const etag = await dict.etag('k');
      const next = await dict.setIfMatch('k', 3, etag);
      expect(next).not.toBe(etag);
      await expect(dict.setIfMatch('k', 4, etag)).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(dict.deleteIfMatch('k', etag)).rejects.toBeInstanceOf(ConditionFailedError);
      expect(await dict.get('k')).toBe(3);
      await dict.deleteIfMatch('k', next);
      expect(await dict.has('k')).toBe(false);
      await expect(dict.etag('k')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('updates without losing concurrent increments', async () => {
      const dict = new PersiDict<number>({ backend });
      await Promise.all(Array.from({ length: 30 }, () => dict.update('n', (n) => (n ?? 0) + 1)));
      expect(await dict.get('n')).toBe(30);
      expect(await dict.update('n', () => KEEP_CURRENT)).toBe(30);
      expect(await dict.update('n', () => DELETE_CURRENT)).toBeUndefined();
      expect(await dict.has('n')).toBe(false);
    });

    it('applies jokers in set', async () => {
      const dict = new PersiDict<string>({ backend });
      await dict.set('k', 'v');
      await dict.set('k', KEEP_CURRENT);
      expect(await dict.get('k')).toBe('v');
      await dict.set('k', DELETE_CURRENT);
      expect(await dict.has('k')).toBe(false);
      await dict.set('absent', DELETE_CURRENT);
      expect(await dict.has('absent')).toBe(false);
    });

    it('refuses to overwrite or delete in append-only mode, changing nothing', async () => {
      const dict = new PersiDict<string>({ backend, appendOnly: true });
      await dict.set('k', 'first');
      await expect(dict.set('k', 'second')).rejects.toBeInstanceOf(MutationPolicyError);
      await expect(dict.delete('k')).rejects.toBeInstanceOf(MutationPolicyError);
      await expect(dict.set('k', DELETE_CURRENT)).rejects.toBeInstanceOf(MutationPolicyError);
      await expect(dict.update('k', () => 'third')).rejects.toBeInstanceOf(MutationPolicyError);
      await expect(dict.clear()).rejects.toBeInstanceOf(MutationPolicyError);
      expect(await dict.get('k')).toBe('first');
      await dict.set('other', 'ok');
      expect(await dict.size()).toBe(2);
    });

    it('restricts values by class and by zod schema, before writing and on read', async () => {
      const numbers = new PersiDict<number>({ backend, prefix: 'n', valueType: Number });
      await numbers.set('a', 1);
      await expect(numbers.set('b', '2' as unknown as number)).rejects.toBeInstanceOf(ValueTypeError);
      expect(await numbers.has('b')).toBe(false);

      const schema = z.object({ name: z.string(), score: z.number() });
      const strict = new PersiDict<z.infer<typeof schema>>({ backend, prefix: 's', schema });
      await strict.set('ok', { name: 'x', score: 1 });
      await expect(strict.set('bad', { name: 'x' } as never)).rejects.toBeInstanceOf(ValueTypeError);
      expect(await strict.has('bad')).toBe(false);

      const loose = new PersiDict<unknown>({ backend, prefix: 's' });
      await loose.set('drifted', { name: 'y', score: 'high' });
      const error = await strict.get('drifted').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValueTypeError);
      expect(String(error)).toContain("'drifted'");

      const dates = new PersiDict<Date>({ backend, prefix: 'd', valueType: Date, codec: 'msgpack' });
      await dates.set('t', new Date(5));
      expect(await dates.get('t')).toEqual(new Date(5));
    });

    it('finds the newest and oldest keys and values by write time, reading only those values', async () => {
      const dict = new PersiDict<number>({ backend, prefix: 'ages' });
      const other = new PersiDict<string>({ backend, prefix: 'ages', codec: 'msgpack' });
      await other.set('noise', 'another codec: never counted');
      for (const [i, key] of ['c', 'a', 'd/e', 'b'].entries()) {
        await dict.set(key, i);
        // Distinct write times (they are kept in milliseconds).
        await new Promise((r) => setTimeout(r, 5));
      }
      await dict.set('a', 10); // rewriting makes it the newest
      expect((await dict.newestKeys(2)).map((k) => k.join('/'))).toEqual(['a', 'b']);
      expect((await dict.oldestKeys(3)).map((k) => k.join('/'))).toEqual(['c', 'd/e', 'b']);
      expect(await dict.newestValues(3)).toEqual([10, 3, 2]);
      expect(await dict.oldestValues(1)).toEqual([0]);
      expect(await dict.newestKeys(99)).toHaveLength(4);
      expect(await dict.newestKeys(0)).toEqual([]);
      await expect(dict.newestKeys(-1)).rejects.toBeInstanceOf(OperationError);
    });

    it('picks a random key, every key in time, undefined when empty', async () => {
      const dict = new PersiDict<number>({ backend, prefix: 'dice' });
      expect(await dict.randomKey()).toBeUndefined();
      for (const key of ['x', 'y', 'z/w']) await dict.set(key, 1);
      const seen = new Set<string>();
      // Each draw misses a given key with probability 2/3: 60 draws miss one with p < 1e-10.
      for (let i = 0; i < 60 && seen.size < 3; i++) seen.add(((await dict.randomKey()) as string[]).join('/'));
      expect([...seen].sort()).toEqual(['x', 'y', 'z/w']);
    });

    it('has setDefault, pop and discard as persidict does', async () => {
      const dict = new PersiDict<{ n: number }>({ backend, prefix: 'pd' });
      expect(await dict.setDefault('a', { n: 1 })).toEqual({ n: 1 });
      expect(await dict.setDefault('a', { n: 2 })).toEqual({ n: 1 });
      expect(await dict.get('a')).toEqual({ n: 1 });
      expect(await dict.pop('a')).toEqual({ n: 1 });
      expect(await dict.has('a')).toBe(false);
      await expect(dict.pop('a')).rejects.toBeInstanceOf(NotFoundError);
      expect(await dict.pop('a', undefined)).toBeUndefined();
      expect(await dict.pop('a', 'none')).toBe('none');
      await dict.set('b', { n: 3 });
      expect(await dict.discard('b')).toBe(true);
      expect(await dict.discard('b')).toBe(false);
      const frozen = new PersiDict<number>({ backend, prefix: 'pd-frozen', appendOnly: true });
      await frozen.set('k', 1);
      await expect(frozen.pop('k')).rejects.toBeInstanceOf(MutationPolicyError);
      expect(await frozen.setDefault('k', 2)).toBe(1);
    });

    it('refuses a store as a value: a dict or a backend is a live handle, not data', async () => {
      const dict = new PersiDict<unknown>({ backend, prefix: 'handles' });
      await expect(dict.set('d', dict)).rejects.toBeInstanceOf(ValueTypeError);
      await expect(dict.set('b', backend)).rejects.toBeInstanceOf(ValueTypeError);
      expect(await dict.size()).toBe(0);
    });

    it('brings registered classes back as instances on json and msgpack, and refuses unregistered ones', async () => {
      for (const codec of ['json', 'msgpack']) {
        const points = new PersiDict<Point>({ backend, prefix: ['points', codec], valueType: Point, codec });
        await points.set('p', new Point(3, 4));
        const back = await points.get('p');
        expect(back).toBeInstanceOf(Point);
        expect(back.norm()).toBe(5);
        const loose = new PersiDict<unknown>({ backend, prefix: ['loose', codec], codec });
        await expect(loose.set('u', new Unregistered())).rejects.toThrow(SerializationError);
        await expect(loose.set('u', new Unregistered())).rejects.toThrow(/Unregistered.*registerClass/);
        expect(await loose.has('u')).toBe(false);
      }
    });

    it('round-trips its config', async () => {
      const dict = new PersiDict<number>({ backend, prefix: 'cfg/x', codec: 'msgpack', appendOnly: true });
      await dict.set('k', 42);
      const config = JSON.parse(JSON.stringify(dict.getParams()));
      expect(config).toMatchObject({ prefix: ['cfg', 'x'], codec: 'msgpack', appendOnly: true });
      if (!backend.capabilities.persistent && !backend.toConfig().name) return;
      const again = await PersiDict.fromConfig<number>(config);
      expect(await again.get('k')).toBe(42);
      await expect(again.set('k', 1)).rejects.toBeInstanceOf(MutationPolicyError);
      await again.close();
    });

    it('applies 4 processes x 250 updates without losing one (when the backend is multi-process)', async () => {
      if (!(backend.capabilities.multiProcess && backend.capabilities.atomicConditionalWrite)) return;
      const dict = new PersiDict<number>({ backend, prefix: 'mp' });
      await runWorkers('../dict/update-worker.ts', [JSON.stringify(dict.toConfig()), 'counter', '250'], 4);
      expect(await dict.get('counter')).toBe(1000);
    }, 120_000);
  });
}
