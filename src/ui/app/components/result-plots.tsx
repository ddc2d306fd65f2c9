import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiColumns, ApiResult, ApiResultList } from '../../api-types.ts';
import { apiGet } from '../api.ts';
import { histogramPlot } from '../plots/histogram.ts';
import { MAX_LINES, parallelPlot } from '../plots/parallel.ts';
import type { Sense } from '../plots/pareto.ts';
import { PlotFigure } from '../plots/plot-figure.tsx';
import { type ScatterSummary, scatterPlot } from '../plots/scatter.ts';
import { useApi } from '../use-api.ts';
import { Select } from './select.tsx';
import { ErrorBox } from './status.tsx';

const WIDTH = 720;
const AXES = [
  { axis: 0, name: 'x' },
  { axis: 1, name: 'y' },
] as const;
const SENSES: readonly Sense[] = ['minimize', 'maximize'];

function useColumns(store: number, key: string, set: string, names: readonly string[]) {
  const wanted = [...new Set(names.filter(Boolean))];
  return useApi(
    () =>
      key === '' || set === '' || wanted.length === 0
        ? Promise.resolve(undefined)
        : apiGet<ApiColumns>('/api/result/columns', { store, key, set, column: wanted }),
    [store, key, set, wanted.join('\u0000')],
  );
}

