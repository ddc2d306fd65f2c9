import * as Plot from '@observablehq/plot';
import { formatNumber } from '../format.ts';
import { nonDominated, type Sense } from './pareto.ts';

/** At most this many lines are drawn; the rest is said in the caption. */
export const MAX_LINES = 3000;

/**
 * Parallel coordinates of the objectives: one line per point, each axis scaled so 0 is
 * its best value and 1 its worst, the non-dominated points on top in red.
 */
export function parallelPlot(
  columns: readonly { name: string; sense: Sense; values: readonly (number | string | null)[] }[],
  width: number,
): { element: Element; lines: number; front: number } {
  const n = Math.min(columns[0]?.values.length ?? 0, MAX_LINES);
  const points = Array.from({ length: n }, (_, row) =>
    columns.map((c) => {
      const v = c.values[row];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    }),
  );
  const flags = nonDominated(
    points,
    columns.map((c) => c.sense),
  );
  const ranges = columns.map((c, i) => {
    const values = points.map((p) => p[i]).filter((v): v is number => v !== null);
    return { name: c.name, sense: c.sense, min: Math.min(...values), max: Math.max(...values) };
  });
  const scaled = (row: number, i: number) => {
    const v = points[row]?.[i];
    const r = ranges[i] as (typeof ranges)[number];
    if (v === null || v === undefined) return Number.NaN;
    const span = r.max - r.min || 1;
    return r.sense === 'maximize' ? (r.max - v) / span : (v - r.min) / span;
  };
  const long = (wanted: boolean) =>
    points.flatMap((_, row) =>
      flags[row] === wanted ? columns.map((c, i) => ({ row, axis: c.name, v: scaled(row, i) })) : [],
    );
  const labels = ranges.flatMap((r) => [
    { axis: r.name, v: 0, text: formatNumber(r.sense === 'maximize' ? r.max : r.min) },
    { axis: r.name, v: 1, text: formatNumber(r.sense === 'maximize' ? r.min : r.max) },
  ]);
  const element = Plot.plot({
    width,
    height: Math.round(width * 0.5),
    marginTop: 24,
    marginBottom: 40,
    x: { type: 'point', domain: columns.map((c) => c.name), label: null, padding: 0.2 },
    y: { domain: [1, 0], label: '↑ better (0 = best on each axis)', axis: null },
    marks: [
      Plot.ruleX(columns.map((c) => c.name)),
      Plot.line(long(false), {
        x: 'axis',
        y: 'v',
        z: 'row',
        stroke: '#8fb3d9',
        strokeOpacity: 0.35,
        ariaDescription: 'dominated lines',
      }),
      Plot.line(long(true), {
        x: 'axis',
        y: 'v',
        z: 'row',
        stroke: '#c0392b',
        strokeWidth: 1.5,
        ariaDescription: 'non-dominated lines',
      }),
      Plot.text(labels, {
        x: 'axis',
        y: 'v',
        text: 'text',
        dy: 0,
        dx: 6,
        textAnchor: 'start',
        fill: '#333',
        stroke: 'white',
      }),
      Plot.axisX({ anchor: 'bottom', tickSize: 0 }),
    ],
  });
  return { element, lines: n, front: flags.filter(Boolean).length };
}
