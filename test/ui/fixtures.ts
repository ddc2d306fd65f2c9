import { createMemoStore } from '../../src/entries/cas.ts';
import { getCodec } from '../../src/entries/codecs.ts';
import { type Backend, memoize, OptimizationResult, ResultSet, ResultStore } from '../../src/index.ts';

/**
 * A two-objective set (both minimised) whose non-dominated rows are known by
 * construction: 12 points on f2 = 1 - sqrt(f1), and 48 copies of them pushed up and
 * right, which those points dominate (one of them only in f2, at the same f1).
 */
export function knownFront(): { set: ResultSet; frontRows: number[] } {
  const f1: number[] = [];
  const f2: number[] = [];
  const frontRows: number[] = [];
  for (let i = 0; i < 12; i++) {
    const x = i / 11;
    frontRows.push(f1.length);
    f1.push(x);
    f2.push(1 - Math.sqrt(x));
    for (let j = 1; j <= 4; j++) {
      f1.push(j === 4 ? x : x + 0.02 * j);
      f2.push(1 - Math.sqrt(x) + 0.05 * j);
    }
  }
  return {
    set: new ResultSet('population', { f1: new Float64Array(f1), f2: new Float64Array(f2) }, { generation: 40 }),
    frontRows,
  };
}

/** Stores two results: `zdt1/run-1` (the known front, 60 points) and `dtlz2/run-1` (three objectives, 80 points). */
export async function fillResults(backend: Backend): Promise<{ frontRows: number[]; points: number }> {
  const results = new ResultStore({ backend });
  const { set, frontRows } = knownFront();
  const zdt1 = new OptimizationResult({
    id: 'zdt1-run-1',
    problem: { name: 'ZDT1' },
    objectives: [{ name: 'f1' }, { name: 'f2' }],
    designVariables: [{ name: 'x1', lower: 0, upper: 1 }],
    metadata: { solver: 'nsga2', generations: 40 },
    sets: [set],
  });
  await results.save('zdt1/run-1', zdt1, { metadata: { note: 'known front' } });
  await results.save('dtlz2/run-1', sphereResult());
  return { frontRows, points: set.nPoints };
}

/**
 * Three minimised objectives: 20 directions, each at radius 1 (on the unit sphere: the
 * non-dominated points, rows 0, 4, 8, ...) and at radii 1.1, 1.2 and 1.3 (each dominated
 * by the point of radius 1 in its direction).
 */
function sphereResult(): OptimizationResult {
  const f1: number[] = [];
  const f2: number[] = [];
  const f3: number[] = [];
  for (let a = 1; a <= 5; a++) {
    for (let b = 1; b <= 4; b++) {
      const theta = (a / 6) * (Math.PI / 2);
      const phi = (b / 5) * (Math.PI / 2);
      for (const r of [1, 1.1, 1.2, 1.3]) {
        f1.push(r * Math.cos(theta) * Math.cos(phi));
        f2.push(r * Math.cos(theta) * Math.sin(phi));
        f3.push(r * Math.sin(theta));
      }
    }
  }
  return new OptimizationResult({
    id: 'dtlz2',
    problem: { name: 'DTLZ2' },
    objectives: [{ name: 'f1' }, { name: 'f2' }, { name: 'f3', sense: 'minimize' }],
    sets: [new ResultSet('front', { f1: new Float64Array(f1), f2: new Float64Array(f2), f3: new Float64Array(f3) })],
  });
}

/** Memoises `simulate(x, y)` and calls it 8 times (x sleeps x ms), so the store holds call records with durations. */
export async function fillCalls(backend: Backend): Promise<void> {
  const store = createMemoStore(backend);
  const simulate = memoize(
    async (x: number, y: number) => {
      await new Promise((resolve) => setTimeout(resolve, x));
      return { energy: x * y, trace: [x, y, x + y] };
    },
    { store, name: 'simulate', version: '2', params: ['x', 'y'] },
  );
  const label = memoize(async (name: string) => name.toUpperCase(), { store, name: 'label', params: ['name'] });
  for (const x of [1, 5, 10, 20]) for (const y of [3, 4]) await simulate(x, y);
  await label('pareto');
}

/** One entry per codec the entry page decodes, and one of raw bytes. */
export async function fillCodecs(backend: Backend): Promise<void> {
  await backend.put('docs/config.json', getCodec('json').encode({ name: 'run', tags: ['a', 'b'], depth: 3 }), {
    attrs: { kind: 'config' },
  });
  await backend.put(
    'docs/state.msgpack',
    getCodec('msgpack').encode({ weights: new Float64Array([0.5, 0.25]), at: new Date(0) }),
  );
  await backend.put('docs/readme', new TextEncoder().encode('plain text,\nover two lines'));
  await backend.put('docs/packed', getCodec('json+gzip').encode({ compressed: true }));
  await backend.put('docs/blob', new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255, 7]));
}

/** Markup and script in keys, attributes and values: the explorer must show them as text. */
export const HOSTILE = {
  scriptKey: ['xss', '<script>window.__xss=1<', 'script>'],
  imgKey: ['xss', '"><img src=x onerror="window.__xss=2">'],
  svgKey: ['xss', "<svg onload='window.__xss=3'>"],
  attrs: { note: '<img src=x onerror="window.__xss=4">', '<b onmouseover=window.__xss=5>': 'key' },
  value: '<script>window.__xss=6</script><img src=x onerror="window.__xss=7">',
};

/** Stores entries whose keys, attributes and values carry markup. */
export async function fillHostile(backend: Backend): Promise<void> {
  const json = getCodec('json');
  await backend.put(HOSTILE.scriptKey, json.encode({ html: HOSTILE.value }), { attrs: HOSTILE.attrs });
  await backend.put(HOSTILE.imgKey, new TextEncoder().encode(HOSTILE.value), { attrs: HOSTILE.attrs });
  await backend.put(HOSTILE.svgKey, json.encode({ [HOSTILE.value]: HOSTILE.value }), { attrs: HOSTILE.attrs });
}

/** `count` keys under `flat/` (`flat/k-00000`, ...), msgpack values, attrs with a solver and a seed; in batches. */
export async function fillFlat(backend: Backend, count: number, batch = 2000): Promise<void> {
  const codec = getCodec('msgpack');
  for (let start = 0; start < count; start += batch) {
    const entries = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      entries.push({
        key: ['flat', `k-${String(i).padStart(5, '0')}`],
        value: codec.encode({ index: i, loss: 1 / (i + 1) }),
        attrs: { solver: i % 2 === 0 ? 'nsga2' : 'moead', seed: i % 10 },
      });
    }
    await backend.putMany(entries);
  }
}
