import { DriverMissingError } from '../../core/errors.ts';

/**
 * Loads an optional peer dependency on first use, so a backend's driver is only
 * required by those who use that backend. `packageName` is what to install when the
 * module is a subpath of a package (`h5wasm/node` is in `h5wasm`).
 */
export async function loadDriver<T>(
  moduleName: string,
  backendName: string,
  packageName = moduleName.startsWith('@') ? moduleName.split('/').slice(0, 2).join('/') : moduleName.split('/')[0],
): Promise<T> {
  try {
    return (await import(moduleName)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DriverMissingError(packageName as string, backendName, error);
    }
    throw error;
  }
}
