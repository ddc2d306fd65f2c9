import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('stowage-cli-streams');
afterAll(removeTempDirs);

// Past the default 4 MiB chunk, so the value goes through chunks and a manifest.
function payload(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 12)) & 0xff;
  return out;
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('CLI streams large values', () => {
  it('put KEY - stores stdin as chunks; get KEY prints it and get -o writes it', async () => {
    const url = `sqlite:${join(dir, 'big.sqlite')}`;
    const value = payload(9 * 1024 * 1024 + 3);
    const put = await runCli(['--store', url, 'put', 'traces/run-1', '-'], { input: value });
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);

    const store = await openBackend(url);
    try {
      expect((await store.stat('traces/run-1'))?.size).toBe(value.length);
      let chunks = 0;
      for await (const _ of store.keys('.stowage-chunks')) chunks++;
      expect(chunks).toBe(1 + 3); // the set's record and three chunks
    } finally {
      await store.close();
    }

    const got = await runCli(['--store', url, 'get', 'traces/run-1']);
    expect(got.code).toBe(0);
    expect(got.raw.length).toBe(value.length);
    expect(sha(got.raw)).toBe(sha(value));

    const out = join(dir, 'copy.bin');
    expect((await runCli(['--store', url, 'get', 'traces/run-1', '-o', out])).code).toBe(0);
    expect(sha(await readFile(out))).toBe(sha(value));

    const file = await runCli(['--store', url, 'put', 'traces/run-2', out, '--if-absent']);
    expect(file.code).toBe(0);
    expect(sha((await runCli(['--store', url, 'get', 'traces/run-2'])).raw)).toBe(sha(value));
    const again = await runCli(['--store', url, 'put', 'traces/run-2', out, '--if-absent']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/Condition failed/);
  });

  it('refuses an empty stdin without --allow-empty, writing nothing', async () => {
    const url = `sqlite:${join(dir, 'empty.sqlite')}`;
    const run = await runCli(['--store', url, 'put', 'k', '-']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/stdin was empty/);
    expect((await runCli(['--store', url, 'put', 'k', '-', '--allow-empty'])).code).toBe(0);
    const got = await runCli(['--store', url, 'get', 'k']);
    expect(got.code).toBe(0);
    expect(got.raw.length).toBe(0);
  });
});

describe('CLI output into a pipe closed early', () => {
  it('stops quietly with exit code 0 when the reader goes away (`stowage get KEY | head -c 1`)', async () => {
    const url = `sqlite:${join(dir, 'pipe.sqlite')}`;
    expect((await runCli(['--store', url, 'put', 'big', '-'], { input: payload(6 * 1024 * 1024) })).code).toBe(0);
    const { spawn } = await import('node:child_process');
    const { CLI_BIN } = await import('../helpers/cli.ts');
    const child = spawn(process.execPath, [CLI_BIN, '--store', url, 'get', 'big'], {
      env: { ...process.env, STOWAGE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Like `head -c 1`: read the first bytes, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
