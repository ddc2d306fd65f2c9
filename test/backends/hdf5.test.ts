import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { File as H5File } from 'h5wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { Hdf5Backend } from '../../src/backends/hdf5/index.ts';
import {
  ConnectionError,
  CorruptValueError,
  OptimizationResult,
  openBackend,
  ResultSet,
  ResultStore,
  ValueStore,
} from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

runConformanceSuite({
  name: 'hdf5',
  open: () => Hdf5Backend.open({ path: join(tempDir('hdf5'), 'store.h5') }),
  missing: () => ({ type: 'hdf5', path: join(tempDir('hdf5-missing'), 'typo.h5') }),
});

const h5ls = spawnSync('h5ls', ['--version']).status === 0;

describe('hdf5 extras', () => {
  it('opens from a URL, with a group, and round-trips its config', async () => {
    const file = join(tempDir('hdf5-url'), 'bag.h5');
    const store = await openBackend(`hdf5://${file}?group=runs`);
    await store.put('a', bytes('1'));
    expect(store.toConfig()).toEqual({ type: 'hdf5', path: file, group: 'runs' });
    await store.close();
    const other = await openBackend(`hdf5://${file}`);
    expect(await other.get('a')).toBeUndefined();
    await other.close();
    const again = await openBackend({ type: 'hdf5', path: file, group: 'runs' });
    expect(text((await again.get('a'))?.value)).toBe('1');
    await again.close();
  });

  it('reuses the dataset of a deleted key and compacts the file', async () => {
    const file = join(tempDir('hdf5-compact'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    const big = new Uint8Array(2_000_000).fill(7);
    for (let i = 0; i < 5; i++) await store.put(`big/${i}`, big);
    await store.put('keep', bytes('kept'), { attrs: { n: 1 } });
    expect(await store.clear('big')).toBe(5);
    await store.put('big/0', bytes('small again'));
    expect(text((await store.get('big/0'))?.value)).toBe('small again');
    // Every key has two datasets from its first write. Each deleted key is left with its
    // emptied value dataset and its tombstone; big/0's new value went into its emptied
    // dataset, and keep has its spare: 4 x 2 + 1 + 1.
    expect((await store.info()).details).toMatchObject({ emptyDatasets: 10 });
    const report = await store.compact();
    expect(report.removed).toBe(10);
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
    expect(statSync(file).size).toBe(report.bytesAfter);
    expect((await store.get('keep'))?.meta.attrs).toEqual({ n: 1 });
    expect(text((await store.get('big/0'))?.value)).toBe('small again');
    await store.put('after', bytes('compact'));
    await store.close();
    const again = await Hdf5Backend.open({ path: file });
    expect((await again.info()).entries).toBe(3);
    expect(text((await again.get('after'))?.value)).toBe('compact');
    await again.close();
  });

  // What a process killed mid-put leaves: bytes in the slot it was writing, and its lock.
  async function simulateCrash(file: string, extra?: (raw: H5File) => void): Promise<void> {
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const raw = new h5.File(file, 'a');
    const slot0 = raw.get('stowage/k') as InstanceType<typeof h5.Dataset>;
    slot0.resize([5]);
    slot0.write_slice([[0, 5]], new Uint8Array([1, 2, 3, 4, 5]));
    extra?.(raw);
    raw.close();
    writeFileSync(`${file}.lock`, JSON.stringify({ host: hostname(), pid: 2 ** 22 + 1 }));
  }

  async function datasetBytes(file: string, name: string): Promise<number[] | undefined> {
    const h5 = (await import('h5wasm/node')).default;
    const f = new h5.File(file, 'r');
    const entity = f.get(name);
    const value = entity instanceof h5.Dataset ? Array.from(entity.value as Uint8Array) : undefined;
    f.close();
    return value;
  }

  async function twoPuts(file: string): Promise<void> {
    const store = await Hdf5Backend.open({ path: file });
    await store.put('k', bytes('first')); // slot 0
    await store.put('k', bytes('second')); // slot 1; slot 0 emptied
    await store.put('other', bytes('o'));
    await store.close();
  }

  it('keeps small metadata in the dataset header and large metadata in the heap, both readable', async () => {
    const file = join(tempDir('hdf5-attrs'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    await store.put('small', bytes('s'), { attrs: { note: 'caf\u00e9 \u{1F600}' } });
    await store.put('large', bytes('l'), { attrs: { note: 'x'.repeat(40_000) } });
    await store.close();
    const again = await Hdf5Backend.open({ path: file });
    expect((await again.stat('small'))?.attrs).toEqual({ note: 'caf\u00e9 \u{1F600}' });
    expect((await again.stat('large'))?.attrs.note).toBe('x'.repeat(40_000));
    await again.close();
  });

  it('after a crash rewrites the file with the current values only', async () => {
    const file = join(tempDir('hdf5-recover'), 'store.h5');
    await twoPuts(file);
    await simulateCrash(file);
    const recovered = await Hdf5Backend.open({ path: file });
    expect(text((await recovered.get('k'))?.value)).toBe('second');
    expect(text((await recovered.get('other'))?.value)).toBe('o');
    await recovered.close();
    // The torn dataset is gone: slot 0 now holds the current value, and slot 1 is an empty spare.
    expect(await datasetBytes(file, 'stowage/k')).toEqual(Array.from(bytes('second')));
    expect(await datasetBytes(file, 'stowage/k%1')).toEqual([]);
    expect(existsSync(`${file}.abandoned`)).toBe(false);
  });

  it('after a crash opens a file cut short of the end its superblock records', async () => {
    const file = join(tempDir('hdf5-truncated'), 'store.h5');
    await twoPuts(file);
    // The dead process grew slot 0 of k; the kill came before the new end was written.
    await simulateCrash(file, (raw) => {
      const slot0 = raw.get('stowage/k') as InstanceType<typeof import('h5wasm').Dataset>;
      slot0.resize([64 * 1024]);
      slot0.write_slice([[0, 64 * 1024]], new Uint8Array(64 * 1024).fill(7));
    });
    truncateSync(file, statSync(file).size - 1000);
    const recovered = await Hdf5Backend.open({ path: file });
    expect(text((await recovered.get('k'))?.value)).toBe('second');
    expect(text((await recovered.get('other'))?.value)).toBe('o');
    await recovered.close();
  });

  it('does not pad a truncated file that no crash explains', async () => {
    const file = join(tempDir('hdf5-cut'), 'store.h5');
    await twoPuts(file);
    const size = statSync(file).size;
    truncateSync(file, size - 100);
    await expect(Hdf5Backend.open({ path: file })).rejects.toThrow(/truncated/);
    expect(statSync(file).size).toBe(size - 100);
  });

  it('after a crash in a file with objects of its own, never writes a dataset the crash may have torn', async () => {
    const file = join(tempDir('hdf5-abandon'), 'store.h5');
    await twoPuts(file);
    await simulateCrash(file, (raw) => {
      raw.create_dataset({ name: 'mine', data: new Float64Array([1.5, 2.5]) });
    });
    const recovered = await Hdf5Backend.open({ path: file });
    // Every dataset that is not its key's newest: the torn one, and other's unused spare.
    expect(JSON.parse(readFileSync(`${file}.abandoned`, 'utf8'))).toEqual({ stowage: ['k', 'other%1'] });
    expect(text((await recovered.get('k'))?.value)).toBe('second');
    for (const v of ['third', 'fourth', 'fifth']) await recovered.put('k', bytes(v));
    await recovered.delete('k');
    await recovered.put('k', bytes('sixth'));
    await recovered.close();
    expect(await datasetBytes(file, 'stowage/k')).toEqual([1, 2, 3, 4, 5]);
    // A later, clean open keeps away from it too.
    const clean = await Hdf5Backend.open({ path: file });
    for (const v of ['seventh', 'eighth']) await clean.put('k', bytes(v));
    expect(text((await clean.get('k'))?.value)).toBe('eighth');
    await expect(clean.compact()).rejects.toThrow(/does not own: mine/);
    await clean.close();
    expect(await datasetBytes(file, 'stowage/k')).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps a second process out while open, and takes over the lock of a dead one', async () => {
    const file = join(tempDir('hdf5-lock'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    await store.put('k', bytes('v'));
    const script = `import { Hdf5Backend } from ${JSON.stringify(new URL('../../src/backends/hdf5/index.ts', import.meta.url).href)};
      try { await Hdf5Backend.open({ path: ${JSON.stringify(file)} }); console.log('opened'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }`;
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run()).toMatch(new RegExp(`ConnectionError: .*in use by process ${process.pid}`));
    await store.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
    // A lock left by a process that no longer exists does not need manual repair.
    writeFileSync(`${file}.lock`, JSON.stringify({ host: (await import('node:os')).hostname(), pid: 2 ** 22 + 1 }));
    expect(run().trim()).toBe('opened');
  });

  it('lets one of several processes recovering the same dead lock open the file, and keeps the others out', async () => {
    const file = join(tempDir('hdf5-recoverers'), 'store.h5');
    await twoPuts(file);
    await simulateCrash(file);
    // Each process reports, then holds the file open until its stdin closes.
    const script = `import { Hdf5Backend } from ${JSON.stringify(new URL('../../src/backends/hdf5/index.ts', import.meta.url).href)};
      let store;
      try { store = await Hdf5Backend.open({ path: ${JSON.stringify(file)} }); console.log('opened'); }
      catch (e) { console.log(e.constructor.name + ': ' + e.message); }
      process.stdin.resume();
      process.stdin.on('end', async () => { await store?.close(); process.exit(0); });`;
    const children = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const answers = await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve) => {
            let out = '';
            child.stdout.on('data', (d) => {
              out += d;
              if (out.includes('\n')) resolve(out.trim());
            });
          }),
      ),
    );
    const exits = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
    for (const child of children) child.stdin.end();
    await Promise.all(exits);
    expect(answers.filter((a) => a === 'opened')).toHaveLength(1);
    for (const answer of answers.filter((a) => a !== 'opened'))
      expect(answer).toMatch(/^ConnectionError: .*in use by process/);
    expect(existsSync(`${file}.lock`)).toBe(false);
    const store = await Hdf5Backend.open({ path: file });
    expect(text((await store.get('k'))?.value)).toBe('second');
    await store.close();
  });

  it('reports bytes changed inside the file as corrupt, naming the key', async () => {
    const file = join(tempDir('hdf5-corrupt'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    const marker = 'MARKER-'.repeat(200);
    await store.put('victim', bytes(marker));
    await store.put('other', bytes('fine'));
    await store.close();
    const raw = readFileSync(file);
    const at = raw.indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    raw[at + 10] = (raw[at + 10] as number) ^ 0xff;
    writeFileSync(file, raw);
    const again = await Hdf5Backend.open({ path: file });
    const error = await again.get('victim').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptValueError);
    expect((error as CorruptValueError).key).toBe('victim');
    expect(text((await again.get('other'))?.value)).toBe('fine');
    await again.close();
  });

  it('rejects an unusable group name before touching the file', async () => {
    const file = join(tempDir('hdf5-group'), 'store.h5');
    await expect(Hdf5Backend.open({ path: file, group: '../x' })).rejects.toThrow(/group name/);
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(!h5ls)('writes a file that h5ls reads (hdf5-tools)', async () => {
    const file = join(tempDir('hdf5-h5ls'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    await store.put('results/run 1', bytes('hello'));
    await store.close();
    const listing = execFileSync('h5ls', ['-r', '-d', file], { encoding: 'utf8' });
    expect(listing).toContain('/stowage/results%2Frun\\ 1');
    expect(listing).toMatch(/104, 101, 108, 108, 111/);
  });

  it.skipIf(!h5ls)('keeps values that name a numeric element type as datasets of numbers (h5ls)', async () => {
    const file = join(tempDir('hdf5-numeric'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    const f64 = Float64Array.of(1.5, -2.25, 1e300);
    const i32 = Int32Array.of(7, -8, 9);
    const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
    await store.put('cols/f', asBytes(f64), { attrs: { elementType: 'Float64Array' } });
    await store.put('cols/i', asBytes(i32), { attrs: { elementType: 'Int32Array' } });
    await store.put('cols/odd', bytes('12345'), { attrs: { elementType: 'Float64Array' } });
    await store.close();
    const listing = execFileSync('h5ls', ['-r', '-d', file], { encoding: 'utf8' });
    expect(listing).toMatch(/cols%2Ff\S*\s+Dataset \{3\/Inf\}\s+Data:\s+1\.5, -2\.25, 1e\+300/);
    expect(listing).toMatch(/cols%2Fi\S*\s+Dataset \{3\/Inf\}\s+Data:\s+7, -8, 9/);
    // Five bytes are not a whole float64: kept as bytes.
    expect(listing).toMatch(/cols%2Fodd\S*\s+Dataset \{5\/Inf\}/);
    const again = await Hdf5Backend.open({ path: file });
    expect((await again.get('cols/f'))?.value).toEqual(asBytes(f64));
    // A key's datasets keep their element type; later values of other sizes read back exactly.
    await again.put('cols/f', bytes('abc'));
    expect(text((await again.get('cols/f'))?.value)).toBe('abc');
    await again.put('cols/f', asBytes(f64), { attrs: { elementType: 'Float64Array' } });
    await again.compact();
    expect((await again.get('cols/f'))?.value).toEqual(asBytes(f64));
    expect((await again.get('cols/i'))?.value).toEqual(asBytes(i32));
    await again.close();
    expect(execFileSync('h5ls', ['-r', '-d', file], { encoding: 'utf8' })).toMatch(/1\.5, -2\.25, 1e\+300/);
  });

  it.skipIf(!h5ls)('shows result-set columns stored in the columns format as numbers (h5ls)', async () => {
    const file = join(tempDir('hdf5-results'), 'store.h5');
    const backend = await Hdf5Backend.open({ path: file });
    const results = new ResultStore({ backend, format: 'columns' });
    const front = new ResultSet('pareto', { f1: Float64Array.of(0.25, 0.5), f2: Float64Array.of(0.75, 0.125) });
    await results.save('zdt1', new OptimizationResult({ id: 'zdt1', sets: [front] }));
    await backend.close();
    const listing = execFileSync('h5ls', ['-r', '-d', file], { encoding: 'utf8' });
    expect(listing).toMatch(/pareto%2F\w+%2Ff1%2F0\s+Dataset \{2\/Inf\}\s+Data:\s+0\.25, 0\.5/);
    expect(listing).toMatch(/pareto%2F\w+%2Ff2%2F0\s+Dataset \{2\/Inf\}\s+Data:\s+0\.75, 0\.125/);
  });

  it.skipIf(!h5ls)('shows typed arrays stored by a ValueStore as numbers, also when chunked (h5ls)', async () => {
    const file = join(tempDir('hdf5-values'), 'store.h5');
    const backend = await Hdf5Backend.open({ path: file });
    const values = new ValueStore({ backend });
    const small = Float64Array.of(0.5, -1.25, 3e200);
    // Past the 4 MiB chunk size: written as chunks, each a dataset of the array's type.
    const large = new Int32Array((5 * 1024 * 1024) / 4).map((_, i) => i - 7);
    const [d1, d2] = [await values.put(small), await values.put(large)];
    expect(d1).toBe(values.digest(small));
    expect(d2).toBe(values.digest(large));
    await backend.close();
    const listing = execFileSync('h5ls', ['-r', '-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(listing).toMatch(new RegExp(`${d1}\\s+Dataset \\{3/Inf\\}\\s+Data:\\s+0\\.5, -1\\.25, 3e\\+200`));
    // The first chunk of the large array starts -7, -6, -5 as 32-bit integers, not bytes.
    expect(listing).toMatch(/stowage-chunks%2F[\w-]+%2F0000000000\s+Dataset \{1048576\/Inf\}\s+Data:\s+-7, -6, -5/);
    const again = new ValueStore({ backend: await Hdf5Backend.open({ path: file }) });
    expect(await again.get(d1)).toEqual(small);
    expect(await again.get(d2)).toEqual(large);
    await again.backend.close();
  });

  it("fails with a ConnectionError, not HDF5's own error, when the root group is damaged", async () => {
    const file = join(tempDir('hdf5-root'), 'store.h5');
    const store = await Hdf5Backend.open({ path: file });
    await store.put('k', bytes('v'));
    await store.close();
    // The first object header after the superblock is the root group's; its checksum then fails.
    const raw = readFileSync(file);
    const at = raw.indexOf(Buffer.from('OHDR'));
    expect(at).toBeGreaterThan(0);
    for (let i = at + 6; i < at + 12; i++) raw[i] = (raw[i] as number) ^ 0x5a;
    writeFileSync(file, raw);
    for (const create of [false, true]) {
      const error = await Hdf5Backend.open({ path: file }, { create }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toMatch(/Cannot read the HDF5 group 'stowage': .*checksum/);
      expect(existsSync(`${file}.lock`)).toBe(false);
    }
  });

  it('fails with a ConnectionError on a file that is not HDF5', async () => {
    const file = join(tempDir('hdf5-bad'), 'store.h5');
    writeFileSync(file, 'not an hdf5 file');
    await expect(Hdf5Backend.open({ path: file })).rejects.toBeInstanceOf(ConnectionError);
    await expect(Hdf5Backend.open({ path: file })).rejects.toThrow(/Not an HDF5 file/);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
