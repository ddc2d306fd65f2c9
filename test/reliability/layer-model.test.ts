// Model-based tests of the layers: random command sequences run through PersiDict and
// ResultStore on each backend and against in-memory models side by side, shrunk to a
// minimal failing sequence.
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { Backend } from '../../src/index.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { dictOpArb, runDictAgainstModel } from './dict-model.ts';
import { FULL, recordFigure, size } from './figures.ts';
import { type ModelTarget, modelTargets } from './model-targets.ts';
import { resultsOpArb, runResultsAgainstModel } from './results-model.ts';
import { checkProperty, SEED } from './seeded.ts';

afterAll(removeTempDirs);

const AREA = 'Model-based tests of the layers';
const DICT_RUNS = size(300, 25);
const DICT_OPS = size(60, 30);
const RESULT_RUNS = size(200, 15);
const RESULT_OPS = size(40, 20);
const SERVER_SHARE = 2;

// The embedded backends always; PostgreSQL at full size only (a server round trip per step).
async function layerTargets(): Promise<ModelTarget[]> {
  const all = await modelTargets();
  return all
    .filter((t) => ['memory', 'fs', 'sqlite', 'postgres'].includes(t.name))
    .map((t) => (t.name === 'postgres' && !FULL ? { ...t, skip: t.skip ?? 'PostgreSQL at full size only' } : t));
}

type Store = Backend & { drop?(): Promise<void> };

// Runs random sequences of `arb` commands on a target's backend, cleared before each one;
// drops and closes the backend after. Resolves how many sequences and commands ran.
async function runSequences<Op>(
  target: ModelTarget,
  label: string,
  arb: fc.Arbitrary<Op>,
  maxOps: number,
  runs: number,
  run: (target: { backend: Store }, ops: Op[]) => Promise<void>,
): Promise<{ sequences: number; operations: number }> {
  const open: { backend: Store } = { backend: await target.open() };
  let sequences = 0;
  let operations = 0;
  try {
    await checkProperty(
      `${label} on ${target.name}`,
      fc.asyncProperty(fc.array(arb, { minLength: 1, maxLength: maxOps, size: 'max' }), async (ops) => {
        await open.backend.clear();
        sequences++;
        operations += ops.length;
        await run(open, ops);
      }),
      target.name === 'postgres' ? Math.ceil(runs / SERVER_SHARE) : runs,
    );
  } finally {
    await open.backend.drop?.();
    await open.backend.close();
  }
  return { sequences, operations };
}

describe('model-based: PersiDict and ResultStore against in-memory models', async () => {
  const targets = await layerTargets();
  for (const target of targets) {
    it.skipIf(target.skip !== undefined)(
      `PersiDict on ${target.name}: random sequences agree with the model`,
      async () => {
        const refusals = { count: 0 };
        const { sequences, operations } = await runSequences(
          target,
          'PersiDict model',
          dictOpArb(target.reopens),
          DICT_OPS,
          DICT_RUNS,
          (open, ops) => runDictAgainstModel(open, ops, refusals),
        );
        recordFigure(
          AREA,
          `PersiDict on ${target.name}: sequences / operations`,
          `${sequences} / ${operations}`,
          `anomalies: 0; set (values, KEEP_CURRENT, DELETE_CURRENT), get, getOrDefault, has, etag, delete, discard, pop, setDefault, setIfAbsent, setIfMatch, deleteIfMatch, update (bump, keep, delete, set), keys / values / entries / size (prefix, sorted), newest / oldest keys and values, clear, close-and-reopen; through a plain dict, an append-only one on the same keys (${refusals.count} refusals checked, each a MutationPolicyError that changed nothing) and a msgpack one beside them; seed ${SEED}`,
        );
      },
      600_000,
    );

    it.skipIf(target.skip !== undefined)(
      `ResultStore on ${target.name}: random sequences agree with the model`,
      async () => {
        const { sequences, operations } = await runSequences(
          target,
          'ResultStore model',
          resultsOpArb(target.reopens),
          RESULT_OPS,
          RESULT_RUNS,
          runResultsAgainstModel,
        );
        recordFigure(
          AREA,
          `ResultStore on ${target.name}: sequences / operations`,
          `${sequences} / ${operations}`,
          `anomalies: 0; save (overwrite, metadata, mergeMetadata), saveSet, deleteSet, loadSet (column and row slices), load, rename, delete, clear (text prefix), list, exists, listSets, getMetadata (sizeBytes equal to the bytes of the result's entries), updateMetadata, close-and-reopen; through a binary store, a columns store (160-byte chunks) on the same keys and a session of it (keys under run_1); no entry left that belongs to no result; seed ${SEED}`,
        );
      },
      600_000,
    );
  }
});
