import { existsSync } from 'node:fs';
import type * as H5 from 'h5wasm';
import { ConnectionError } from '../../core/errors.ts';
import { loadDriver } from '../kit/load-driver.ts';

/** The h5wasm module (its Node entry), loaded on first use. */
export type H5Module = typeof H5;

/** Loads h5wasm, set to throw HDF5's errors (with HDF5's error stack) instead of printing them. */
export async function loadH5(): Promise<H5Module> {
  // The package is h5wasm; its Node build is the module h5wasm/node.
  const imported = await loadDriver<H5Module & { default?: H5Module }>('h5wasm/node', 'hdf5', 'h5wasm');
  const h5 = imported.default ?? imported;
  (await h5.ready).activate_throwing_error_handler();
  return h5;
}

/**
 * HDF5's errors carry its whole error stack; the innermost frame says what went wrong
 * (`file signature not found (Not an HDF5 file)`), the rest is library internals.
 */
export function hdf5Error(error: unknown): Error {
  const message = (error as Error)?.message ?? String(error);
  const frames = [...message.matchAll(/#\d+: .* in [\w]+\(\): (.*)\n\s*major: .*\n\s*minor: (.*)/g)];
  const last = frames.at(-1);
  if (!last) return error instanceof Error ? error : new Error(message);
  return new Error(`${last[1]?.trim()} (${last[2]?.trim()})`, { cause: error });
}

/** Opens the HDF5 file at `path` for reading and writing, creating it if missing. */
export function openH5File(h5: H5Module, path: string, label: string): H5.File {
  try {
    return new h5.File(path, existsSync(path) ? 'a' : 'w');
  } catch (error) {
    throw new ConnectionError(`Cannot open the HDF5 file: ${hdf5Error(error).message}`, {
      backend: label,
      cause: error,
    });
  }
}
