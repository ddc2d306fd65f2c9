import fc from 'fast-check';

/**
 * The seed of this run's fast-check properties: `STOWAGE_SEED` to replay a printed one,
 * else a fresh one, printed so that any failure can be reproduced.
 */
export const SEED = process.env.STOWAGE_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.STOWAGE_SEED);

/** Runs a property with the printed seed; the failure message names the seed and the shrunk case. */
export async function checkProperty<T>(label: string, property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  console.log(`${label}: fast-check seed ${SEED} (replay with STOWAGE_SEED=${SEED}), ${numRuns} runs`);
  await fc.assert(property, { seed: SEED, numRuns, endOnFailure: false });
}
