// Child process of the layer crash tests, killed at random moments: runs one layer's
// operation in a loop and logs a line for each one that finished (what the test may then
// require to be there). The log is appended to synchronously: a line written to a pipe can
// still sit in this process's buffer when the kill comes, a line in a file cannot.
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { CallStore, createMemoStore, memoize, ValueStore } from '../../src/cas/index.ts';
import { PersiDict } from '../../src/dict/index.ts';
import { openBackend } from '../../src/index.ts';
import { ResultStore } from '../../src/results/index.ts';
import { aliasOf, makeResult, memoResult, poolValue } from './crash-layer-values.ts';
import { makeValue } from './crash-values.ts';

const [scenario, log, configJson, ...args] = process.argv.slice(2) as [string, string, string, ...string[]];
const backend = await openBackend(JSON.parse(configJson));
const say = (line: string) => appendFileSync(log, `${line}\n`);
// The test's kill clock starts here; the result and tiered loops call it after their first write, so there is always something to check.
const ready = () => process.stdout.write('ready\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Saves results of 4 to 8 sets in turn under two keys, in a binary and a columns store. */
async function saveResults(start: number): Promise<never> {
  const stores = [
    new ResultStore({ backend, prefix: 'binary' }),
    new ResultStore({ backend, prefix: 'columns', format: 'columns', chunkBytes: 512 }),
  ];
  for (let gen = start; ; gen++) {
    await (stores[gen % 2] as ResultStore).save(`r${(gen >> 1) % 2}`, makeResult(gen), { metadata: { gen } });
    if (gen === start) ready();
  }
}

/** Increments this worker's own counter in one shared map, by read-modify-write. */
async function updateDict(id: string): Promise<never> {
  const dict = new PersiDict<Record<string, number>>({ backend, prefix: 'dict' });
  for (;;) {
    const next = await dict.update('counters', (m = {}) => ({ ...m, [id]: (m[id] ?? 0) + 1 }));
    say(`ack ${next?.[id]}`);
  }
}

/** Calls a memoised function on each of `count` arguments (in a random order), logging each computation. */
async function callMemoized(first: number, count: number, leaseMs: number): Promise<void> {
  const square = memoize(
    async (x: number) => {
      say(`start ${x} ${process.pid}`);
      await sleep(20 + (x % 4) * 15);
      return memoResult(x);
    },
    { store: createMemoStore(backend), name: 'square', params: ['x'], leaseMs },
  );
  const xs = Array.from({ length: count }, (_, i) => first + i).sort(() => Math.random() - 0.5);
  for (const x of xs) {
    const result = await square(x);
    if (!isDeepStrictEqual(result, memoResult(x))) throw new Error(`wrong result for ${x}: ${JSON.stringify(result)}`);
    say(`returned ${x} ${process.pid}`);
  }
}

/**
 * Puts values of a drifting pool, each named by a key of its own (a root of gc) or by a
 * call record, and drops its oldest names as it goes, so the nodes of those values turn
 * into garbage that later puts reuse.
 */
async function putValues(graceMs: number): Promise<never> {
  const values = new ValueStore({ backend, gcGraceMs: graceMs });
  const calls = new CallStore({ backend });
  const named: { id: string; call: boolean }[] = [];
  for (let t = 0; ; t++) {
    // Mostly values of the last half second; one in five from up to 10 s back, often garbage by then.
    const now = Math.floor(Date.now() / 50);
    const v = now - (Math.random() < 0.2 ? Math.floor(Math.random() * 200) : Math.floor(Math.random() * 10));
    const key = aliasOf(`${process.pid} ${t}`);
    if (t % 2 === 0) {
      await values.put(poolValue(v), { key });
      named.push({ id: key, call: false });
      say(`key ${key} ${v}`);
    } else {
      const startedAt = Date.now();
      const result = await values.put(poolValue(v));
      const id = await calls.save({ fn: 'f', version: '1', args: { t: key }, result, startedAt, durationMs: 0 });
      named.push({ id, call: true });
      say(`call ${id} ${v}`);
    }
    if (named.length > 3) {
      const oldest = named.shift() as { id: string; call: boolean };
      say(`drop ${oldest.id}`);
      await (oldest.call ? calls.delete(oldest.id) : values.delete(oldest.id));
    }
    await sleep(Math.random() * 10);
  }
}

/** Collects garbage over and over, with the roots `stowage gc` uses: what call records name. */
async function collect(graceMs: number): Promise<never> {
  const values = new ValueStore({ backend, gcGraceMs: graceMs });
  const calls = new CallStore({ backend });
  for (;;) {
    // As `stowage gc` passes them: read after gc's grace clock starts.
    const roots = (async function* () {
      for await (const call of calls.query()) {
        if (call.result) yield call.result;
        yield* Object.values(call.args);
      }
    })();
    const report = await values.gc({ roots });
    say(`gc ${report.removed}`);
  }
}

/** Writes self-verifying values through a tiered store, large ones (chunked) now and then. */
async function writeTiered(start: number): Promise<never> {
  for (let gen = start; ; gen++) {
    const key = `k${gen % 4}`;
    await backend.put(key, makeValue(gen, gen % 4 === 0 ? 64 * 1024 : 300));
    say(`ack ${key} ${gen}`);
    if (gen === start) ready();
  }
}

const run: Record<string, () => Promise<unknown>> = {
  results: () => saveResults(Number(args[0])),
  dict: () => updateDict(args[0] as string),
  memoize: () => callMemoized(Number(args[0]), Number(args[1]), Number(args[2])),
  put: () => putValues(Number(args[0])),
  gc: () => collect(Number(args[0])),
  tiered: () => writeTiered(Number(args[0])),
};
if (scenario !== 'results' && scenario !== 'tiered') ready();
await (run[scenario] as () => Promise<unknown>)();
// Done before the kill (memoize): stay alive, so the test's kill still ends this process.
setInterval(() => undefined, 1000);
