import { spawn } from 'node:child_process';
import { type Command, InvalidArgumentError } from 'commander';
import { startExplorer } from '../../ui/index.ts';

interface UiOptions {
  port?: number;
  host: string;
  write?: boolean;
  open?: boolean;
  resultsPrefix: string;
  casPrefix: string;
  json?: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port from 0 to 65535');
  return port;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`stowage: could not open a browser (${command}); open the URL above\n`));
  child.unref();
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Registers `stowage ui`: the web explorer over the stores given with `--store`
 * (repeatable: every `--store` of the command line is a store to show).
 */
export function registerUiCommand(program: Command): void {
  // The program owns --store (one value); the explorer shows every one given, so it listens for each.
  const stores: string[] = [];
  program.on('option:store', (value: string) => stores.push(value));
  program
    .command('ui')
    .description('browse existing stores in a local web app: keys, entries, results with plots, memoised calls, tiers')
    .option('--port <n>', 'port to listen on (default: any free port)', parsePort)
    .option('--host <host>', 'interface to listen on (loopback unless you say otherwise)', '127.0.0.1')
    .option('--write', 'allow editing attributes and deleting entries (read-only without it)')
    .option('--open', 'open the URL in the default browser')
    .option('--results-prefix <prefix>', 'prefix of the results (ResultStore)', 'results')
    .option('--cas-prefix <prefix>', 'prefix of memoised values and calls', 'cas')
    .addHelpText(
      'after',
      '\nGive --store once per store to show, e.g. a primary and its backup:\n' +
        '  stowage ui --store sqlite:./.stowage/results.sqlite --store file:./.stowage/results-backup\n' +
        'It prints a URL with an access token; every request needs it. Ctrl-C stops the server.',
    )
    .action(async (options: UiOptions, command: Command) => {
      const globals = command.optsWithGlobals() as UiOptions & { store: string };
      const urls = stores.length > 0 ? [...stores] : [globals.store];
      const explorer = await startExplorer({
        stores: urls,
        host: options.host,
        port: options.port,
        write: options.write ?? false,
        resultsPrefix: options.resultsPrefix,
        casPrefix: options.casPrefix,
        // A viewer opens what is there; a typo in a URL must not create an empty store.
        create: false,
      });
      // Listen for Ctrl-C before printing the URL: whoever reads it may stop us at once.
      const stopped = untilStopped();
      try {
        const mode = options.write ? 'read-write' : 'read-only';
        if (globals.json) process.stdout.write(`${JSON.stringify({ url: explorer.url, mode })}\n`);
        else process.stdout.write(`stowage explorer (${mode}): ${explorer.url}\nCtrl-C stops it.\n`);
        if (!LOOPBACK.has(options.host)) {
          process.stderr.write(
            `stowage: listening on ${options.host}, not loopback: anyone with the URL can read the stores\n`,
          );
        }
        if (options.open) openInBrowser(explorer.url);
        await stopped;
      } finally {
        await explorer.close();
      }
    });
}
