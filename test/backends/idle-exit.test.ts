import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';

// A script that never calls close() must still end once its work is done: drivers keep
// idle connections (pg for 10 s, mysql2 and ioredis for ever) unless told otherwise.
// The child uses the built package (dist/), as a user's script would.

const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;
// How long after its last line a child may take to exit; the bug was 10 s (pg) or never.
const EXIT_BOUND_MS = 5000;

const servers = [
  { name: 'PostgreSQL', port: 5432, url: (t: string) => `postgres://postgres@127.0.0.1:5432/test?table=${t}` },
  { name: 'MariaDB', port: 3306, url: (t: string) => `mysql://root@127.0.0.1:3306/test?table=${t}` },
  { name: 'Redis', port: 6379, url: (t: string) => `redis://127.0.0.1:6379/0?prefix=${t}` },
];

const cleanup: string[] = [];
afterAll(async () => {
  for (const url of cleanup) {
    const store = await openBackend(url).catch(() => undefined);
    if (!store) continue;
    const droppable = store as unknown as { drop?: () => Promise<void> };
    await droppable.drop?.();
    await store.close();
  }
});

/** Runs `script` in a child; resolves its output and how long it lived after printing `done`. */
function runChild(script: string): Promise<{ out: string; exitedAfterDone: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('done\n') && !timer) {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve({ out, exitedAfterDone: false, code: null });
        }, EXIT_BOUND_MS);
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      if (!out.includes('done\n'))
        reject(new Error(`the child exited (${code}) before its work was done: ${out}${err}`));
      else resolve({ out, exitedAfterDone: true, code });
    });
  });
}

for (const server of servers) {
  const skip = await serviceSkipReason(server.name, '127.0.0.1', server.port);
  describe.skipIf(skip !== undefined)(`a script that never closes its ${server.name} store`, () => {
    it('does its work (a put, a listing, a get) and then exits on its own', async () => {
      const url = server.url(uniqueName('idle'));
      cleanup.push(url);
      const { out, exitedAfterDone, code } = await runChild(`
        const { openBackend } = await import(${JSON.stringify(DIST)});
        const store = await openBackend(${JSON.stringify(url)});
        await store.put('a/1', new TextEncoder().encode('one'));
        await store.put('a/2', new TextEncoder().encode('two'));
        const keys = [];
        for await (const { key } of store.list('a')) keys.push(key.join('/'));
        console.log(keys.join(','), new TextDecoder().decode((await store.get('a/2')).value));
        console.log('done');
      `);
      expect(out).toContain('a/1,a/2 two');
      expect(exitedAfterDone, `still running ${EXIT_BOUND_MS} ms after its last line`).toBe(true);
      expect(code).toBe(0);
    });
  });
}
