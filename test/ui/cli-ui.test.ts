import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ApiSession } from '../../src/ui/api-types.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(removeTempDirs);

/** Starts `stowage ui ...` and resolves its first line of output and a promise of its exit code. */
function startUi(args: string[]): Promise<{ line: string; exited: Promise<number | null>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], {
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
      `sqlite:${dir}/a.sqlite`,
      'ui',
      '--store',
      `file:${dir}/backup`,
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
    const { line, exited, child } = await startUi(['--store', 'memory://', 'ui', '--write', '--json']);
    expect(JSON.parse(line)).toMatchObject({
      mode: 'read-write',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
    });
    child.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
    await expect(startUi(['ui', '--port', 'x'])).rejects.toThrow(/exited \(2\)/);
  });
});
