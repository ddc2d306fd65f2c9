import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { ResultStore } from '../../results/result-store.ts';
import { EXISTING, type Globals, globals, withStore } from '../command-context.ts';
import { formatBytes, printJson, printTable } from '../output.ts';

type ResultGlobals = Globals & { prefix: string };

/** Registers `results ls|show|export`, over the ResultStore under `--prefix`. */
export function registerResultCommands(program: Command): void {
  const results = program
    .command('results')
    .description('optimisation results (ResultStore)')
    .option('--prefix <prefix>', 'result store prefix', 'results');

  results
    .command('ls')
    .argument('[prefix]', "start of the result keys, e.g. run_ or experiments/ (OptiScope's list_results(prefix))")
    .description('list stored results with their metadata')
    .action(listResults);

  results
    .command('show')
    .argument('<key>', 'result key, e.g. experiments/zdt1')
    .description('metadata of a result and the sizes of its sets')
    .action(showResult);

  results
    .command('export')
    .argument('<key>', 'result key, e.g. experiments/zdt1')
    .description('export a result or one set as json or csv')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .option('--set <name>', 'only this set')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(exportResult);
}

async function listResults(prefix: string | undefined, _opts: unknown, command: Command) {
  const g = globals(command) as ResultGlobals;
  await withStore(g.store as string, EXISTING, async (store) => {
    const rs = new ResultStore({ backend: store, prefix: g.prefix });
    const rows = [];
    for (const key of await rs.list(prefix)) rows.push(await rs.getMetadata(key));
    if (g.json) printJson(rows);
    else
      printTable(
        rows.map((m) => ({ ...m, sizeBytes: formatBytes(m.sizeBytes) })),
        ['key', 'nSets', 'nPoints', 'sizeBytes', 'modifiedAt'],
      );
  });
}

async function showResult(key: string, _opts: unknown, command: Command) {
  const g = globals(command) as ResultGlobals;
  await withStore(g.store as string, EXISTING, async (store) => {
    const rs = new ResultStore({ backend: store, prefix: g.prefix });
    const meta = await rs.getMetadata(key);
    const sets = [];
    for (const name of await rs.listSets(key)) {
      const set = await rs.loadSet(key, name);
      sets.push({ set: name, points: set.nPoints, columns: set.columnNames.join(', ') });
    }
    if (g.json) return printJson({ ...meta, sets });
    printTable([{ ...meta }], ['key', 'nSets', 'nPoints', 'sizeBytes', 'createdAt', 'modifiedAt', 'custom']);
    process.stdout.write('\n');
    printTable(sets, ['set', 'points', 'columns']);
  });
}

async function exportResult(
  key: string,
  opts: { format: 'json' | 'csv'; set?: string; out?: string },
  command: Command,
) {
  const g = globals(command) as ResultGlobals;
  await withStore(g.store as string, EXISTING, async (store) => {
    const text = await new ResultStore({ backend: store, prefix: g.prefix }).export(key, {
      format: opts.format,
      set: opts.set,
    });
    if (opts.out) await writeFile(opts.out, text);
    else process.stdout.write(`${text}\n`);
  });
}
