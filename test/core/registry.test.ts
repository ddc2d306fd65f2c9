import { describe, expect, it } from 'vitest';
import { loadDriver } from '../../src/backends/kit/load-driver.ts';
import { DriverMissingError, OperationError, openBackend, registeredBackendTypes } from '../../src/index.ts';

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
});
