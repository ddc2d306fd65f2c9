import * as Plot from '@observablehq/plot';
import { formatNumber } from '../format.ts';
import { nonDominated, type Sense } from './pareto.ts';

/** One set drawn on the scatter plot. */
export interface ScatterSeries {
  label: string;
  x: readonly (number | string | null)[];
  y: readonly (number | string | null)[];
}

/** What a drawn series shows: rows drawn, rows left out (no value), and the non-dominated rows. */
export interface ScatterSummary {
  drawn: number;
  missing: number;
  front: number[];
}

const COLORS = [
  { point: '#8fb3d9', front: '#c0392b' },
  { point: '#f2c38b', front: '#1e7b45' },
];

const numeric = (v: number | string | null): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function arrow(name: string, sense: Sense): string {
  return `${name} (${sense === 'maximize' ? 'max' : 'min'})`;
}

/**
 * A scatter plot of two columns, one or two series, each with its non-dominated points
 * (for the axes' directions) drawn larger, in the series' front colour, and connected
 * in x order. Every drawn point is one circle whose title names its row.
 */
export function scatterPlot(
  series: readonly ScatterSeries[],
  axes: { x: string; y: string; senses: readonly [Sense, Sense] },
  width: number,
): { element: Element; summaries: ScatterSummary[] } {
  const marks: Plot.Markish[] = [];
  const summaries: ScatterSummary[] = [];
  for (const [s, one] of series.entries()) {
    const colors = COLORS[s % COLORS.length] as (typeof COLORS)[number];
    const points = one.x.map((x, i) => [numeric(x), numeric(one.y[i] ?? null)]);
    const rows = points.flatMap((p, i) => (p[0] !== null && p[1] !== null ? [i] : []));
    const flags = nonDominated(points, axes.senses);
    const front = rows.filter((i) => flags[i]).sort((a, b) => (points[a]?.[0] as number) - (points[b]?.[0] as number));
    const dominated = rows.filter((i) => !flags[i]);
    const x = (i: number) => points[i]?.[0];
    const y = (i: number) => points[i]?.[1];
    const title = (i: number) =>
      `${one.label} row ${i}: ${axes.x}=${formatNumber(x(i) ?? null)}, ${axes.y}=${formatNumber(y(i) ?? null)}`;
    const tag = series.length > 1 ? ` (${s === 0 ? 'first' : 'second'})` : '';
    marks.push(
      Plot.dot(dominated, {
        x,
        y,
        r: 3,
        fill: colors.point,
        fillOpacity: 0.8,
        title,
        ariaDescription: `dominated points${tag}`,
      }),
      Plot.line(front, { x, y, stroke: colors.front, strokeWidth: 1.5, ariaDescription: `front${tag}` }),
      Plot.dot(front, {
        x,
        y,
        r: 5,
        fill: colors.front,
        stroke: 'white',
        title,
        ariaDescription: `non-dominated points${tag}`,
      }),
    );
    summaries.push({ drawn: rows.length, missing: points.length - rows.length, front });
  }
  const element = Plot.plot({
    width,
    height: Math.round(width * 0.62),
    grid: true,
    inset: 8,
    marginLeft: 60,
    x: { label: arrow(axes.x, axes.senses[0]) },
    y: { label: arrow(axes.y, axes.senses[1]) },
    marks,
  });
  return { element, summaries };
}
