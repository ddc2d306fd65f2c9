import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Runs the large-set benchmark at a tiny size so the script cannot rot; its figures are
// never asserted (they are reported by `npm run bench:sets`), only that slices read back right.
it('saves a set and reads a slice back intact on every local engine', () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../bench/sliced-sets.ts', import.meta.url)), '--tiny'],
    { encoding: 'utf8', timeout: 240_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  for (const engine of ['sqlite', 'fs', 'lmdb']) {
    expect(run.stdout).toMatch(new RegExp(`^\\| ${engine} \\|.*\\| yes \\|$`, 'm'));
  }
});
