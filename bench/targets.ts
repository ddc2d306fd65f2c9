// The issue-18 table of docs/benchmarks.md: each performance target, the figure of the
// 2026-11-23 run it started from, and the figure of the run being reported, computed from
// that run's measurements so the table cannot drift from them.
import type { Measurement } from './harness.ts';

interface Target {
  scenario: string;
  /** The 2026-11-23 figure, as the issue quotes it. */
  before: string;
  goal: string;
  /** This run's figure and whether it meets the goal; undefined when a row was not measured. */
  after(find: Find): { text: string; met: boolean } | undefined;
}

type Find = (scenario: string, engine: string, subject: string) => Measurement | undefined;

const x = (n: number) => `${n.toFixed(2)}x`;
const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 0)} ms`;

/** stowage's ops/s over another subject's, against a floor. */
function ratio(scenario: string, engine: string, ours: string, theirs: string, floor: number): Target['after'] {
  return (find) => {
    const a = find(scenario, engine, ours);
    const b = find(scenario, engine, theirs);
    if (!a || !b) return undefined;
    const r = a.opsPerSec / b.opsPerSec;
    return { text: x(r), met: r >= floor };
  };
}

/** Writers' or readers' latencies under contention, and (writers) how many writes were found afterwards. */
function contention(engine: string, kind: 'writers' | 'readers'): Target['after'] {
  return (find) => {
    const m =
      kind === 'writers'
        ? find('8 processes x 500 puts', engine, 'stowage put')
        : find('8 readers + 1 writer', engine, 'stowage get');
    if (!m) return undefined;
    const worst = m.maxUs ?? Number.NaN;
    if (kind === 'readers') return { text: `p99 ${ms(m.p99Us)} (worst ${ms(worst)})`, met: m.p99Us <= 5000 };
    const [, present, expected] = /(\d+) of (\d+) present/.exec(m.note ?? '') ?? [];
    return {
      text: `p99 ${ms(m.p99Us)}, worst ${ms(worst)}; ${present} of ${expected} present`,
      met: m.p99Us <= 10_000 && worst <= 50_000 && present !== undefined && present === expected,
    };
  };
}

const TARGETS: Target[] = [
  {
    scenario: 'memory get (hit) vs unstorage',
    before: '0.76x',
    goal: '≥ 1.2x',
    after: ratio('get (hit)', 'memory', 'stowage', 'unstorage', 1.2),
  },
  {
    scenario: 'memory get (hit) vs lru-cache',
    before: '0.59x',
    goal: '≥ 0.8x',
    after: ratio('get (hit)', 'memory', 'stowage', 'lru-cache', 0.8),
  },
  {
    scenario: 'memory get (hit) vs raw Map (decoding JSON too)',
    before: 'unlike work',
    goal: '',
    after: (find) => {
      const r = ratio('get (hit)', 'memory', 'stowage', 'raw Map', 0)(find);
      return r && { text: r.text, met: true };
    },
  },
  {
    scenario: 'memory getMany(1000) vs 1000 gets',
    before: '0.94x',
    goal: '≥ 2x',
    after: ratio('1000 keys: batch vs single calls', 'memory', 'getMany(1000)', '1000 x get', 2),
  },
  {
    scenario: 'fs set vs unstorage (no fsync)',
    before: '0.31x',
    goal: '≥ 0.6x',
    after: ratio('set', 'fs', 'stowage (no fsync)', 'unstorage', 0.6),
  },
  {
    scenario: 'fs list 10,000 keys, keys only, vs raw recursive readdir',
    before: 'not measured',
    goal: '≥ 0.8x',
    after: ratio('list 10000 keys under a prefix (keys only)', 'fs', 'stowage', 'raw recursive readdir', 0.8),
  },
  {
    scenario: 'fs list 10,000 keys with metadata (p50)',
    before: '1.1 s',
    goal: '≤ 200 ms',
    after: (find) => {
      const m = find('list 10000 keys under a prefix', 'fs', 'stowage');
      return m && { text: ms(m.p50Us), met: m.p50Us <= 200_000 };
    },
  },
  {
    scenario: 'sqlite get (hit) vs the raw driver',
    before: '0.71x',
    goal: '≥ 0.85x',
    after: (find) => rawRatio(find, 'get (hit)', 'sqlite', 0.85),
  },
  {
    scenario: 'sqlite set vs the raw driver',
    before: '0.77x',
    goal: '≥ 0.85x',
    after: (find) => rawRatio(find, 'set', 'sqlite', 0.85),
  },
  {
    scenario: 'lmdb get (hit) vs raw lmdb-js',
    before: '0.57x',
    goal: '≥ 0.8x',
    after: ratio('get (hit)', 'lmdb', 'stowage', 'raw lmdb-js', 0.8),
  },
  {
    scenario: 'lmdb get p50 at 1M keys over 1k keys (stowage)',
    before: '1.76x',
    goal: '≤ 1.5x',
    after: growth('get @ 1,000,000 keys', 'get @ 1,000 keys', 1.5),
  },
  {
    scenario: 'lmdb get p50 at 1M keys over 1k keys (raw lmdb-js, same run)',
    before: 'not measured',
    goal: '(the engine)',
    after: (find) => {
      const r = growth(
        'raw lmdb-js get @ 1,000,000 keys',
        'raw lmdb-js get @ 1,000 keys',
        Number.POSITIVE_INFINITY,
      )(find);
      return r && { text: r.text, met: true };
    },
  },
  {
    scenario: 'mysql set vs raw mysql2',
    before: '0.60x',
    goal: '≥ 0.8x',
    after: ratio('set', 'mysql', 'stowage', 'raw mysql2', 0.8),
  },
  {
    scenario: 'redis set vs raw ioredis',
    before: '0.75x',
    goal: '≥ 0.85x',
    after: ratio('set', 'redis', 'stowage', 'raw ioredis', 0.85),
  },
  {
    scenario: 'redis putMany(1000) vs 1000 puts',
    before: '4.3x',
    goal: '≥ 10x',
    after: ratio('1000 keys: batch vs single calls', 'redis', 'putMany(1000)', '1000 x put', 10),
  },
  {
    scenario: 'memoize hit on sqlite, p50 over a raw get of the same bytes',
    before: '47 µs vs 10 µs (4.7x)',
    goal: '≤ 1.5x',
    after: (find) => {
      const a = find('memoize hit', 'sqlite', 'memoized call (hit)');
      const b = find('memoize hit', 'sqlite', `${rawSqliteName(find)} get`);
      if (!a || !b) return undefined;
      const r = a.p50Us / b.p50Us;
      return { text: `${a.p50Us.toFixed(1)} µs vs ${b.p50Us.toFixed(1)} µs (${x(r)})`, met: r <= 1.5 };
    },
  },
  {
    scenario: 'memoize hit on memory (p50)',
    before: 'not measured',
    goal: '≤ 5 µs',
    after: (find) => {
      const m = find('memoize hit', 'memory', 'memoized call (hit)');
      return m && { text: `${m.p50Us.toFixed(1)} µs`, met: m.p50Us <= 5 };
    },
  },
  {
    scenario: 'CAS put of 100 MB vs one sha256 pass',
    before: '0.32x',
    goal: '≥ 0.7x',
    after: ratio('CAS put of 100 MB', 'memory', 'ValueStore.put', 'raw sha256', 0.7),
  },
  {
    scenario: 'CAS put of 100 MB vs a raw copy + sha256 (context: the copy a store keeps)',
    before: 'not measured',
    goal: '',
    after: (find) => {
      const r = ratio('CAS put of 100 MB', 'memory', 'ValueStore.put', 'raw copy + sha256', 0)(find);
      return r && { text: r.text, met: true };
    },
  },
  {
    scenario: 'CAS get of 100 MB vs a raw copy + sha256',
    before: 'not measured',
    goal: '≥ 0.7x',
    after: ratio('CAS get of 100 MB', 'memory', 'ValueStore.get', 'raw copy + sha256', 0.7),
  },
  {
    scenario: 'tiered cache hit vs lru-cache',
    before: '0.17x',
    goal: '≥ 0.3x',
    after: ratio('cache hit', 'tiered', 'TieredBackend.get (cache hit)', 'lru-cache get', 0.3),
  },
  ...(['sqlite', 'fs', 'lmdb'] as const).flatMap((engine): Target[] => [
    {
      scenario: `contention ${engine}: 8 processes x 500 puts`,
      before: engine === 'sqlite' ? 'p99 38 ms, worst 244 ms (the issue’s quick run)' : 'not measured',
      goal: 'p99 ≤ 10 ms, worst ≤ 50 ms, all present',
      after: contention(engine, 'writers'),
    },
    {
      scenario: `contention ${engine}: 8 readers + 1 writer, readers`,
      before: 'not measured',
      goal: 'p99 ≤ 5 ms',
      after: contention(engine, 'readers'),
    },
  ]),
];

// The raw SQLite subject is better-sqlite3 or node:sqlite, whichever the backend uses here.
function rawSqliteName(find: Find): string {
  return find('get (hit)', 'sqlite', 'raw better-sqlite3') ? 'raw better-sqlite3' : 'raw node:sqlite';
}

function rawRatio(find: Find, scenario: string, engine: string, floor: number) {
  return ratio(scenario, engine, 'stowage', rawSqliteName(find), floor)(find);
}

function growth(large: string, small: string, ceiling: number): Target['after'] {
  return (find) => {
    const a = find('get latency vs store size', 'lmdb', large);
    const b = find('get latency vs store size', 'lmdb', small);
    if (!a || !b) return undefined;
    const r = a.p50Us / b.p50Us;
    return { text: `${x(r)} (${b.p50Us.toFixed(1)} → ${a.p50Us.toFixed(1)} µs)`, met: r <= ceiling };
  };
}

/** The markdown table of every target for the measurements of one full run. */
export function targetsTable(results: readonly Measurement[]): string {
  const find: Find = (scenario, engine, subject) =>
    results.find((m) => m.scenario === scenario && m.engine === engine && m.subject === subject);
  const lines = ['| target | before (2026-11-23) | this run | goal | met |', '| --- | --- | --- | --- | --- |'];
  for (const t of TARGETS) {
    const after = t.after(find);
    const met = after === undefined ? '' : t.goal === '' || t.goal.startsWith('(') ? '' : after.met ? 'yes' : 'no';
    lines.push(`| ${t.scenario} | ${t.before} | ${after?.text ?? 'not measured in this run'} | ${t.goal} | ${met} |`);
  }
  return lines.join('\n');
}
