import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

// In this repository the package's own name resolves to its sources through tsconfig
// `paths` (tsc, and tsx run from the repository); the published package.json has no
// `source` condition. The two maps must name the same entry points.
it('maps every published subpath to the source file its dist/ file is built from', () => {
  const read = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));
  const manifest = JSON.parse(readFileSync(read('package.json'), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>;
  };
  const config = ts.parseConfigFileTextToJson('tsconfig.json', readFileSync(read('tsconfig.json'), 'utf8')).config as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const fromExports = Object.fromEntries(
    Object.entries(manifest.exports).map(([subpath, conditions]) => [
      subpath === '.' ? 'stowage' : `stowage${subpath.slice(1)}`,
      [conditions.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts')],
    ]),
  );
  expect(config.compilerOptions.paths).toEqual(fromExports);
  for (const conditions of Object.values(manifest.exports)) {
    expect(Object.keys(conditions)).toEqual(['types', 'default']);
  }
});
