// Model-based tests of the backend contract: random operation sequences run against every
// backend and an in-memory model side by side, shrunk to a minimal failing sequence.
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { Backend } from '../../src/index.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { opArb, runAgainstModel } from './contract-model.ts';
import { recordFigure, size } from './figures.ts';
import { modelTargets } from './model-targets.ts';
import { checkProperty, SEED } from './seeded.ts';

afterAll(removeTempDirs);

const RUNS = size(300, 12);
const MAX_OPS = size(60, 25);
const SERVER_RUNS = size(150, 6);

describe('model-based: the backend contract against an in-memory model', async () => {
  for (const target of await modelTargets()) {
    it.skipIf(target.skip !== undefined)(
      `${target.name}: random sequences agree with the model`,
      async () => {
        const open: { store: Backend & { drop?(): Promise<void> } } = { store: await target.open() };
        const runs = ['memory', 'fs', 'sqlite', 'lmdb'].includes(target.name) ? RUNS : SERVER_RUNS;
        let sequences = 0;
        let operations = 0;
        try {
          await checkProperty(
            `model ${target.name}`,
            fc.asyncProperty(
              fc.array(opArb(target.reopens), { minLength: 1, maxLength: MAX_OPS, size: 'max' }),
              async (ops) => {
                await open.store.clear();
                sequences++;
                operations += ops.length;
                await runAgainstModel(open, ops);
              },
            ),
            runs,
          );
        } finally {
          await open.store.drop?.();
          await open.store.close();
        }
        recordFigure(
          'Model-based contract tests',
          `${target.name}: sequences / operations`,
          `${sequences} / ${operations}`,
          `anomalies: 0; put (plain, ifMatch, ifAbsent, attrs), get, stat, delete (plain, ifMatch), list (prefix, recursive, after, limit, where, keys only), getMany, putMany, deleteMany, clear, close-and-reopen; seed ${SEED}`,
        );
      },
      600_000,
    );
  }
});
