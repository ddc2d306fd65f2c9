import { describe, expect, it } from 'vitest';
import { loadDriver } from '../../src/backends/kit/load-driver.ts';
import {
  configFromUrl,
  DriverMissingError,
  OperationError,
  openBackend,
  registeredBackendTypes,
} from '../../src/index.ts';

describe('openBackend and drivers', () => {
  it('knows the bundled schemes and rejects unknown ones clearly', async () => {
    expect(registeredBackendTypes()).toEqual(expect.arrayContaining(['memory', 'fs', 'sqlite']));
    await expect(openBackend('nosuch://x')).rejects.toThrow(/No backend for URL scheme 'nosuch:'/);
    await expect(openBackend({ type: 'nosuch' })).rejects.toBeInstanceOf(OperationError);
    await expect(openBackend('not a url')).rejects.toBeInstanceOf(OperationError);
  });

  it('tells which package to install when a driver is missing', async () => {
    const error = (await loadDriver('stowage-no-such-driver', 'example').catch(
      (e: unknown) => e,
    )) as DriverMissingError;
    expect(error).toBeInstanceOf(DriverMissingError);
    expect(error.message).toContain('npm install stowage-no-such-driver');
    expect(error.code).toBe('DRIVER_MISSING');
  });

  // Found by the URL fuzz (test/reliability/bad-input.test.ts): URIError / TypeError escaped.
  it('a malformed URL or %-escape is an OperationError, for local and server URLs alike', async () => {
    for (const url of [
      'sqlite:///tmp/%zz.sqlite',
      'hdf5:%///tmp/x.h5',
      'file:///tmp/a%E0%A4%A',
      'postgres://us%zzer@127.0.0.1/test',
      'mysql://root:p%zz@127.0.0.1/test',
      'redis://127.0.0.1:6379/%zz',
      'redis://[::1',
      's3://bucket/%zz',
      'postgres://[bad',
    ]) {
      await expect(configFromUrl(url), url).rejects.toBeInstanceOf(OperationError);
      await expect(openBackend(url, { create: false }), url).rejects.toBeInstanceOf(OperationError);
    }
    const error = (await configFromUrl('mysql://root:s%zzecret@127.0.0.1/test').catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('s%zzecret');
  });
});
