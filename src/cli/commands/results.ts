import { type Command, Option } from 'commander';
import { ResultStore } from '../../results/result-store.ts';
import { formatBytes } from '../../ui/byte-count.ts';
import { CREATE, EXISTING, type Globals, globals, withStore } from '../command-context.ts';
import { writeLocalFile } from '../local-files.ts';
import { printJson, printTable } from '../output.ts';
import { UsageError } from '../usage-error.ts';

type ResultGlobals = Globals & { prefix: string };

/** Registers `results ls|show|export|import`, over the ResultStore under `--prefix`. */
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
    .description('export a result or one set as json or csv, or a whole result as plain files (--dir)')
    .addOption(
      new Option('-f, --format <format>', 'output format (with --dir: of the set files, default csv)').choices([
        'json',
        'csv',
      ]),
    )
    .option('--set <name>', 'only this set')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--dir <dir>', 'write metadata.json, result.json and sets/<name>.csv (or .json) into this folder')
    .action(exportResult);

  results
    .command('import')
    .argument('<dir>', 'a folder written by `results export --dir`')
    .argument('[key]', 'store the result under this key (default: the key it was exported from)')
    .option('--overwrite', 'replace a result already stored under the key')
    .description('import a result from a folder of plain files')
    .action(importResult);
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
  opts: { format?: 'json' | 'csv'; set?: string; out?: string; dir?: string },
  command: Command,
) {
  const g = globals(command) as ResultGlobals;
  if (opts.dir !== undefined && (opts.set !== undefined || opts.out !== undefined)) {
    throw new UsageError('--dir writes the whole result: it does not go with --set or --out');
  }
  await withStore(g.store as string, EXISTING, async (store) => {
    const results = new ResultStore({ backend: store, prefix: g.prefix });
    if (opts.dir !== undefined) {
      await results.exportDirectory(key, opts.dir, { format: opts.format ?? 'csv' });
      if (g.json) printJson({ key, dir: opts.dir });
      else process.stdout.write(`exported ${key} to ${opts.dir}\n`);
      return;
    }
    const text = await results.export(key, { format: opts.format ?? 'json', set: opts.set });
    if (opts.out) await writeLocalFile(opts.out, text);
    else process.stdout.write(`${text}\n`);
  });
}

async function importResult(dir: string, key: string | undefined, opts: { overwrite?: boolean }, command: Command) {
  const g = globals(command) as ResultGlobals;
  await withStore(g.store as string, CREATE, async (store) => {
    const results = new ResultStore({ backend: store, prefix: g.prefix });
    const stored = await results.importDirectory(dir, { key, overwrite: opts.overwrite ?? false });
    if (g.json) printJson({ key: stored, dir });
    else process.stdout.write(`imported ${stored} from ${dir}\n`);
  });
}
