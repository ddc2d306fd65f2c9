// A config from a file or a CLI argument is unchecked JSON: a missing or mistyped location
// must be an OperationError naming the option, not Node's TypeError from path.resolve, nor
// a store opened in a folder named "undefined".
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBackend, type FsBackendOptions } from '../../src/backends/fs/index.ts';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { type BackendConfig, configFromUrl, OperationError, openBackend } from '../../src/index.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

const locations: [type: string, option: string][] = [
  ['sqlite', 'path'],
  ['duckdb', 'path'],
  ['lmdb', 'path'],
  ['hdf5', 'path'],
  ['fs', 'root'],
  ['s3', 'bucket'],
];

describe('configs without a usable location', () => {
  for (const [type, option] of locations) {
    for (const value of [undefined, 42, '']) {
      it(`${type} with ${option} ${JSON.stringify(value) ?? 'missing'}: an OperationError naming '${option}'`, async () => {
        const config = { type, [option]: value } as BackendConfig;
        const error = await openBackend(config).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OperationError);
        expect((error as Error).message).toContain(`'${option}'`);
      });
    }
  }
});

describe('config options no backend reads', () => {
  it('void refuses them too, naming the option', async () => {
    await expect(openBackend({ type: 'void', bogusOption: true })).rejects.toThrow(/Unknown option 'bogusOption'/);
  });
});

// Found by probing each backend with mistyped values: `fsync: 'x'` and a string
// `busyTimeoutMs` were taken as given, `port: 'x'` left a PostgreSQL open hanging, and
// `connectTimeoutMs: -5` crashed the process from inside ioredis. Every case is refused
// before anything is created or any server is contacted (none needs one to run).
describe('option values of the wrong kind', () => {
  const folder = tempDir('config-values');
  const at = (name: string) => join(folder, name);
  const server = { host: '127.0.0.1', user: 'nobody', database: 'test' };
  const cases: [config: BackendConfig, option: string, wanted: RegExp][] = [
    [{ type: 'fs', root: at('fs'), fsync: 'x' }, 'fsync', /true or false \(got a string\)/],
    [{ type: 'fs', root: at('fs'), lockTimeoutMs: 'soon' }, 'lockTimeoutMs', /milliseconds/],
    [{ type: 'fs', root: at('fs'), lockLeaseMs: 0 }, 'lockLeaseMs', /above 0.*\(got 0\)/],
    [{ type: 'sqlite', path: at('a.sqlite'), busyTimeoutMs: 'x' }, 'busyTimeoutMs', /milliseconds/],
    [{ type: 'sqlite', path: at('a.sqlite'), echo: 'yes' }, 'echo', /true, false or a function/],
    [{ type: 'duckdb', path: at('a.duckdb'), table: 5 }, 'table', /a string \(got a number\)/],
    [{ type: 'hdf5', path: at('a.h5'), group: 7 }, 'group', /a string/],
    [{ type: 'memory', policy: 'random' }, 'policy', /one of lru, fifo \(got 'random'\)/],
    [{ type: 'memory', maxBytes: '1 GB' }, 'maxBytes', /finite number/],
    [{ type: 'postgres', ...server, port: 'x' }, 'port', /port number from 1 to 65535/],
    [{ type: 'postgres', ...server, connectTimeoutMs: 'x' }, 'connectTimeoutMs', /milliseconds/],
    [{ type: 'mysql', ...server, poolSize: '4' }, 'poolSize', /whole number/],
    [{ type: 'mysql', ...server, echo: 'yes' }, 'echo', /true, false or a function/],
    [{ type: 'redis', host: '127.0.0.1', connectTimeoutMs: -5 }, 'connectTimeoutMs', /above 0.*\(got -5\)/],
    [{ type: 'redis', host: '127.0.0.1', port: 70_000 }, 'port', /port number/],
    [{ type: 's3', bucket: 'bucket-x', conditionalWrites: 'maybe' }, 'conditionalWrites', /one of native, none/],
    [{ type: 's3', bucket: 'bucket-x', createBucket: 'yes' }, 'createBucket', /true or false/],
  ];

  for (const [config, option, wanted] of cases) {
    it(`${config.type} with ${option} ${JSON.stringify(config[option])}: refused, naming '${option}'`, async () => {
      const error = await openBackend(config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationError);
      expect((error as Error).message).toContain(`option '${option}'`);
      expect((error as Error).message).toMatch(wanted);
      expect(readdirSync(folder).filter((name) => name !== 'locks')).toEqual([]);
    });
  }

  it('never repeats a value in the error unless its rule asks for a number or a choice: it may be a password', async () => {
    const refusals = await Promise.all(
      [
        { type: 'redis', host: '127.0.0.1', port: 'hunter2-secret' },
        { type: 'postgres', ...server, password: 918273645 },
        { type: 's3', bucket: 'bucket-x', secretAccessKey: 918273645 },
      ].map((config) => openBackend(config).catch((e: unknown) => e)),
    );
    for (const error of refusals) {
      expect(error).toBeInstanceOf(OperationError);
      expect(String(error)).not.toMatch(/hunter2|918273645/);
    }
  });

  it('takes lock spans no timer holds, Infinity included (a lease that never expires)', async () => {
    const store = await FsBackend.open({
      root: at('locks'),
      lockLeaseMs: Number.POSITIVE_INFINITY,
      lockTimeoutMs: 3e9,
    });
    await store.put('k', new Uint8Array([1]));
    expect((await store.get('k'))?.value).toEqual(new Uint8Array([1]));
    await store.close();
  });

  it('checks options given in code too, not only configs', async () => {
    expect(() => new MemoryBackend({ maxBytes: Number.NaN })).toThrow(/option 'maxBytes' must be a finite number/);
    const options = { root: at('fs'), fsync: 'no' } as unknown as FsBackendOptions;
    await expect(FsBackend.open(options)).rejects.toThrow(/option 'fsync' must be true or false/);
    expect(existsSync(at('fs'))).toBe(false);
  });
});

