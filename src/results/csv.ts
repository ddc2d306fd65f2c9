import type { OptimizationResult } from './optimization-result.ts';
import type { ResultSet } from './result-set.ts';

function cell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function rows(
  header: string[],
  count: number,
  get: (row: number, column: string) => unknown,
  lead: string[] = [],
): string[] {
  const lines: string[] = [];
  for (let r = 0; r < count; r++) lines.push([...lead, ...header.map((c) => cell(get(r, c)))].join(','));
  return lines;
}

/** One set as CSV: a header row of column names, then one row per point. */
export function setToCsv(set: ResultSet): string {
  const header = set.columnNames;
  const get = (r: number, c: string) => (set.columns[c] as ArrayLike<unknown>)[r];
  return [header.map(cell).join(','), ...rows(header, set.nPoints, get)].join('\n');
}

/** A whole result as one CSV table: a `set` column, then the union of all columns. */
export function resultToCsv(result: OptimizationResult): string {
  const header = [...new Set(result.listSets().flatMap((name) => result.getSet(name).columnNames))];
  const lines = [['set', ...header].map(cell).join(',')];
  for (const name of result.listSets()) {
    const set = result.getSet(name);
    const get = (r: number, c: string) => (set.columns[c] as ArrayLike<unknown> | undefined)?.[r];
    lines.push(...rows(header, set.nPoints, get, [cell(name)]));
  }
  return lines.join('\n');
}
