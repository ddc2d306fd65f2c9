// Bad input everywhere: random bytes into every codec's decoder, random and mutated URLs
// and configs into openBackend, random arguments into the CLI. Each must end in a typed
// StorageError (or succeed), never a raw exception, a crash or a hang.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compressionAvailable, decodeValue, getCodec } from '../../src/core/codecs/index.ts';
import { configFromUrl, openBackend, StorageError } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';
import { recordFigure, size } from './figures.ts';
import { checkProperty, SEED } from './seeded.ts';

afterAll(removeTempDirs);

const AREA = 'Bad input (fuzzing)';

/** Resolves to what `fn` threw (or undefined), failing the property on a hang. */
async function outcome(what: string, fn: () => Promise<unknown>, timeoutMs = 10_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    await Promise.race([fn(), hang]);
    return undefined;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hung for')) throw error;
    return error;
  } finally {
    clearTimeout(timer);
  }
}

function expectTyped(error: unknown, what: string): void {
  if (error === undefined || error instanceof StorageError) return;
  throw new Error(`${what}: raw ${(error as Error)?.name}: ${(error as Error)?.message}`);
}

describe('codecs decode random bytes into a value or a CorruptValueError naming the key', () => {
  const compressions = ['', '+gzip', '+brotli', ...(compressionAvailable('zstd') ? ['+zstd'] : [])];
  const names = ['json', 'msgpack', 'v8', 'text', 'raw'].flatMap((base) => compressions.map((c) => base + c));
  it(`${names.length} codecs`, async () => {
    const runs = size(20_000, 300);
    let decoded = 0;
    let refused = 0;
    for (const name of names) {
      const codec = getCodec(name);
      // Random bytes, and valid encodings with bytes flipped or cut (closer to real damage).
      const base = name.split('+')[0];
      const sample = base === 'text' ? 'some text' : base === 'raw' ? new Uint8Array([1, 2, 3, 4]) : { a: [1, 2, 'x'] };
      const valid = codec.encode(sample as never);
      const damaged = fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc
          .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean())
          .map(([at, xor, cut]) => {
            const copy = valid.slice(0, cut ? at : valid.length);
            if (!cut) copy[at] = (copy[at] as number) ^ xor;
            return copy;
          }),
      );
      await checkProperty(
        `codec ${name}`,
        fc.asyncProperty(damaged, async (bytes) => {
          try {
            decodeValue(codec, bytes, { key: 'fuzz/k', backend: 'test' });
            decoded++;
          } catch (error) {
            expectTyped(error, `${name} decode of ${Buffer.from(bytes).toString('hex')}`);
            expect((error as StorageError).code).toBe('CORRUPT_VALUE');
            expect((error as StorageError).key).toBe('fuzz/k');
            refused++;
          }
        }),
        Math.ceil(runs / names.length),
      );
    }
    recordFigure(
      AREA,
      'codec decoders fed random and damaged bytes',
      decoded + refused,
      `${names.length} codecs (json, msgpack, v8, text, raw; plain, gzip, brotli${compressions.includes('+zstd') ? ', zstd' : ''}); ${refused} refused with CorruptValueError naming the key, ${decoded} decoded; raw exceptions: 0; seed ${SEED}`,
    );
  }, 300_000);
});

