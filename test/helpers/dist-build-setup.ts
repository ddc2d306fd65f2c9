// Vitest global setup: the CLI is tested as users run it, the built binary
// dist/cli/main.js (and child processes import dist/ too), so compile src/ when dist/ is
// missing or older than any source file. `npm run build` does the same and the app bundle.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const builtCli = join(root, 'dist/cli/main.js');

function newestUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestUnder(join(path, name))));
}

export default function setup(): void {
  const sources = Math.max(newestUnder(join(root, 'src')), newestUnder(join(root, 'package.json')));
  if (existsSync(builtCli) && statSync(builtCli).mtimeMs >= sources) return;
  console.log('compiling src/ into dist/ (missing or older than the sources)');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
