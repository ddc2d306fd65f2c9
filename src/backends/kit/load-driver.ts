import { DriverMissingError } from '../../core/errors.ts';

/** The npm package a module is in: `h5wasm` for `h5wasm/node`, `@duckdb/node-api` for itself. */
export function packageOf(moduleName: string): string {
  const parts = moduleName.split('/');
  return (moduleName.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/**
 * Loads an optional peer dependency on first use, so a backend's driver is only
 * required by those who use that backend. `packageName` is what to install when the
 * module is a subpath of a package (`h5wasm/node` is in `h5wasm`).
 */
export async function loadDriver<T>(
  moduleName: string,
  backendName: string,
  packageName = packageOf(moduleName),
): Promise<T> {
  try {
    return (await import(moduleName)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DriverMissingError(packageName, backendName, error);
    }
    throw error;
  }
}