describe('openBackend and configFromUrl with random and mutated URLs and configs', () => {
  it('every URL gives a typed error or a store, and nothing hangs', async () => {
    const dir = tempDir('fuzz-url');
    mkdirSync(join(dir, 'existing'));
    const bases = [
      'memory://',
      'memory://named?maxBytes=100&policy=lru',
      `file://${dir}/fs`,
      `sqlite://${dir}/s.sqlite`,
      `sqlite:///${dir}/s2.sqlite?table=t`,
      `lmdb://${dir}/l`,
      `duckdb://${dir}/d.duckdb`,
      `hdf5://${dir}/h.h5`,
      'postgres://postgres@127.0.0.1:5432/test?table=fuzz_never_created',
      'mysql://root@127.0.0.1:3306/test?table=fuzz_never_created',
      'redis://127.0.0.1:6379/0?prefix=fuzz_never_created',
      's3://bucket/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A1',
      'void://',
    ];
    const alphabet = fc.constantFrom(
      ...'%/?&=:+@#~.\\ \u0000\u00e9abc019Z'.split(''),
      '%zz',
      '%',
      '%E0%A4%A',
      '..',
      '~x',
    );
    const mutated = fc
      .tuple(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), alphabet), { maxLength: 4 }),
      )
      .map(([base, edits]) => {
        let url = base;
        for (const [at, kind, text] of edits) {
          const i = at % (url.length + 1);
          url =
            kind === 'insert'
              ? url.slice(0, i) + text + url.slice(i)
              : kind === 'delete'
                ? url.slice(0, i) + url.slice(i + 1)
                : url.slice(0, i) + text + url.slice(i + 1);
        }
        return url;
      });
    const params = fc
      .tuple(
        fc.constantFrom(...bases),
        fc.constantFrom('table', 'prefix', 'maxBytes', 'fsync', 'policy', 'bogus', 'mapSize', 'timeoutMs', 'create'),
        fc.constantFrom('', '-1', '1e999', 'NaN', 'true', '%zz', 'x"y', '999999999999999999999'),
      )
      .map(([base, name, value]) => `${base}${base.includes('?') ? '&' : '?'}${name}=${value}`);
    let urls = 0;
    let refused = 0;
    let opened = 0;
    await checkProperty(
      'url fuzz',
      fc.asyncProperty(fc.oneof(mutated, params, fc.string({ maxLength: 40 })), async (url) => {
        urls++;
        const parsed = await outcome(url, () => configFromUrl(url));
        expectTyped(parsed, `configFromUrl(${JSON.stringify(url)})`);
        // create: false opens existing stores only, so no fuzzed path is ever created.
        const error = await outcome(url, async () => {
          const store = await openBackend(url, { create: false });
          opened++;
          await store.close();
        });
        expectTyped(error, `openBackend(${JSON.stringify(url)})`);
        if (error) refused++;
      }),
      size(3000, 120),
    );
    // Each backend's own options, each either a usable value or one of the wrong kind (a
    // config file can hold any JSON): a string where a number or a boolean goes, numbers
    // out of range, null, objects. Options of one backend only, so most configs get past
    // the unknown-option check to the values (found: a negative connectTimeoutMs crashed
    // the process inside ioredis). create: false, so nothing is ever created.
    const oddValue = fc.constantFrom<unknown>(
      'x',
      '',
      -5,
      0,
      70_000,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      true,
      null,
      {},
      [],
    );
    const server = { host: '127.0.0.1', connectTimeoutMs: 2000, table: 'fuzz_never_created', echo: false };
    const usable: Record<string, Record<string, unknown>> = {
      memory: { maxBytes: 1000, policy: 'lru', name: 'fuzz' },
      fs: { root: `${dir}/existing`, fsync: true, lockLeaseMs: 30_000, lockTimeoutMs: 1000 },
      sqlite: { path: `${dir}/never.sqlite`, table: 'stowage', busyTimeoutMs: 100, driver: 'node', echo: false },
      duckdb: { path: `${dir}/never.duckdb`, table: 'stowage', echo: false },
      lmdb: { path: `${dir}/never-lmdb` },
      hdf5: { path: `${dir}/never.h5`, group: 'g' },
      redis: { host: '127.0.0.1', port: 6379, db: 0, prefix: 'fuzz_never_created', connectTimeoutMs: 2000 },
      postgres: { ...server, port: 5432, user: 'postgres', database: 'test', poolSize: 2, maxOverflow: 0 },
      mysql: { ...server, port: 3306, user: 'root', database: 'test', poolSize: 2, maxOverflow: 0 },
      s3: {
        bucket: 'fuzz-never-created',
        endpoint: 'http://127.0.0.1:1',
        conditionalWrites: 'none',
        createBucket: false,
      },
    };
    const configs = fc.constantFrom(...Object.keys(usable), 'nope').chain((type) => {
      const options = Object.entries(usable[type] ?? { path: 'x' }).map(
        ([name, value]) =>
          [name, fc.oneof({ weight: 3, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: oddValue })] as const,
      );
      return fc.record({ type: fc.constant(type), ...Object.fromEntries(options) }, { requiredKeys: ['type'] });
    });
    let configsTried = 0;
    await checkProperty(
      'config fuzz',
      fc.asyncProperty(configs, async (config) => {
        configsTried++;
        const error = await outcome(JSON.stringify(config), async () => {
          const store = await openBackend(config as never, { create: false });
          await store.close();
        });
        expectTyped(error, `openBackend(${JSON.stringify(config)})`);
      }),
      size(1000, 60),
    );
    recordFigure(
      AREA,
      'openBackend / configFromUrl with random and mutated URLs',
      urls,
      `${refused} refused with a typed error, ${opened} opened; plus ${configsTried} random configs; raw exceptions: 0, hangs: 0; seed ${SEED}`,
    );
  }, 600_000);
});

describe('the CLI with random arguments', () => {
  it('exits with a code and a message, never a stack trace or a signal', async () => {
    const dir = tempDir('fuzz-cli');
    const url = `sqlite:${dir}/c.sqlite`;
    const seeded = await runCli(['-s', url, 'put', 'a/b', '--value', 'x']);
    expect(seeded.code).toBe(0);
    const words = fc.constantFrom(
      'ls',
      'get',
      'put',
      'rm',
      'cp',
      'sync',
      'gc',
      'info',
      'results',
      'calls',
      'compact',
      '--json',
      '--value',
      '--attrs',
      '{"a":',
      '--codec',
      'json+nope',
      '--limit',
      '-1',
      '--recursive',
      '--out',
      '-s',
      '--store',
      'stat',
      '--prefix',
      '--yes',
      '--dry-run',
      `${dir}/nowhere/x`,
      url,
      `${url}?bogus=1`,
      `file://${dir}/missing`,
      'nope://x',
      'a/b',
      'a//b',
      '..',
      '-',
      '--help',
      '%zz',
    );
    const runs = size(150, 6);
    let exits = 0;
    const codes = new Map<number, number>();
    await checkProperty(
      'cli fuzz',
      fc.asyncProperty(fc.array(words, { minLength: 0, maxLength: 5 }), async (args) => {
        // Run in the temp folder: the default store (./.stowage) lands there, nowhere else.
        const run = await runCli(args, { cwd: dir });
        exits++;
        codes.set(run.code, (codes.get(run.code) ?? 0) + 1);
        expect(run.code, `stowage ${args.join(' ')}: ${run.stderr}`).toBeGreaterThanOrEqual(0);
        expect(run.stderr, `stowage ${args.join(' ')}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }),
      runs,
    );
    recordFigure(
      AREA,
      'CLI runs with random arguments',
      exits,
      `exit codes ${[...codes.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ')}; stack traces: 0, signals: 0; seed ${SEED}`,
    );
  }, 600_000);
});
