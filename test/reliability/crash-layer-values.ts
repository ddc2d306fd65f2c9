// What the layer crash workers write, and how the test recognises it whole.
import { createHash } from 'node:crypto';
import { OptimizationResult, ResultSet } from '../../src/results/index.ts';

const POINTS = 100;

/** How many sets generation `gen` of a result has: 4 to 8, so a mix of two saves shows. */
export const setCountOf = (gen: number): number => 4 + (gen % 5);

/** A result whose every set carries its generation. */
export function makeResult(gen: number): OptimizationResult {
  const sets = Array.from({ length: setCountOf(gen) }, (_, i) => {
    const x = new Float64Array(POINTS).fill(gen * 1000 + i);
    const y = Int32Array.from({ length: POINTS }, (_, j) => j);
    return new ResultSet(`s${i}`, { x, y }, { gen });
  });
  return new OptimizationResult({ id: `g${gen}`, metadata: { gen }, sets });
}

/** The generation of a loaded result, or an error saying how it mixes two saves. */
export function checkResult(result: OptimizationResult): number {
  const gen = Number(result.metadata.gen);
  const names = result.listSets();
  const expected = Array.from({ length: setCountOf(gen) }, (_, i) => `s${i}`);
  if (result.id !== `g${gen}`) throw new Error(`id ${result.id} with metadata of generation ${gen}`);
  if (names.join() !== expected.join()) throw new Error(`generation ${gen} with sets ${names.join()}`);
  for (const [i, name] of names.entries()) {
    const set = result.getSet(name);
    const x = set.column('x');
    const y = set.column('y');
    if (set.metadata.gen !== gen || x.length !== POINTS || y.length !== POINTS)
      throw new Error(`set ${name} of generation ${gen} is from another save or short`);
    for (let j = 0; j < POINTS; j++)
      if (x[j] !== gen * 1000 + i || y[j] !== j) throw new Error(`set ${name} of generation ${gen} torn at ${j}`);
  }
  return gen;
}

/** What the memoised function of the memoize scenario returns for `x`. */
export const memoResult = (x: number) => ({ x, square: x * x, pad: 'p'.repeat(300) });

const LEAF = 'leaf'.repeat(100); // 400 bytes: stored as a node of its own, shared by values

/**
 * Value number `v` of the gc scenario: its own container nodes, sharing leaf nodes with
 * neighbouring values, so a put reuses nodes that other values left behind.
 */
export const poolValue = (v: number) => ({
  v,
  parts: [`${LEAF}${v % 7}`, `${LEAF}${(v * 3) % 11}`],
  label: `value ${v} `.repeat(30),
});

/** A 64-hex key of the caller's for `ValueStore.put(value, { key })`. */
export const aliasOf = (text: string): string => createHash('sha256').update(text).digest('hex');
