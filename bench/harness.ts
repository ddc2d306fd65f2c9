import { Bench } from 'tinybench';

/** One measured subject in one scenario. */
export interface Measurement {
  scenario: string;
  engine: string;
  subject: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  /** The slowest single call, where a scenario times every call (contention). */
  maxUs?: number;
  note?: string;
}

/** How long each task runs: `full` for the record, `quick` for a look, `tiny` for the harness test. */
export type Size = 'full' | 'quick' | 'tiny';

const TIME: Record<Size, number> = { full: 1500, quick: 250, tiny: 20 };

/**
 * Measures async tasks one after the other with tinybench (same process, same values),
 * returning ops/s and p50 / p99 latency in microseconds.
 */
export async function measure(
  size: Size,
  scenario: string,
  engine: string,
  tasks: Record<string, () => Promise<unknown> | unknown>,
): Promise<Measurement[]> {
  const bench = new Bench({ time: TIME[size], iterations: size === 'tiny' ? 3 : 20, warmup: size !== 'tiny' });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result as unknown as {
      latency?: { p50: number; p99: number };
      throughput?: { mean: number };
      error?: unknown;
    };
    if (result.error || !result.latency || !result.throughput) {
      throw new Error(`${scenario}/${engine}/${task.name} failed: ${String(result.error)}`);
    }
    return {
      scenario,
      engine,
      subject: task.name,
      opsPerSec: result.throughput.mean,
      p50Us: result.latency.p50 * 1000,
      p99Us: result.latency.p99 * 1000,
    };
  });
}

/** A 1 KB JSON object (the default value of the scenarios). */
export function sampleValue(i: number): { id: number; name: string; values: number[] } {
  return {
    id: i,
    name: `result-${i}`,
    values: Array.from({ length: 140 }, (_, j) => Math.round(((i * 31 + j * 7) % 1000) * 1.37 * 100) / 100),
  };
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
