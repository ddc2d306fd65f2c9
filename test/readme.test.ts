import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN } from './helpers/cli.ts';
import { removeTempDirs, tempDir } from './helpers/temp-dir.ts';

// Every code block of the README runs here, in order, in one scratch folder, as a reader
// following along would run them: TypeScript blocks through tsx (importing `stowage` as
// the package, i.e. dist/), shell blocks through bash with `stowage` the built binary.
// A `// → text` (or `# → text`) comment says what the line prints: the output must hold
// it. A block can only be left out with `<!-- readme-test: skip (reason) -->` above it.

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  readonly index: number;
  readonly lang: string;
  readonly code: string;
  readonly line: number;
  readonly skip: string | undefined;
}

function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /(?:<!-- readme-test: skip \(([^)]+)\) -->\n)?```(\w+)\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(fence)) {
    const [, skip, lang, code] = match as unknown as [string, string | undefined, string, string];
    const line = markdown.slice(0, match.index).split('\n').length;
    blocks.push({ index: blocks.length, lang, code, line, skip });
  }
  return blocks;
}

function promised(block: Block): string[] {
  const marker = block.lang === 'ts' ? /\/\/ .*?→ (.+)$/ : /# .*?→ (.+)$/;
  return block.code
    .split('\n')
    .map((line) => marker.exec(line)?.[1]?.trim())
    .filter((text): text is string => text !== undefined);
}

const blocks = blocksOf(readme);
const runnable = blocks.filter((b) => b.skip === undefined);
const scratch = tempDir('readme');
// Inside the repository, so that `stowage`, zod, keyv and unstorage resolve as in a project
// that installed them; test-output/ is git-ignored.
const scripts = join(root, 'test-output', 'readme');
const bin = join(scratch, '.bin');
const tsx = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

afterAll(() => {
  removeTempDirs();
  rmSync(scripts, { recursive: true, force: true });
});

describe('README', () => {
  it('has code blocks in the languages this test runs, each skip with a reason', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(10);
    for (const block of blocks) expect(['ts', 'sh'], `block at line ${block.line}`).toContain(block.lang);
    expect(blocks.filter((b) => b.skip !== undefined).map((b) => b.skip)).toEqual([
      'installs packages from the registry',
      'the set-up of a checkout; the tests themselves run inside one',
      'starts a server that runs until Ctrl-C; test/ui runs it',
    ]);
  });

  it('links documents that exist in the repository, not outside it', () => {
    for (const [, target] of readme.matchAll(/\]\(([^)#]+)\)/g)) {
      expect(target, 'a link out of the repository').not.toMatch(/^\.\.\//);
      if (/^https?:/.test(target as string)) continue;
      expect(() => readFileSync(join(root, target as string)), target).not.toThrow();
    }
  });

  it('type-checks its TypeScript blocks', () => {
    rmSync(scripts, { recursive: true, force: true });
    mkdirSync(scripts, { recursive: true });
    const files = runnable.filter((b) => b.lang === 'ts').map((b) => `block-${b.index}.ts`);
    for (const block of runnable.filter((b) => b.lang === 'ts')) {
      writeFileSync(join(scripts, `block-${block.index}.ts`), `${block.code}\nexport {};\n`);
    }
    writeFileSync(
      join(scripts, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true }, include: [], files }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', scripts], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
  }, 120_000);

  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'stowage'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_BIN}" "$@"\n`);
  chmodSync(join(bin, 'stowage'), 0o755);

  for (const block of runnable) {
    it(`runs the ${block.lang} block at line ${block.line} and prints what its comments promise`, () => {
      let run: ReturnType<typeof spawnSync>;
      if (block.lang === 'ts') {
        const file = join(scripts, `run-${block.index}.ts`);
        mkdirSync(scripts, { recursive: true });
        writeFileSync(file, block.code);
        run = spawnSync(process.execPath, ['--import', tsx, file], { cwd: scratch, encoding: 'utf8', timeout: 60_000 });
      } else {
        run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', block.code], {
          cwd: scratch,
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, STOWAGE_URL: '', PATH: `${bin}:${process.env.PATH}` },
        });
      }
      const out = String(run.stdout);
      expect(run.status, `${out}\n${String(run.stderr)}`).toBe(0);
      for (const text of promised(block)) expect(out, `the output of the block at line ${block.line}`).toContain(text);
    }, 120_000);
  }
});
