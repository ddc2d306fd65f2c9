import { afterAll, describe, expect, it } from 'vitest';
import { runWorkers } from '../conformance/run-workers.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { removeTempDirs } from '../helpers/temp-dir.ts';
import { recordFigure, size } from './figures.ts';
import { multiProcessTargets } from './servers.ts';

afterAll(removeTempDirs);

const WORKERS = size(8, 3);
const INCREMENTS = size(500, 40);

describe('lost updates across processes', async () => {
  for (const target of await multiProcessTargets()) {
    it.skipIf(target.skip !== undefined)(
      `${target.name}: ${WORKERS} processes x ${INCREMENTS} ETag-guarded increments`,
      async () => {
        const store = await target.open();
        await store.put('counter', bytes('0'));
        const started = Date.now();
        const results = (await runWorkers(
          './increment-worker.ts',
          [JSON.stringify(store.toConfig()), 'counter', String(INCREMENTS)],
          WORKERS,
        )) as {
          conflicts: number;
        }[];
        const final = Number(text((await store.get('counter'))?.value));
        const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
        expect(final).toBe(WORKERS * INCREMENTS);
        recordFigure(
          'Lost updates',
          `${target.name}: final value after ${WORKERS} x ${INCREMENTS} increments`,
          final,
          `expected ${WORKERS * INCREMENTS}; ${conflicts} conflicts retried; ${Date.now() - started} ms`,
        );
        await store.drop?.();
        await store.close();
      },
      600_000,
    );
  }
});
