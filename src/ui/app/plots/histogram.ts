import * as Plot from '@observablehq/plot';

/** A histogram of one column's finite values. */
export function histogramPlot(
  values: readonly (number | string | null)[],
  label: string,
  bins: number,
  width: number,
): Element {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return Plot.plot({
    width,
    height: Math.round(width * 0.4),
    marginLeft: 50,
    x: { label, tickFormat: '~g' },
    y: { label: 'count', grid: true },
    marks: [
      Plot.rectY(numbers, {
        ...Plot.binX({ y: 'count' }, { x: (v: number) => v, thresholds: bins }),
        fill: '#4c78a8',
        inset: 0.5,
      }),
      Plot.ruleY([0]),
    ],
  });
}