/** Scatter (with the non-dominated front, optionally against a second result), parallel coordinates and a histogram. */
export function ResultPlots({
  store,
  resultKey,
  result,
  set,
}: {
  store: number;
  resultKey: string;
  result: ApiResult;
  set: string;
}) {
  const info = result.sets.find((s) => s.name === set);
  const numeric = (info?.columns ?? []).filter((c) => c.kind === 'number').map((c) => c.name);
  const objectives = result.objectives.filter((o) => numeric.includes(o.name));
  const senseOf = (column: string): Sense => result.objectives.find((o) => o.name === column)?.sense ?? 'minimize';
  const [x, setX] = useState('');
  const [y, setY] = useState('');
  const [senses, setSenses] = useState<[Sense, Sense]>(['minimize', 'minimize']);
  const [hist, setHist] = useState('');
  const [bins, setBins] = useState(20);
  const [compareKey, setCompareKey] = useState('');
  const [compareSet, setCompareSet] = useState('');

  useEffect(() => {
    const nx = objectives[0]?.name ?? numeric[0] ?? '';
    const ny = objectives[1]?.name ?? numeric.find((c) => c !== nx) ?? nx;
    setX(nx);
    setY(ny);
    setSenses([senseOf(nx), senseOf(ny)]);
    setHist(nx);
  }, [resultKey, set]);

  const main = useColumns(store, resultKey, set, [
    x,
    y,
    hist,
    ...(objectives.length >= 3 ? objectives.map((o) => o.name) : []),
  ]);
  const others = useApi(() => apiGet<ApiResultList>('/api/results', { store, limit: 1000 }), [store]);
  const compareResult = useApi(
    () => (compareKey ? apiGet<ApiResult>('/api/result', { store, key: compareKey }) : Promise.resolve(undefined)),
    [store, compareKey],
  );
  const compareSets = compareResult.data?.sets.map((s) => s.name) ?? [];
  const compared = useColumns(store, compareKey, compareSets.includes(compareSet) ? compareSet : '', [x, y]);
  const [summaries, setSummaries] = useState<ScatterSummary[]>([]);

  const columns = main.data?.columns;
  const second = compareKey && compared.data ? compared.data.columns : undefined;
  const chooseAxis = (axis: 0 | 1, column: string) => {
    if (axis === 0) setX(column);
    else setY(column);
    setSenses((s) => (axis === 0 ? [senseOf(column), s[1]] : [s[0], senseOf(column)]));
  };
  const flip = (axis: 0 | 1, sense: string) =>
    setSenses((s) => (axis === 0 ? [sense as Sense, s[1]] : [s[0], sense as Sense]));

  if (numeric.length === 0) return <p class="muted">This set has no numeric columns to plot.</p>;
  return (
    <div class="plots">
      <ErrorBox error={main.error ?? compared.error ?? compareResult.error} />
      <h3>Scatter</h3>
      <div class="toolbar">
        {AXES.map(({ axis, name }) => (
          <Fragment key={name}>
            <Select
              label={name}
              value={axis === 0 ? x : y}
              options={numeric}
              onChange={(v) => chooseAxis(axis, v)}
              testId={`scatter-${name}`}
            />
            <Select
              label=""
              value={senses[axis]}
              options={SENSES}
              onChange={(v) => flip(axis, v)}
              testId={`sense-${name}`}
            />
          </Fragment>
        ))}
        <Select
          label="compare with"
          value={compareKey}
          options={['', ...(others.data?.results.map((r) => r.key) ?? [])]}
          onChange={(v) => {
            setCompareKey(v);
            setCompareSet('');
          }}
          testId="compare-key"
        />
        {compareKey ? (
          <Select
            label="set"
            value={compareSet}
            options={['', ...compareSets]}
            onChange={setCompareSet}
            testId="compare-set"
          />
        ) : null}
      </div>
      {columns?.[x] && columns[y] ? (
        <PlotFigure
          testId="scatter"
          filename={`${resultKey.replaceAll('/', '_')}-${set}-${x}-${y}`}
          deps={[columns, second, x, y, senses[0], senses[1]]}
          build={() => {
            const series = [{ label: `${resultKey}/${set}`, x: columns[x] ?? [], y: columns[y] ?? [] }];
            if (second?.[x] && second[y])
              series.push({ label: `${compareKey}/${compareSet}`, x: second[x], y: second[y] });
            const drawn = scatterPlot(series, { x, y, senses }, WIDTH);
            setSummaries(drawn.summaries);
            return drawn.element;
          }}
        />
      ) : null}
      <ul class="legend" data-testid="scatter-legend">
        {summaries.map((s, i) => (
          <li key={i} class={i === 0 ? 'first' : 'second'}>
            {i === 0 ? `${resultKey} / ${set}` : `${compareKey} / ${compareSet}`}: {s.drawn} points, {s.front.length}{' '}
            non-dominated
            {s.missing > 0 ? `, ${s.missing} without a value not drawn` : ''}
          </li>
        ))}
      </ul>
      {objectives.length >= 3 && columns ? (
        <>
          <h3>Parallel coordinates of the objectives</h3>
          <PlotFigure
            testId="parallel"
            filename={`${resultKey.replaceAll('/', '_')}-${set}-parallel`}
            deps={[columns]}
            build={() =>
              objectives.every((o) => columns[o.name])
                ? parallelPlot(
                    objectives.map((o) => ({ name: o.name, sense: o.sense, values: columns[o.name] ?? [] })),
                    WIDTH,
                  ).element
                : undefined
            }
          />
          <p class="muted">
            One line per point; each axis runs from its best value (top) to its worst (bottom), non-dominated points in
            red.
            {(info?.nPoints ?? 0) > MAX_LINES ? ` The first ${MAX_LINES} points are drawn.` : ''}
          </p>
        </>
      ) : null}
      <h3>Histogram</h3>
      <div class="toolbar">
        <Select label="column" value={hist} options={numeric} onChange={setHist} testId="hist-column" />
        <label>
          bins{' '}
          <input
            type="number"
            min={2}
            max={200}
            value={bins}
            onChange={(e) => setBins(Math.max(2, Math.min(200, Number((e.target as HTMLInputElement).value) || 20)))}
          />
        </label>
      </div>
      {columns?.[hist] ? (
        <PlotFigure
          testId="histogram"
          filename={`${resultKey.replaceAll('/', '_')}-${set}-${hist}-histogram`}
          deps={[columns, hist, bins]}
          build={() => histogramPlot(columns[hist] ?? [], hist, bins, WIDTH)}
        />
      ) : null}
    </div>
  );
}
