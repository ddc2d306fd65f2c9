import { appendFileSync } from 'node:fs';

/** True under `npm run test:reliability`: full sizes (reduced sizes run inside `npm test`). */
export const FULL = process.env.STOWAGE_RELIABILITY === 'full';

/** The full size, or the reduced one inside `npm test`. */
export const size = (full: number, reduced: number): number => (FULL ? full : reduced);

/**
 * Where figures go: `npm run test:reliability` names the file and turns it into
 * docs/reliability.md. Without it (`npm test`) figures are not kept, so no run leaves files behind.
 */
export const FIGURES_FILE = process.env.STOWAGE_FIGURES_FILE;

/** Records one figure of the reliability report. */
export function recordFigure(area: string, what: string, value: string | number, detail = ''): void {
  if (FIGURES_FILE === undefined) return;
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ area, what, value, detail, at: new Date().toISOString() })}\n`);
}
