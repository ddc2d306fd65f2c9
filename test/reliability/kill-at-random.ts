import { spawn } from 'node:child_process';

const STUCK_MS = 300_000;

/** Spawns a worker under tsx; what it printed, once it has ended. */
function runWorker(
  worker: string,
  args: readonly string[],
  onReady: (kill: () => void) => void,
): Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.once('data', () => onReady(() => child.kill('SIGKILL')));
    // A worker that never gets going is not left behind when the test gives up on it.
    const stuck = setTimeout(() => {
      stderr += `\nno end after ${STUCK_MS} ms: killed`;
      child.kill('SIGKILL');
      reject(new Error(`worker ${worker} stuck: ${stderr}`));
    }, STUCK_MS);
    child.on('error', reject);
    // 'close', not 'exit': every line the worker wrote before it died has been read.
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      resolve({ stdout, stderr, code, signal });
    });
  });
}

/**
 * Runs a worker and SIGKILLs it `killAfterMs()` after its first line of output (its
 * "ready"), so the kill lands inside its writing loop. Resolves everything it printed;
 * rejects when it ended any other way (its stderr says why).
 */
export async function runAndKill(
  worker: string,
  args: readonly string[],
  killAfterMs: () => number = () => 20 + Math.random() * 230,
): Promise<string> {
  const run = await runWorker(worker, args, (kill) => setTimeout(kill, killAfterMs()));
  if (run.signal !== 'SIGKILL') throw new Error(`worker ended without being killed: ${run.stderr}`);
  return run.stdout;
}

/** Runs a worker to its end (no kill); resolves its output, rejects on a non-zero exit. */
export async function runToEnd(worker: string, args: readonly string[]): Promise<string> {
  const run = await runWorker(worker, args, () => undefined);
  if (run.code !== 0) throw new Error(`worker failed (${run.signal ?? run.code}): ${run.stderr}`);
  return run.stdout;
}
