/*
 * Shared by the CLI and the explorer's browser app, which bundles it: no Node imports.
 */

/**
 * A byte count for people, in 1024 steps: `1536` -> `1.5 KB`. An unknown size (a store
 * that does not count its bytes) shows as nothing.
 */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
