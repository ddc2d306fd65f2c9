import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built binary, as `npm install stowage` installs it (compiled by the global setup). */
export const CLI_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What a run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly raw: Buffer;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** Bytes for stdin; `undefined` closes stdin at once (as in CI or cron). */
  input?: string | Buffer | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
}

/** Runs `stowage ...args` (the built binary) in a child process; STOWAGE_URL is cleared unless given. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, STOWAGE_URL: '', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const raw = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: raw.toString(), stderr, raw });
    });
    child.stdin.end(options.input ?? '');
  });
}
