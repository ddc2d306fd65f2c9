import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a TypeScript worker in `n` child processes and returns their parsed stdout. */
export async function runWorkers(script: string, args: string[], n: number): Promise<unknown[]> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const runs = Array.from(
    { length: n },
    () =>
      new Promise<unknown>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('error', reject);
        child.on('exit', (code) => {
          if (code === 0) resolve(JSON.parse(out));
          else reject(new Error(`worker exited with ${code}: ${err}`));
        });
      }),
  );
  return Promise.all(runs);
}