// Found by the same probe: these URLs opened stores that did something other than asked.
describe('store URL parameters', () => {
  const refused: [url: string, wanted: RegExp][] = [
    ['file:///tmp/stowage-never?fsyn=false', /Unknown URL parameter 'fsyn' of the fs backend/],
    ['file:///tmp/stowage-never?fsync=no', /URL parameter 'fsync' of the fs backend must be true or false, got 'no'/],
    ['lmdb:///tmp/stowage-never?mapSize=1', /Unknown URL parameter 'mapSize' of the lmdb backend/],
    ['memory://?maxBytes=10&polcy=lru', /Unknown URL parameter 'polcy' of the memory backend/],
    ['hdf5:///tmp/stowage-never.h5?grp=x', /Unknown URL parameter 'grp' of the hdf5 backend/],
    ['s3://bucket-x/p?createBuckt=false', /Unknown URL parameter 'createBuckt' of the s3 backend/],
    ['s3://bucket-x/p?secretAccessKey=hunter2', /Unknown URL parameter 'secretAccessKey'/],
    [
      'sqlite:////tmp/stowage-never.sqlite?echo=yes',
      /URL parameter 'echo' of the sqlite backend must be true or false, got 'yes'/,
    ],
    [
      'postgres://u@127.0.0.1/test?echo=1',
      /URL parameter 'echo' of the postgres backend must be true or false, got '1'/,
    ],
  ];
  for (const [url, wanted] of refused) {
    it(`refuses ${url}`, async () => {
      const error = await configFromUrl(url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationError);
      expect((error as Error).message).toMatch(wanted);
      expect(String(error)).not.toContain('hunter2');
    });
  }

  it('reads true and false as booleans, createBucket on s3 too', async () => {
    expect(await configFromUrl('file:///tmp/stowage-never?fsync=false')).toMatchObject({ fsync: false });
    expect(await configFromUrl('file:///tmp/stowage-never?fsync=true')).toMatchObject({ fsync: true });
    expect(await configFromUrl('s3://bucket-x/p?createBucket=false')).toMatchObject({ createBucket: false });
    expect(await configFromUrl('sqlite:////tmp/stowage-never.sqlite?echo=true')).toMatchObject({ echo: true });
  });
});
