import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  ConditionFailedError,
  NotFoundError,
  OperationError,
  OptimizationResult,
  ResultSet,
  ResultStore,
} from '../../src/index.ts';
import { type CallLog, faulty } from '../helpers/faulty-backend.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A result with two sets: typed numeric columns and a string column. */
export function sampleResult(id = 'exp-1'): OptimizationResult {
  return new OptimizationResult({
    id,
    problem: { name: 'zdt1', description: 'two objectives' },
    designVariables: [{ name: 'x1', lower: 0, upper: 1 }],
    objectives: [
      { name: 'f1', sense: 'minimize' },
      { name: 'f2', sense: 'minimize' },
    ],
    constraints: [{ name: 'g1', kind: 'inequality', bound: 0 }],
    metadata: { solver: 'nsga2', seed: 7 },
    sets: [
      new ResultSet('all', {
        x1: new Float64Array([0.1, 0.5, 0.9]),
        f1: new Float64Array([0.1, 0.5, 0.9]),
        tag: ['a', 'b', 'c'],
      }),
      new ResultSet('pareto', { f1: new Float64Array([0.1]), f2: new Float64Array([0.8]) }, { generation: 250 }),
    ],
  });
}

/** Runs the ResultStore tests on stores opened by `open`. */
export function runResultStoreSuite(name: string, open: () => Promise<Backend>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`ResultStore on ${name}`, () => {
    let backend: Backend;
    let store: ResultStore;
    beforeEach(async () => {
      backend = await open();
      store = new ResultStore({ backend });
    });
    afterEach(async () => {
      await backend.close();
    });

    it('saves and loads a result with typed sets', async () => {
      await store.save('runs/exp-1', sampleResult());
      const back = await store.load('runs/exp-1');
      expect(back.toJSON()).toEqual(sampleResult().toJSON());
      expect(back.getSet('all').columns.x1).toBeInstanceOf(Float64Array);
      expect(back.getSet('pareto').metadata).toEqual({ generation: 250 });
      expect(back.nPoints).toBe(4);
      expect(await store.exists('runs/exp-1')).toBe(true);
      expect(await store.exists('runs/nope')).toBe(false);
      await expect(store.load('runs/nope')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('overwrites by default, refuses with overwrite: false, and leaves no old sets behind', async () => {
      await store.save('k', sampleResult());
      await expect(store.save('k', sampleResult('other'), { overwrite: false })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      const replacement = new OptimizationResult({ id: 'v2', sets: [new ResultSet('only', { a: [1, 2] })] });
      await store.save('k', replacement);
      expect((await store.load('k')).listSets()).toEqual(['only']);
      expect(await store.compact()).toMatchObject({ orphanSets: 0 });
    });

    it('lists and clears by string prefix as OptiScope does (run_ finds run_001, not run/x)', async () => {
      for (const key of ['run_001', 'run_002', 'run_01x', 'run/x', 'runs/a', 'r%_[*]/1', 'r%_[*]x']) {
        await store.save(key, sampleResult());
      }
      expect(await store.list('run_')).toEqual(['run_001', 'run_002', 'run_01x']);
      expect(await store.list('run_00')).toEqual(['run_001', 'run_002']);
      expect(await store.list('r%_[*]')).toEqual(['r%_[*]/1', 'r%_[*]x']);
      expect(await store.list('nothing')).toEqual([]);
      expect(await store.clear('run_0')).toBe(3);
      expect(await store.list()).toEqual(['r%_[*]/1', 'r%_[*]x', 'run/x', 'runs/a']);
    });

    it('lists by prefix, sorted, and clears by prefix', async () => {
      for (const key of ['b/1', 'a/2', 'a/1', 'ab', 'a/1/deep']) await store.save(key, sampleResult());
      expect(await store.list()).toEqual(['a/1', 'a/1/deep', 'a/2', 'ab', 'b/1']);
      // A string matches the start of the key text (OptiScope); segments match whole segments.
      expect(await store.list('a')).toEqual(['a/1', 'a/1/deep', 'a/2', 'ab']);
      expect(await store.list('a/')).toEqual(['a/1', 'a/1/deep', 'a/2']);
      expect(await store.list(['a'])).toEqual(['a/1', 'a/1/deep', 'a/2']);
      expect(await store.list('a/1')).toEqual(['a/1', 'a/1/deep']);
      expect(await store.clear(['a'])).toBe(3);
      expect(await store.list()).toEqual(['ab', 'b/1']);
      expect((await store.load('ab')).listSets()).toEqual(['all', 'pareto']);
      expect(await store.clear()).toBe(2);
    });

    it('deletes a result and all its sets', async () => {
      await store.save('d', sampleResult());
      await store.save('d/child', sampleResult());
      await store.delete('d');
      expect(await store.exists('d')).toBe(false);
      expect((await store.load('d/child')).listSets()).toEqual(['all', 'pareto']);
      await expect(store.delete('d')).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.compact()).toMatchObject({ orphanSets: 0 });
    });

    it('renames, refusing to overwrite an existing key', async () => {
      await store.save('old', sampleResult());
      await store.save('taken', sampleResult('taken'));
      await expect(store.rename('old', 'taken')).rejects.toBeInstanceOf(ConditionFailedError);
      expect((await store.load('taken')).id).toBe('taken');
      await store.rename('old', 'new/place');
      expect(await store.exists('old')).toBe(false);
      expect((await store.load('new/place')).toJSON()).toEqual(sampleResult().toJSON());
      await expect(store.rename('missing', 'x')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('saves, loads and deletes sets one by one; loading one set reads no other', async () => {
      await store.save('s', sampleResult());
      await store.saveSet('s', 'extra', new ResultSet('extra', { z: new Int32Array([1, 2, 3, 4]) }));
      expect(await store.listSets('s')).toEqual(['all', 'extra', 'pareto']);
      expect((await store.getMetadata('s')).nSets).toBe(3);
      expect((await store.getMetadata('s')).nPoints).toBe(8);

      const log: CallLog = [];
      const watched = new ResultStore({ backend: faulty(backend, () => undefined, log) });
      const extra = await watched.loadSet('s', 'extra');
      expect(extra.columns.z).toEqual(new Int32Array([1, 2, 3, 4]));
      const reads = log.filter((c) => c.operation === 'get' || c.operation === 'getMany');
      expect(reads).toHaveLength(1);
      expect(reads[0]?.key).toContain('extra');

      await store.deleteSet('s', 'all');
      expect(await store.listSets('s')).toEqual(['extra', 'pareto']);
      await expect(store.loadSet('s', 'all')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.deleteSet('s', 'all')).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.getMetadata('s')).nPoints).toBe(5);
    });

    it('reads and updates metadata without loading the result', async () => {
      await store.save('m', sampleResult(), { metadata: { owner: 'ana' } });
      const log: CallLog = [];
      const watched = new ResultStore({ backend: faulty(backend, () => undefined, log) });
      const meta = await watched.getMetadata('m');
      expect(log.map((c) => c.operation)).toEqual(['stat']);
      expect(meta).toMatchObject({ key: 'm', nPoints: 4, nSets: 2, custom: { owner: 'ana' } });
      expect(meta.sizeBytes).toBeGreaterThan(0);
      expect(meta.createdAt).toBeInstanceOf(Date);
      await store.updateMetadata('m', { reviewed: true });
      const after = await store.getMetadata('m');
      expect(after.custom).toEqual({ owner: 'ana', reviewed: true });
      expect(after.modifiedAt.getTime()).toBeGreaterThanOrEqual(meta.modifiedAt.getTime());
      expect(after.createdAt.getTime()).toBe(meta.createdAt.getTime());
      await expect(store.getMetadata('nope')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('leaves no partial result when a save fails half-way, and keeps the previous one', async () => {
      await store.save('f', sampleResult('before'));
      let puts = 0;
      const flaky = new ResultStore({
        backend: faulty(backend, (op) => (op === 'put' && ++puts === 2 ? 'fail' : undefined)),
      });
      await expect(flaky.save('f', sampleResult('after'))).rejects.toThrow(/injected/);
      expect((await store.load('f')).id).toBe('before');
      puts = 0;
      await expect(flaky.save('g', sampleResult('new'))).rejects.toThrow(/injected/);
      expect(await store.exists('g')).toBe(false);
      expect(await store.compact()).toMatchObject({ orphanSets: 0 });
    });

    it('compacts set entries left by an interrupted save', async () => {
      const crashing = new ResultStore({
        backend: faulty(backend, (op, key) =>
          op === 'put' && key.startsWith('results/r/') ? 'fail' : op === 'deleteMany' ? 'fail' : undefined,
        ),
      });
      await expect(crashing.save('c', sampleResult())).rejects.toThrow(/injected/);
      expect(await store.exists('c')).toBe(false);
      // Young sets may be a save in progress (sets are written before the header): spared.
      expect(await store.compact()).toMatchObject({ orphanSets: 0 });
      expect(await store.compact({ minAgeMs: 0 })).toMatchObject({ orphanSets: 2 });
      expect(await store.compact({ minAgeMs: 0 })).toMatchObject({ orphanSets: 0 });
      await expect(store.compact({ minAgeMs: -1 })).rejects.toThrow(/minAgeMs/);
      await expect(store.compact({ maxAge: 1 } as never)).rejects.toThrow(/maxAge/);
    });

    it('exports json and csv', async () => {
      await store.save('e', sampleResult());
      const json = JSON.parse(await store.export('e', { format: 'json' }));
      expect(json.sets.map((s: { name: string }) => s.name)).toEqual(['all', 'pareto']);
      expect(await store.export('e', { format: 'csv', set: 'all' })).toBe('x1,f1,tag\n0.1,0.1,a\n0.5,0.5,b\n0.9,0.9,c');
      const csv = (await store.export('e', { format: 'csv' })).split('\n');
      expect(csv[0]).toBe('set,x1,f1,tag,f2');
      expect(csv).toHaveLength(5);
      expect(csv[4]).toBe('pareto,,0.1,,0.8');
    });

    it('scopes sessions by source id', async () => {
      const a = store.session('source-a');
      const b = store.session('source-b');
      await a.save('run', sampleResult('a'));
      await b.save('run', sampleResult('b'));
      expect(await a.list()).toEqual(['run']);
      expect((await b.load('run')).id).toBe('b');
      expect(await store.list()).toEqual(['source-a/run', 'source-b/run']);
      expect((await a.getMetadata('run')).key).toBe('run');
      expect(await a.clear()).toBe(1);
      expect(await store.list()).toEqual(['source-b/run']);
    });

    it('reports counts in info()', async () => {
      await store.save('i1', sampleResult());
      await store.save('i2', sampleResult());
      const info = await store.info();
      expect(info).toMatchObject({ results: 2, sets: 4 });
      expect(info.sizeBytes).toBeGreaterThan(0);
      expect(info.backend.entries).toBe(6);
    });
    it('stores sets as binary, JSON or CSV text, decoded transparently, keeping every value', async () => {
      for (const format of ['binary', 'json', 'csv', 'columns'] as const) {
        const typed = new ResultStore({ backend, prefix: ['fmt', format], format });
        await typed.save('odd', oddResult());
        expectSameResult(await typed.load('odd'), oddResult());
        // Any store reads any format: the format travels with each set entry.
        expectSameResult(await new ResultStore({ backend, prefix: ['fmt', format] }).load('odd'), oddResult());
        expect((await typed.loadSet('odd', 'special')).columns.v).toBeInstanceOf(Float64Array);
      }
      let csvText = '';
      for await (const { key } of backend.list(['fmt', 'csv', 's'])) {
        const value = (await backend.get(key))?.value;
        if (key[key.length - 1] === 'special' && value) csvText = new TextDecoder().decode(value);
      }
      expect(csvText.split('\n')[0]).toBe('v,"naïve, col",label');
      expect(() => new ResultStore({ backend, format: 'xml' as never })).toThrow(OperationError);
    });

    it('stores sets column by column in chunks and loads slices of columns and rows', async () => {
      // 64-byte chunks: 8 float64 rows a chunk, so slices cross chunk boundaries.
      const columnar = new ResultStore({ backend, prefix: 'cols', format: 'columns', chunkBytes: 64 });
      const n = 50;
      const set = new ResultSet(
        'big',
        {
          f1: Float64Array.from({ length: n }, (_, i) => i / 2),
          i: Int32Array.from({ length: n }, (_, i) => -i),
          plain: Array.from({ length: n }, (_, i) => (i === 3 ? -0 : i * 10)),
          label: Array.from({ length: n }, (_, i) => `row ${i}`),
          'not/a segment': Float32Array.from({ length: n }, (_, i) => i),
        },
        { note: 'kept' },
      );
      await columnar.save('r', new OptimizationResult({ id: 'r', sets: [set, new ResultSet('tiny', { a: [1] })] }));
      const whole = await columnar.loadSet('r', 'big');
      expectSameResult(
        new OptimizationResult({ id: 'x', sets: [whole] }),
        new OptimizationResult({ id: 'x', sets: [set] }),
      );
      const part = await columnar.loadSet('r', 'big', { columns: ['label', 'f1'], rows: [7, 19] });
      expect(part.columnNames).toEqual(['label', 'f1']);
      expect(part.columns.label).toEqual(Array.from({ length: 12 }, (_, i) => `row ${i + 7}`));
      expect([...(part.columns.f1 as Float64Array)]).toEqual(Array.from({ length: 12 }, (_, i) => (i + 7) / 2));
      expect(part.columns.f1).toBeInstanceOf(Float64Array);
      expect(part.metadata).toEqual({ note: 'kept' });
      expect((await columnar.loadSet('r', 'big', { rows: [48, 99] })).nPoints).toBe(2);
      expect((await columnar.loadSet('r', 'big', { rows: [5, 5] })).nPoints).toBe(0);
      expect(
        (await columnar.loadSet('r', 'big', { columns: ['not/a segment'] })).columns['not/a segment'],
      ).toBeInstanceOf(Float32Array);
      await expect(columnar.loadSet('r', 'big', { columns: ['nope'] })).rejects.toBeInstanceOf(OperationError);
      await expect(columnar.loadSet('r', 'big', { rows: [3, 1] })).rejects.toBeInstanceOf(OperationError);
      // Slicing also works on the other formats (reading the set whole).
      await store.save('r', new OptimizationResult({ id: 'r', sets: [set] }));
      expect((await store.loadSet('r', 'big', { columns: ['i'], rows: [1, 3] })).columns.i).toEqual(
        Int32Array.of(-1, -2),
      );
      // A set replaced in place leaves no chunk of its earlier version behind.
      const before = (await backend.info()).entries;
      await columnar.saveSet('r', 'big', new ResultSet('big', { f1: Float64Array.of(1, 2, 3) }));
      expect((await columnar.loadSet('r', 'big')).columns.f1).toEqual(Float64Array.of(1, 2, 3));
      expect((await backend.info()).entries).toBeLessThan(before);
      await columnar.rename('r', 'r2');
      expect((await columnar.load('r2')).getSet('big').nPoints).toBe(3);
      await columnar.deleteSet('r2', 'big');
      await columnar.delete('r2');
      expect(await collectKeys(backend, 'cols')).toEqual([]);
    });

    it('replaces custom metadata on re-save as OptiScope does, merging only when asked', async () => {
      await store.save('m', sampleResult(), { metadata: { a: 1, b: 2 } });
      await store.save('m', sampleResult(), { metadata: { c: 3 } });
      expect((await store.getMetadata('m')).custom).toEqual({ c: 3 });
      await store.save('m', sampleResult());
      expect((await store.getMetadata('m')).custom).toEqual({});
      await store.save('m', sampleResult(), { metadata: { a: 1 } });
      await store.save('m', sampleResult(), { metadata: { b: 2 }, mergeMetadata: true });
      expect((await store.getMetadata('m')).custom).toEqual({ a: 1, b: 2 });
      await store.updateMetadata('m', { c: 3 });
      expect((await store.getMetadata('m')).custom).toEqual({ a: 1, b: 2, c: 3 });
      await expect(store.save('m', sampleResult(), { metdata: {} } as never)).rejects.toThrow(
        /Unknown option 'metdata'/,
      );
    });

    it('exports a result to plain files and imports them back exactly', async () => {
      await store.save('runs/odd', oddResult(), { metadata: { owner: 'ana' } });
      for (const format of ['csv', 'json'] as const) {
        const dir = join(tempDir(`export-${format}`), 'out');
        await store.exportDirectory('runs/odd', dir, { format });
        const files = (await readdir(join(dir, 'sets'))).sort();
        expect(files).toEqual([`empty.${format}`, `special.${format}`]);
        const result = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8'));
        expect(result.objectives).toEqual([{ name: 'v' }]);
        const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
        expect(metadata).toMatchObject({ key: 'runs/odd', nSets: 2, custom: { owner: 'ana' } });
        if (format === 'csv') {
          expect(await readFile(join(dir, 'sets', 'special.csv'), 'utf8')).toBe(
            'v,"naïve, col",label\nNaN,1,"a,b"\nInfinity,-0,"quote ""q"""\n-Infinity,2.5,ü\n',
          );
        }
        const key = await store.importDirectory(dir, { key: `copy-${format}` });
        expect(key).toBe(`copy-${format}`);
        expectSameResult(await store.load(key), oddResult());
        expect((await store.getMetadata(key)).custom).toEqual({ owner: 'ana' });
      }
    });
  });
}

async function collectKeys(backend: Backend, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of backend.keys(prefix)) keys.push(key.join('/'));
  return keys;
}

/** Values that text formats get wrong unless careful: NaN, ±Infinity, -0, an empty set, non-ASCII names. */
function oddResult(): OptimizationResult {
  return new OptimizationResult({
    id: 'odd',
    objectives: [{ name: 'v' }],
    sets: [
      new ResultSet(
        'special',
        {
          v: new Float64Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
          'naïve, col': [1, -0, 2.5],
          label: ['a,b', 'quote "q"', 'ü'],
        },
        { note: 'ünïcode' },
      ),
      new ResultSet('empty', { f1: new Float32Array(0) }),
    ],
  });
}

function expectSameResult(actual: OptimizationResult, expected: OptimizationResult): void {
  expect(actual.listSets()).toEqual(expected.listSets());
  for (const name of expected.listSets()) {
    const a = actual.getSet(name);
    const b = expected.getSet(name);
    expect(a.metadata).toEqual(b.metadata);
    expect(a.columnNames).toEqual(b.columnNames);
    for (const column of b.columnNames) {
      const x = a.columns[column] as ArrayLike<unknown>;
      const y = b.columns[column] as ArrayLike<unknown>;
      expect(Object.getPrototypeOf(x)).toBe(Object.getPrototypeOf(y));
      expect(x.length).toBe(y.length);
      // Object.is tells -0 from 0, and takes NaN as equal to NaN.
      for (let i = 0; i < y.length; i++) expect(Object.is(x[i], y[i]), `${name}.${column}[${i}]`).toBe(true);
    }
  }
  const { sets: _a, ...restA } = actual.toJSON();
  const { sets: _b, ...restB } = expected.toJSON();
  expect(restA).toEqual(restB);
}
