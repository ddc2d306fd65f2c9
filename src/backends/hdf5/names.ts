import { OperationError } from '../../core/errors.ts';

/*
 * Names inside the HDF5 file and beside it. An entry's datasets are named after its key:
 * the `/`-joined key with `%` and `/` escaped, so every key is one link name (HDF5 forbids
 * `/` in names) and `h5ls` shows it readably. A key's slots (see slots.ts) are that name
 * (slot 0), then `%1`, `%s2`, `%s3`, ...: an escaped key holds `%` only as `%25` or `%2F`,
 * so no suffix is ambiguous.
 */

/** The group a store uses when none is given. */
export const DEFAULT_GROUP = 'stowage';

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Throws `OperationError` unless `group` is a usable group name (checked before any I/O). */
export function checkGroupName(group: string, label: string): void {
  if (!GROUP_NAME.test(group)) {
    throw new OperationError(`An HDF5 group name must match ${GROUP_NAME}, got '${group}'`, { backend: label });
  }
}

function linkName(path: string): string {
  return path.replaceAll('%', '%25').replaceAll('/', '%2F');
}

function pathOfLink(name: string): string {
  return name.replace(/%2F|%25/g, (m) => (m === '%2F' ? '/' : '%'));
}

/** The dataset name of slot `slot` of the key `path`. */
export function slotName(path: string, slot: number): string {
  const link = linkName(path);
  return slot === 0 ? link : slot === 1 ? `${link}%1` : `${link}%s${slot}`;
}

/** The key and slot number of a dataset name. */
export function parseSlotName(name: string): { path: string; slot: number } {
  if (name.endsWith('%1')) return { path: pathOfLink(name.slice(0, -2)), slot: 1 };
  const numbered = /%s(\d+)$/.exec(name);
  if (numbered) return { path: pathOfLink(name.slice(0, numbered.index)), slot: Number(numbered[1]) };
  return { path: pathOfLink(name), slot: 0 };
}

/** The lock file that keeps other processes away from the HDF5 file at `path`. */
export function lockFileOf(path: string): string {
  return `${path}.lock`;
}

/** The side file listing the datasets a crash may have torn (see recovery.ts). */
export function abandonedFileOf(path: string): string {
  return `${path}.abandoned`;
}
