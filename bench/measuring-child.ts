import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs `script --child ...args` in a fresh Node process (with `--expose-gc`, so it can
 * settle its own baseline) and returns the JSON its last stdout line holds. Scenarios whose
 * figure is a peak RSS measure each engine this way, apart from the parent's memory.
 */
export async function runMeasuringChild<T>(script: string, label: string, args: readonly string[]): Promise<T> {
  const proc = spawn(process.execPath, [...process.execArgv, '--expose-gc', script, '--child', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`${label}: the measuring process exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}
