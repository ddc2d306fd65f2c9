// Vitest global setup: the explorer's tests serve the built browser app (dist/ui/bundle),
// so build it when it is missing or older than its sources (npm install builds it too).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));
const builtIndex = join(root, 'dist/ui/bundle/index.html');

function newestUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestUnder(join(path, name))));
}

export default async function setup(): Promise<void> {
  const sources = Math.max(
    newestUnder(join(root, 'src/ui/app')),
    newestUnder(join(root, 'src/ui/api-types.ts')),
    newestUnder(join(root, 'ui.vite.config.ts')),
  );
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= sources) return;
  console.log('building the explorer app (dist/ui/bundle is missing or older than src/ui/app)');
  await build({ configFile: join(root, 'ui.vite.config.ts') });
}
