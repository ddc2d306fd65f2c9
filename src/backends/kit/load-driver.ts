import { DriverMissingError } from '../../core/errors.ts';

/**
 * Loads an optional peer dependency on first use, so a backend's driver is only
 * required by those who use that backend.
 */
export async function loadDriver<T>(packageName: string, backendName: string): Promise<T> {
  try {
    return (await import(packageName)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DriverMissingError(packageName, backendName, error);
    }
    throw error;
  }
}
