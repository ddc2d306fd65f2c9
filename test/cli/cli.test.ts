import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoStore } from '../../src/entries/cas.ts';
import { memoize, OptimizationResult, openBackend, ResultSet, ResultStore } from '../../src/index.ts';
import { CLI_BIN, runCli } from '../helpers/cli.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

const redisSkip = await serviceSkipReason('Redis', '127.0.0.1', 6379);
const cli = runCli;

describe('stowage CLI', () => {
  const dir = tempDir('cli');
  const store = `sqlite:${dir}/store.sqlite`;

  it('runs as the installed binary (dist/cli/main.js, built by npm install)', async () => {
    const help = spawnSync(process.execPath, [CLI_BIN, '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: stowage');
    const made = `sqlite:${dir}/binary.sqlite`;
    expect((await cli(['--store', made, 'put', 'k', '--value', 'v'])).code).toBe(0);
    const info = spawnSync(process.execPath, [CLI_BIN, '--store', made, '--json', 'info'], { encoding: 'utf8' });
    expect(JSON.parse(info.stdout)).toMatchObject({ type: 'sqlite', entries: 1 });
  });

  it('puts, gets, lists, stats and removes', async () => {
    expect((await cli(['--store', store, 'put', 'runs/a/x', '-'], { input: 'hello' })).code).toBe(0);
    const file = join(dir, 'in.json');
    writeFileSync(file, '{"best": 0.5}');
    expect(
      (await cli(['--store', store, 'put', 'runs/b', file, '--codec', 'msgpack', '--attrs', '{"solver":"x"}'])).code,
    ).toBe(0);
    expect((await cli(['--store', store, 'get', 'runs/a/x'])).stdout).toBe('hello');
    expect(JSON.parse((await cli(['--store', store, 'get', 'runs/b', '--codec', 'msgpack'])).stdout)).toEqual({
      best: 0.5,
    });
    expect((await cli(['--store', store, 'ls', 'runs'])).stdout).toBe('runs/a/\nruns/b\n');
    expect((await cli(['--store', store, 'ls', '-r'])).stdout).toBe('runs/a/x\nruns/b\n');
    const long = await cli(['--store', store, 'ls', 'runs', '--recursive', '--long']);
    expect(long.stdout.split('\n')[0]).toMatch(/^KEY\s+SIZE\s+MODIFIED\s+ETAG\s+ATTRS$/);
    const stat = JSON.parse((await cli(['--store', store, '--json', 'stat', 'runs/b'])).stdout);
    expect(stat.attrs).toEqual({ solver: 'x' });
    const stale = await cli(['--store', store, 'put', 'runs/b', '-', '--if-match', 'nope'], { input: 'x' });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^stowage: Condition failed/);
    expect(stale.stderr).not.toMatch(/\n\s+at /);
    expect((await cli(['--store', store, 'put', 'runs/b', '-', '--if-match', stat.etag], { input: 'y' })).code).toBe(0);
    expect((await cli(['--store', store, 'rm', 'runs/b'])).code).toBe(0);
    // A missing key has its own exit code (3), apart from failures (1).
    expect((await cli(['--store', store, 'get', 'runs/b'])).code).toBe(3);
    expect((await cli(['--store', store, 'rm', '--prefix', 'runs'])).code).toBe(2);
    expect(JSON.parse((await cli(['--store', store, '--json', 'rm', '--prefix', 'runs', '--yes'])).stdout)).toEqual({
      removed: 1,
    });
  });

  it('names the local file it cannot read or write, as a typed error', async () => {
    const url = `sqlite:${dir}/files.sqlite`;
    const missing = await cli(['--store', url, 'put', 'k', join(dir, 'no-such-file')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read .*no-such-file: no such file/);
    const folder = await cli(['--store', url, '--json', 'put', 'k', dir]);
    expect(JSON.parse(folder.stderr).error).toMatchObject({
      code: 'OPERATION',
      message: expect.stringMatching(/it is a folder/),
    });
    await cli(['--store', url, 'put', 'k', '--value', 'v']);
    const out = await cli(['--store', url, 'get', 'k', '--out', join(dir, 'no', 'such', 'folder', 'f')]);
    expect(out.stderr).toMatch(/Cannot write .*: its folder does not exist/);
  });

  it('reports info without passwords, uses STOWAGE_URL, and exits 2 on usage errors', async () => {
    const info = JSON.parse((await cli(['--json', 'info'], { env: { STOWAGE_URL: store } })).stdout);
    expect(info).toMatchObject({ type: 'sqlite', capabilities: { atomicConditionalWrite: true } });
    expect((await cli(['--nope'])).code).toBe(2);
    expect((await cli(['get'])).code).toBe(2);
    expect((await cli(['sync', 'a', 'b', '--direction', 'sideways'])).code).toBe(2);
    const help = await cli(['cp', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--overwrite');
    const bad = await cli(['--store', 'postgres://u:sekret-pw@127.0.0.1:1/x?connectTimeoutMs=300', 'info']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('127.0.0.1:1');
    expect(bad.stderr).not.toContain('sekret-pw');
  });

  it('copies 10,000 entries from sqlite to fs intact, resumes, and syncs', async () => {
    const src = `sqlite:${dir}/big.sqlite`;
    const dst = `file:${dir}/copy?fsync=false`;
    const source = await openBackend(src);
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      key: `data/${String(i % 100).padStart(2, '0')}/${i}`,
      value: new TextEncoder().encode(`value-${i}-${'x'.repeat(i % 50)}`),
      attrs: { i },
    }));
    for (let i = 0; i < entries.length; i += 1000) await source.putMany(entries.slice(i, i + 1000));
    await source.close();
    const copy = await cli(['--json', 'cp', src, dst]);
    expect(copy.code).toBe(0);
    expect(JSON.parse(copy.stdout)).toMatchObject({ copied: 10_000, skipped: 0, interrupted: false });
    const target = await openBackend(dst);
    const got = await target.getMany(entries.map((e) => e.key));
    for (const [i, hit] of got.entries()) {
      expect(hit?.meta.checksum).toBeDefined();
      expect(Buffer.from(hit?.value ?? []).equals(Buffer.from(entries[i]?.value ?? []))).toBe(true);
    }
    expect(got[9999]?.meta.attrs).toEqual({ i: 9999 });
    await target.delete('data/00/0');
    await target.close();
    expect(JSON.parse((await cli(['--json', 'cp', src, dst])).stdout)).toMatchObject({ copied: 1, skipped: 9999 });
    const sync = JSON.parse((await cli(['--json', 'sync', src, dst, '--direction', 'both', '--dry-run'])).stdout);
    expect(sync).toMatchObject({ copied: 0, skipped: 10_000, errors: 0 });

    // Ctrl-C mid-copy (fsync on, so the copy takes a while): stops between batches, every
    // value that arrived is whole, and a rerun completes the copy.
    const slowDst = `file:${dir}/interrupted`;
    const child = spawn(process.execPath, [CLI_BIN, '--json', 'cp', src, slowDst], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const partial = JSON.parse(out);
    expect(code).toBe(1);
    expect(partial.interrupted).toBe(true);
    expect(partial.copied).toBeGreaterThan(0);
    expect(partial.copied).toBeLessThan(10_000);
    const half = await openBackend(slowDst);
    let present = 0;
    for await (const { key } of half.list()) {
      const i = Number(key[key.length - 1]);
      const hit = await half.get(key);
      expect(Buffer.from(hit?.value ?? []).equals(Buffer.from(entries[i]?.value ?? []))).toBe(true);
      present++;
    }
    await half.close();
    expect(present).toBe(partial.copied);
    const resumed = await cli(['--json', 'cp', src, `${slowDst}?fsync=false`]);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ copied: 10_000 - present, skipped: present });
  }, 180_000);

  it('shows results, exports them, lists calls and collects garbage', async () => {
    const url = `sqlite:${dir}/layers.sqlite`;
    const backend = await openBackend(url);
    await new ResultStore({ backend }).save(
      'exp/1',
      new OptimizationResult({ id: 'e', sets: [new ResultSet('pareto', { f1: [0.1, 0.2] })] }),
    );
    const memo = createMemoStore(backend);
    const square = memoize(async (x: number) => x * x, { store: memo, name: 'square', params: ['x'] });
    await square(3);
    await square(4);
    await memo.values.put({ orphan: 'x'.repeat(500) });
    await backend.close();

    const ls = JSON.parse((await cli(['--store', url, '--json', 'results', 'ls'])).stdout);
    expect(ls).toHaveLength(1);
    expect(ls[0]).toMatchObject({ key: 'exp/1', nSets: 1, nPoints: 2 });
    expect((await cli(['--store', url, 'results', 'show', 'exp/1'])).stdout).toMatch(/pareto\s+2\s+f1/);
    expect(
      (await cli(['--store', url, 'results', 'export', 'exp/1', '--format', 'csv', '--set', 'pareto'])).stdout,
    ).toBe('f1\n0.1\n0.2\n');
    // A whole result as plain files, and back into another store; string prefixes as OptiScope.
    const exportDir = join(dir, 'exported');
    expect((await cli(['--store', url, 'results', 'export', 'exp/1', '--dir', exportDir])).code).toBe(0);
    expect(readFileSync(join(exportDir, 'sets', 'pareto.csv'), 'utf8')).toBe('f1\n0.1\n0.2\n');
    const copyUrl = `sqlite:${dir}/imported.sqlite`;
    expect((await cli(['--store', copyUrl, 'results', 'import', exportDir, 'run_007'])).stdout).toMatch(
      /imported run_007/,
    );
    expect((await cli(['--store', copyUrl, 'results', 'import', exportDir, 'run_007'])).code).not.toBe(0);
    expect(JSON.parse((await cli(['--store', copyUrl, '--json', 'results', 'ls', 'run_0'])).stdout)).toMatchObject([
      { key: 'run_007', nPoints: 2 },
    ]);
    expect(JSON.parse((await cli(['--store', copyUrl, '--json', 'results', 'ls', 'run_1'])).stdout)).toEqual([]);
    expect((await cli(['--store', url, 'results', 'export', 'exp/1', '--dir', exportDir, '--set', 'x'])).code).toBe(2);
    const calls = JSON.parse(
      (await cli(['--store', url, '--json', 'calls', 'query', '--fn', 'square', '--arg', 'x=3'])).stdout,
    );
    expect(calls).toHaveLength(1);
    expect(JSON.parse((await cli(['--store', url, '--json', 'calls', 'ls'])).stdout)).toHaveLength(2);
    const versioned = ['--store', url, '--json', 'calls', 'query', '--fn', 'square', '--fn-version'];
    expect(JSON.parse((await cli([...versioned, '1'])).stdout)).toHaveLength(2);
    expect(JSON.parse((await cli([...versioned, '2'])).stdout)).toHaveLength(0);
    const dry = JSON.parse((await cli(['--store', url, '--json', 'gc', '--dry-run', '--grace-ms', '0'])).stdout);
    // The orphan is two nodes: the object, and its 500-byte string stored apart (above the inline threshold).
    expect(dry.removed).toBe(2);
    expect(JSON.parse((await cli(['--store', url, '--json', 'gc', '--grace-ms', '0'])).stdout).removed).toBe(2);
    expect(
      JSON.parse((await cli(['--store', url, '--json', 'gc', '--dry-run', '--grace-ms', '0'])).stdout).removed,
    ).toBe(0);
    expect(JSON.parse((await cli(['--store', url, '--json', 'compact'])).stdout)).toMatchObject({ removed: 0 });
  });

  it.skipIf(redisSkip !== undefined)('works against redis too', async () => {
    const url = `redis://127.0.0.1:6379/0?prefix=${uniqueName('cli')}`;
    expect((await cli(['--store', url, 'put', 'k', '-'], { input: 'v' })).code).toBe(0);
    expect((await cli(['--store', url, 'get', 'k'])).stdout).toBe('v');
    expect((await cli(['--store', url, '--json', 'rm', '--prefix', '', '--yes'])).code).toBe(0);
  });
});
