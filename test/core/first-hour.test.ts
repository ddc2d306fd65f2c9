import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDriver } from '../../src/backends/kit/load-driver.ts';
import {
  ConnectionError,
  configFromUrl,
  DriverMissingError,
  OperationError,
  openBackend,
  resolveStore,
} from '../../src/index.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// Issue 23, "the first hour": the mistakes a newcomer makes get a clear, typed answer.

afterAll(removeTempDirs);

describe('openBackend with what a newcomer passes', () => {
  it('refuses no store at all, or a non-store, with an OperationError saying what it got', async () => {
    for (const given of [undefined, null, 42, ['sqlite:./x']]) {
      const error = await openBackend(given as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OperationError);
      expect(String(error)).toMatch(/openBackend takes a store URL or a config/);
    }
    await expect(resolveStore(undefined as never)).rejects.toBeInstanceOf(OperationError);
  });

  it('names the package to install, not the module path inside it', async () => {
    const sub = (await loadDriver('stowage-no-such-driver/node', 'hdf5').catch(
      (e: unknown) => e,
    )) as DriverMissingError;
    expect(sub).toBeInstanceOf(DriverMissingError);
    expect(sub.packageName).toBe('stowage-no-such-driver');
    expect(sub.message).toMatch(/npm install stowage-no-such-driver \(backend hdf5\)$/);
    expect(sub.message).not.toContain('/node');
    const scoped = (await loadDriver('@stowage-none/driver/sub', 'x').catch((e: unknown) => e)) as DriverMissingError;
    expect(scoped.packageName).toBe('@stowage-none/driver');
  });
});

describe('store URLs as SQLAlchemy (and OptiScope) users write them', () => {
  it('reads sqlite: and duckdb: slashes as SQLAlchemy does, and file: as RFC 8089 does', async () => {
    const here = (p: string) => resolve(p);
    expect(await configFromUrl('sqlite:///results.db')).toMatchObject({ path: here('results.db') });
    expect(await configFromUrl('sqlite:///path/to/database.db')).toMatchObject({ path: here('path/to/database.db') });
    expect(await configFromUrl('sqlite:////srv/abs.db')).toMatchObject({ path: '/srv/abs.db' });
    expect(await configFromUrl('sqlite://')).toMatchObject({ path: ':memory:' });
    expect(await configFromUrl('sqlite:///:memory:')).toMatchObject({ path: ':memory:' });
    expect(await configFromUrl('sqlite:./rel.sqlite')).toMatchObject({ path: here('rel.sqlite') });
    expect(await configFromUrl('sqlite:/abs.sqlite')).toMatchObject({ path: '/abs.sqlite' });
    expect(await configFromUrl('duckdb:///database.duckdb')).toMatchObject({ path: here('database.duckdb') });
    expect(await configFromUrl('duckdb:////srv/abs.duckdb')).toMatchObject({ path: '/srv/abs.duckdb' });
    expect(await configFromUrl('file:///srv/dir')).toMatchObject({ root: '/srv/dir' });
    expect(await configFromUrl('lmdb:///srv/env')).toMatchObject({ path: '/srv/env' });
  });

  it('expands ~ to the home folder, and refuses ~name instead of making a folder called ~', async () => {
    expect(await configFromUrl('sqlite:~/x.sqlite')).toMatchObject({ path: join(homedir(), 'x.sqlite') });
    expect(await configFromUrl('sqlite:///~/x.sqlite')).toMatchObject({ path: join(homedir(), 'x.sqlite') });
    expect(await configFromUrl('file:~/data')).toMatchObject({ root: join(homedir(), 'data') });
    expect(await configFromUrl('hdf5:~/r.h5')).toMatchObject({ path: join(homedir(), 'r.h5') });
    await expect(configFromUrl('sqlite:~bob/x.sqlite')).rejects.toThrow(/~\/ \(your home folder\), not ~name/);
  });

  it('ignores a +driver suffix on SQL URLs, notes it in info(), and refuses it elsewhere', async () => {
    const dir = tempDir('url-driver');
    const store = await openBackend(`sqlite+pysqlite:///${dir}/x.sqlite`.replace('///', '////'));
    expect((await store.info()).details?.note).toMatch(/'\+pysqlite' is ignored/);
    expect(store.toConfig()).not.toHaveProperty('urlDriver');
    await store.close();
    expect(await configFromUrl('postgresql+psycopg2://u@db.example/results')).toMatchObject({
      type: 'postgres',
      host: 'db.example',
      database: 'results',
      urlDriver: 'psycopg2',
    });
    expect(await configFromUrl('mysql+pymysql://u@db.example/results')).toMatchObject({ type: 'mysql' });
    await expect(configFromUrl('redis+hiredis://127.0.0.1/0')).rejects.toThrow(/'\+hiredis' names a driver/);
  });
});

const redisSkip = await serviceSkipReason('Redis', '127.0.0.1', 6379);

describe('Redis database numbers', () => {
  it('refuses a database that is not a number before connecting', async () => {
    await expect(configFromUrl('redis://127.0.0.1/foo')).rejects.toThrow(/database number .* got 'foo'/);
    await expect(configFromUrl('redis://127.0.0.1/-1')).rejects.toBeInstanceOf(OperationError);
    await expect(configFromUrl('redis://127.0.0.1/0?prefx=a')).rejects.toThrow(/Unknown URL parameter 'prefx'/);
    // Not a connection attempt: a closed port would otherwise be the error.
    await expect(openBackend('redis://127.0.0.1:1/foo')).rejects.toBeInstanceOf(OperationError);
  });

  it.skipIf(redisSkip !== undefined)('refuses a database the server does not have instead of using 0', async () => {
    const error = await openBackend(`redis://127.0.0.1:6379/99?prefix=${uniqueName('db')}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect(String(error)).toMatch(/no database 99 \(it has \d+: 0 to \d+\)/);
  });
});

describe('SQLite files that cannot be opened', () => {
  const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

  it('says why a folder cannot take the database: permission denied, and where', () => {
    const dir = tempDir('sqlite-unwritable');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // Root may write anywhere, so the open runs as an unprivileged user when we are root.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { openBackend } = await import(${JSON.stringify(dist)});
         try { await openBackend(${JSON.stringify(`sqlite:${locked}/db.sqlite`)}); console.log('opened'); }
         catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }`,
      ],
      { encoding: 'utf8', ...asUser },
    );
    const outcome = JSON.parse(run.stdout || '{}') as { name: string; message: string };
    expect(outcome.name, run.stderr).toBe('ConnectionError');
    expect(outcome.message).toContain('permission denied');
    expect(outcome.message).toContain(locked);
    expect(existsSync(join(locked, 'db.sqlite'))).toBe(false);
  });

  it('says when the path runs through a file instead of a folder', async () => {
    const dir = tempDir('sqlite-notdir');
    writeFileSync(join(dir, 'afile'), 'x');
    const error = await openBackend(`sqlite:${dir}/afile/x.sqlite`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(String(error)).toContain(`${dir}/afile is not a folder`);
  });
});

describe('DuckDB pointed at a SQLite file', () => {
  it('says it is a SQLite file and which URL opens it, and downloads nothing', async () => {
    const dir = tempDir('duck-on-sqlite');
    const sqlite = await openBackend(`sqlite:${dir}/data.sqlite`);
    await sqlite.put('a', new Uint8Array([1]));
    await sqlite.close();
    const error = await openBackend(`duckdb:${dir}/data.sqlite`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(String(error)).toMatch(/is a SQLite database, not a DuckDB one; open it with sqlite:/);
    expect(String(error)).not.toMatch(/INSTALL sqlite/);
  });
});
