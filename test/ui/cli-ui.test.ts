import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/index.ts';
import type { ApiSession } from '../../src/ui/api-types.ts';
import { CLI_BIN, runCli } from '../helpers/cli.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

/** Makes the store at `url` exist (stowage ui opens existing stores only). */
async function existing(url: string): Promise<string> {
  const store = await openBackend(url);
  await store.put('seed', new Uint8Array([1]));
  await store.close();
  return url;
}

const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(removeTempDirs);

/** Starts `stowage ui ...` and resolves its first line of output and a promise of its exit code. */
function startUi(args: string[]): Promise<{ line: string; exited: Promise<number | null>; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    env: { ...process.env, STOWAGE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve({ line: out.slice(0, newline), exited, child });
    });
    child.on('exit', (code) => reject(new Error(`stowage ui exited (${code}) before printing its URL: ${err}`)));
  });
}

describe('stowage ui', () => {
  it('prints a URL with a token, serves every --store given, and stops on Ctrl-C', async () => {
    const dir = tempDir('cli-ui');
    const { line, exited, child } = await startUi([
      '--store',
      await existing(`sqlite:${dir}/a.sqlite`),
      'ui',
      '--store',
      await existing(`file:${dir}/backup`),
      '--port',
      '0',
    ]);
    const match = /^stowage explorer \(read-only\): (http:\/\/127\.0\.0\.1:\d+)\/\?token=([\w-]+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, origin, token] = match as RegExpExecArray;
    expect((await fetch(`${origin}/api/session`)).status).toBe(403);
    const session = (await (
      await fetch(`${origin}/api/session`, { headers: { 'x-stowage-token': token as string } })
    ).json()) as ApiSession;
    expect(session.write).toBe(false);
    expect(session.stores.map((s) => s.name)).toEqual([`sqlite:${dir}/a.sqlite`, `file:${dir}/backup`]);
    child.kill('SIGINT');
    await expect(exited).resolves.toBe(0);
  });

  it('says read-write with --write, and refuses a bad port as a usage error', async () => {
    const url = await existing(`sqlite:${tempDir('cli-ui-write')}/w.sqlite`);
    const { line, exited, child } = await startUi(['--store', url, 'ui', '--write', '--json']);
    expect(JSON.parse(line)).toMatchObject({
      mode: 'read-write',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
    });
    child.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
    await expect(startUi(['ui', '--port', 'x'])).rejects.toThrow(/exited \(2\)/);
  });

  it('opens existing stores only: a URL that points at nothing exits 1 and creates nothing', async () => {
    const dir = tempDir('cli-ui-missing');
    const run = await runCli(['--store', `sqlite:${dir}/typo.sqlite`, 'ui', '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/There is no SQLite database at .*typo\.sqlite/);
    expect(existsSync(`${dir}/typo.sqlite`)).toBe(false);
  });
});
