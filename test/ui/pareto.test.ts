import { describe, expect, it } from 'vitest';
import { nonDominated } from '../../src/ui/app/plots/pareto.ts';
import { knownFront } from './fixtures.ts';

describe('nonDominated (the front the results page highlights)', () => {
  it('finds the constructed front of the fixture, minimising both objectives', () => {
    const { set, frontRows } = knownFront();
    const f1 = set.column('f1') as Float64Array;
    const f2 = set.column('f2') as Float64Array;
    const flags = nonDominated(
      Array.from(f1, (x, i) => [x, f2[i] as number]),
      ['minimize', 'minimize'],
    );
    expect(flags.flatMap((on, i) => (on ? [i] : []))).toEqual(frontRows);
  });

  it('follows the directions, keeps equal points, and never keeps a point without a value', () => {
    const points = [
      [1, 5],
      [2, 3],
      [2, 3],
      [3, 4],
      [4, 1],
      [null, 0],
      [Number.NaN, 0],
    ];
    expect(nonDominated(points, ['minimize', 'minimize'])).toEqual([true, true, true, false, true, false, false]);
    expect(nonDominated(points, ['maximize', 'maximize'])).toEqual([true, false, false, true, true, false, false]);
    expect(nonDominated(points, ['minimize', 'maximize'])).toEqual([true, false, false, false, false, false, false]);
  });

  it('agrees between the two-objective sweep and the pairwise check on random points', () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed % 1000) / 100;
    };
    const points = Array.from({ length: 400 }, () => [Math.round(random()), Math.round(random())]);
    const sweep = nonDominated(points, ['minimize', 'maximize']);
    // A third, constant objective changes nothing but forces the pairwise path.
    const pairwise = nonDominated(
      points.map((p) => [...p, 0]),
      ['minimize', 'maximize', 'minimize'],
    );
    expect(sweep).toEqual(pairwise);
    expect(sweep.filter(Boolean).length).toBeGreaterThan(0);
  });
});
