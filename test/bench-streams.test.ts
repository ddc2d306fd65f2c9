import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Runs the large-value benchmark at a tiny size on the local engines so the script cannot
// rot; its figures are never asserted (they are reported by `npm run bench:streams`).
it('streams a value through every local engine and reports it intact', () => {
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('../bench/streams.ts', import.meta.url)),
      '--tiny',
      '--only=raw file,fs,sqlite,lmdb',
    ],
    { encoding: 'utf8', timeout: 240_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  for (const engine of ['raw file', 'fs', 'sqlite', 'lmdb']) {
    expect(run.stdout).toMatch(new RegExp(`^\\| ${engine} \\|.*\\| yes \\|$`, 'm'));
  }
});
