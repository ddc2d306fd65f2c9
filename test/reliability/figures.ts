import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True under `npm run test:reliability`: full sizes (reduced sizes run inside `npm test`). */
export const FULL = process.env.STOWAGE_RELIABILITY === 'full';

/** The full size, or the reduced one inside `npm test`. */
export const size = (full: number, reduced: number): number => (FULL ? full : reduced);

/** Where figures go; `npm run test:reliability` turns them into docs/reliability.md. */
export const FIGURES_FILE = process.env.STOWAGE_FIGURES_FILE ?? join(tmpdir(), `stowage-figures-${process.ppid}.jsonl`);

/** Records one figure of the reliability report. */
export function recordFigure(area: string, what: string, value: string | number, detail = ''): void {
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ area, what, value, detail, at: new Date().toISOString() })}\n`);
}
