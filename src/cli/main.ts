#!/usr/bin/env node
import '../builtin-stores.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { CallStore } from '../cas/call-store.ts';
import { ValueStore } from '../cas/value-store.ts';
import type { Backend } from '../core/backend.ts';
import { decodeValue, encodeValue, getCodec } from '../core/codecs/index.ts';
import { NotFoundError, OperationError, StorageError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { openBackend } from '../core/registry.ts';
import { ResultStore } from '../results/result-store.ts';
import { type SyncDirection, syncTiers } from '../tiered/sync.ts';
import { registerUiCommand } from './commands/ui.ts';
import { copyEntries } from './copy.ts';
import { formatBytes, printJson, printTable } from './output.ts';

/** The store used when neither `--store` nor `STOWAGE_URL` is given. */
export const DEFAULT_STORE = 'sqlite:./.stowage/store.sqlite';

class UsageError extends Error {}

interface Globals {
  store?: string;
  json?: boolean;
  verbose?: boolean;
}

const program = new Command('stowage')
  .description(
    'Inspect, copy, sync and clean any stowage store. Stores are URLs: sqlite:./db.sqlite, file:./dir, postgres://..., redis://...',
  )
  .addOption(new Option('-s, --store <url>', 'store URL').env('STOWAGE_URL').default(DEFAULT_STORE))
  .option('--json', 'machine-readable output')
  .option('-v, --verbose', 'show stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

function globals(command: Command): Globals {
  return command.optsWithGlobals() as Globals;
}

async function withStore<T>(url: string, fn: (store: Backend) => Promise<T>): Promise<T> {
  const store = await openBackend(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function metaRow(
  key: string,
  meta: { size: number; modifiedAt: number; etag: string; attrs: JsonObject; createdAt?: number },
) {
  return {
    key,
    size: meta.size,
    modified: new Date(meta.modifiedAt).toISOString(),
    etag: meta.etag,
    attrs: meta.attrs,
  };
}

program
  .command('ls')
  .description('list keys under a prefix (one level unless --recursive)')
  .argument('[prefix]', 'key prefix, e.g. runs/exp-1', '')
  .option('-r, --recursive', 'list every key at any depth')
  .option('-l, --long', 'show size, modified time, etag and attrs')
  .action(async (prefix: string, opts: { recursive?: boolean; long?: boolean }, command: Command) => {
    const g = globals(command);
    await withStore(g.store as string, async (store) => {
      const rows: ReturnType<typeof metaRow>[] = [];
      const seen = new Set<string>();
      const depth = prefix === '' ? 0 : prefix.split('/').length;
      for await (const { key, meta } of store.list(prefix)) {
        if (!opts.recursive && key.length > depth + 1) {
          const dir = `${key.slice(0, depth + 1).join('/')}/`;
          if (!seen.has(dir)) rows.push({ key: dir, size: 0, modified: '', etag: '', attrs: {} });
          seen.add(dir);
          continue;
        }
        rows.push(metaRow(key.join('/'), meta));
      }
      if (g.json) printJson(rows);
      else if (opts.long) printTable(rows, ['key', 'size', 'modified', 'etag', 'attrs']);
      else for (const r of rows) process.stdout.write(`${r.key}\n`);
    });
  });

program
  .command('get')
  .description('print a value (raw bytes, or decoded with --codec)')
  .argument('<key>')
  .option('-c, --codec <name>', 'decode with json, msgpack, v8, text (+gzip/+brotli)')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (key: string, opts: { codec?: string; out?: string }, command: Command) => {
    const g = globals(command);
    await withStore(g.store as string, async (store) => {
      const hit = await store.get(key);
      if (!hit) throw new NotFoundError('No such key', { key, backend: store.label });
      let out: Uint8Array | string = hit.value;
      if (opts.codec) {
        const value = decodeValue(getCodec(opts.codec), hit.value, { key, backend: store.label });
        out =
          typeof value === 'string'
            ? `${value}\n`
            : `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`;
      }
      if (opts.out) await writeFile(opts.out, out);
      else process.stdout.write(out);
    });
  });

async function readInput(file: string | undefined): Promise<Uint8Array> {
  if (file && file !== '-') return readFile(file);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

program
  .command('put')
  .description('store a file or stdin under a key (raw bytes, or JSON text encoded with --codec)')
  .argument('<key>')
  .argument('[file]', 'file to read, or - for stdin', '-')
  .option('-c, --codec <name>', 'parse the input as JSON and encode it with this codec')
  .option('--if-match <etag>', 'write only if the current ETag is this one')
  .option('--if-absent', 'write only if the key does not exist')
  .option('--attrs <json>', 'attributes to store with the value, as a JSON object')
  .action(
    async (
      key: string,
      file: string,
      opts: { codec?: string; ifMatch?: string; ifAbsent?: boolean; attrs?: string },
      command: Command,
    ) => {
      const g = globals(command);
      let attrs: JsonObject | undefined;
      try {
        attrs = opts.attrs ? (JSON.parse(opts.attrs) as JsonObject) : undefined;
      } catch {
        throw new UsageError('--attrs must be a JSON object');
      }
      let bytes = await readInput(file);
      if (opts.codec) {
        const codec = getCodec(opts.codec);
        const text = new TextDecoder().decode(bytes);
        let value: unknown = text;
        if (codec.name.split('+')[0] !== 'text') {
          try {
            value = JSON.parse(text);
          } catch {
            throw new UsageError(`With --codec ${opts.codec} the input must be JSON`);
          }
        }
        bytes = encodeValue(codec, value, { key });
      }
      await withStore(g.store as string, async (store) => {
        const meta = await store.put(key, bytes, { ifMatch: opts.ifMatch, ifAbsent: opts.ifAbsent, attrs });
        if (g.json) printJson({ key, ...meta });
        else process.stdout.write(`${key}  ${formatBytes(meta.size)}  etag ${meta.etag}\n`);
      });
    },
  );

program
  .command('rm')
  .description('delete a key, or everything under --prefix (needs --yes)')
  .argument('[key]')
  .option('-p, --prefix <prefix>', 'delete every key under this prefix')
  .option('-y, --yes', 'confirm deleting a prefix')
  .action(async (key: string | undefined, opts: { prefix?: string; yes?: boolean }, command: Command) => {
    const g = globals(command);
    if ((key === undefined) === (opts.prefix === undefined)) throw new UsageError('give either a key or --prefix');
    if (opts.prefix !== undefined && !opts.yes)
      throw new UsageError(`refusing to delete everything under '${opts.prefix}' without --yes`);
    await withStore(g.store as string, async (store) => {
      const removed =
        opts.prefix !== undefined ? await store.clear(opts.prefix) : (await store.delete(key as string)) ? 1 : 0;
      if (key !== undefined && removed === 0) throw new NotFoundError('No such key', { key, backend: store.label });
      if (g.json) printJson({ removed });
      else process.stdout.write(`removed ${removed}\n`);
    });
  });

program
  .command('stat')
  .description('show a key’s metadata without reading its value')
  .argument('<key>')
  .action(async (key: string, _opts: unknown, command: Command) => {
    const g = globals(command);
    await withStore(g.store as string, async (store) => {
      const meta = await store.stat(key);
      if (!meta) throw new NotFoundError('No such key', { key, backend: store.label });
      const row = {
        key,
        ...meta,
        created: new Date(meta.createdAt).toISOString(),
        modified: new Date(meta.modifiedAt).toISOString(),
      };
      if (g.json) printJson(row);
      else printTable([row], ['key', 'size', 'created', 'modified', 'etag', 'checksum', 'attrs']);
    });
  });

program
  .command('info')
  .description('counts, bytes, location and capabilities of the store (never a password)')
  .action(async (_opts: unknown, command: Command) => {
    const g = globals(command);
    await withStore(g.store as string, async (store) => {
      const info = await store.info();
      if (g.json) return printJson(info);
      printTable(
        [{ type: info.type, location: info.location, entries: info.entries, bytes: formatBytes(info.bytes) }],
        ['type', 'location', 'entries', 'bytes'],
      );
      const caps = Object.entries(info.capabilities).map(([capability, value]) => ({ capability, value }));
      process.stdout.write('\n');
      printTable(caps, ['capability', 'value']);
    });
  });

let stopRequested = false;

program
  .command('cp')
  .description('copy entries from one store to another (batched, resumable, Ctrl-C stops cleanly)')
  .argument('<src>', 'source store URL')
  .argument('<dst>', 'destination store URL')
  .option('-p, --prefix <prefix>', 'only keys under this prefix')
  .option('--overwrite', 'rewrite entries the destination already has with the same content')
  .action(async (src: string, dst: string, opts: { prefix?: string; overwrite?: boolean }, command: Command) => {
    const g = globals(command);
    await withStore(src, (source) =>
      withStore(dst, async (target) => {
        process.once('SIGINT', () => {
          stopRequested = true;
        });
        const report = await copyEntries(source, target, {
          prefix: opts.prefix,
          overwrite: opts.overwrite,
          progress: process.stderr.isTTY && !g.json,
          shouldStop: () => stopRequested,
        });
        if (g.json) printJson(report);
        else
          process.stdout.write(
            `copied ${report.copied}, skipped ${report.skipped}, ${formatBytes(report.bytes)}${report.interrupted ? ' (interrupted: run again to resume)' : ''}\n`,
          );
        if (report.interrupted) process.exitCode = 1;
      }),
    );
  });

program
  .command('sync')
  .description('make two stores agree (newer modifiedAt wins when bidirectional)')
  .argument('<a>', 'first store URL (the "primary")')
  .argument('<b>', 'second store URL (the "secondary")')
  .addOption(
    new Option('-d, --direction <direction>', 'which way to copy')
      .choices(['a-to-b', 'b-to-a', 'both'])
      .default('a-to-b'),
  )
  .option('-p, --prefix <prefix>', 'only keys under this prefix')
  .option('--dry-run', 'count what would be copied, copy nothing')
  .action(
    async (a: string, b: string, opts: { direction: string; prefix?: string; dryRun?: boolean }, command: Command) => {
      const g = globals(command);
      const direction: SyncDirection =
        opts.direction === 'both'
          ? 'bidirectional'
          : opts.direction === 'b-to-a'
            ? 'secondaryToPrimary'
            : 'primaryToSecondary';
      await withStore(a, (first) =>
        withStore(b, async (second) => {
          const report = await syncTiers(first, second, { direction, prefix: opts.prefix, dryRun: opts.dryRun });
          const summary = {
            copied: report.copied,
            skipped: report.skipped,
            conflicts: report.conflicts,
            errors: report.errors,
            dryRun: opts.dryRun ?? false,
          };
          if (g.json)
            printJson({ ...summary, failures: report.failures.map((f) => ({ key: f.key, error: f.error.message })) });
          else
            process.stdout.write(
              `${opts.dryRun ? 'would copy' : 'copied'} ${report.copied}, skipped ${report.skipped}, conflicts ${report.conflicts}, errors ${report.errors}\n`,
            );
          if (report.errors > 0) process.exitCode = 1;
        }),
      );
    },
  );

program
  .command('gc')
  .description('remove content-addressed values no call record refers to')
  .option('--dry-run', 'report without deleting')
  .option('--prefix <prefix>', 'prefix of the value and call stores', 'cas')
  .action(async (opts: { dryRun?: boolean; prefix: string }, command: Command) => {
    const g = globals(command);
    await withStore(g.store as string, async (store) => {
      const roots = new Set<string>();
      for await (const call of new CallStore({ backend: store, prefix: opts.prefix }).query()) {
        if (call.result) roots.add(call.result);
        for (const d of Object.values(call.args)) roots.add(d);
      }
      const report = await new ValueStore({ backend: store, prefix: opts.prefix }).gc({ roots, dryRun: opts.dryRun });
      if (g.json) printJson(report);
      else
        process.stdout.write(
          `${report.dryRun ? 'would remove' : 'removed'} ${report.removed} values (${formatBytes(report.bytesFreed)}), kept ${report.kept}\n`,
        );
    });
  });

for (const name of ['compact', 'vacuum']) {
  program
    .command(name)
    .description('reclaim space: orphaned temp files and empty directories (fs), VACUUM (SQL)')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command);
      await withStore(g.store as string, async (store) => {
        const engine = store as Backend & Partial<{ compact(): Promise<unknown>; vacuum(): Promise<unknown> }>;
        if (!engine.compact && !engine.vacuum) throw new OperationError(`${store.label} has nothing to compact`);
        const report = engine.compact ? await engine.compact() : await engine.vacuum?.();
        if (g.json) printJson(report ?? { ok: true });
        else process.stdout.write(`${report ? JSON.stringify(report) : 'done'}\n`);
      });
    });
}

const results = program
  .command('results')
  .description('optimisation results (ResultStore)')
  .option('--prefix <prefix>', 'result store prefix', 'results');

results
  .command('ls')
  .argument('[prefix]', 'result key prefix')
  .description('list stored results with their metadata')
  .action(async (prefix: string | undefined, _opts: unknown, command: Command) => {
    const g = globals(command) as Globals & { prefix: string };
    await withStore(g.store as string, async (store) => {
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
  });

results
  .command('show')
  .argument('<key>')
  .description('metadata of a result and the sizes of its sets')
  .action(async (key: string, _opts: unknown, command: Command) => {
    const g = globals(command) as Globals & { prefix: string };
    await withStore(g.store as string, async (store) => {
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
  });

results
  .command('export')
  .argument('<key>')
  .description('export a result or one set as json or csv')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['json', 'csv']).default('json'))
  .option('--set <name>', 'only this set')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (key: string, opts: { format: 'json' | 'csv'; set?: string; out?: string }, command: Command) => {
    const g = globals(command) as Globals & { prefix: string };
    await withStore(g.store as string, async (store) => {
      const text = await new ResultStore({ backend: store, prefix: g.prefix }).export(key, {
        format: opts.format,
        set: opts.set,
      });
      if (opts.out) await writeFile(opts.out, text);
      else process.stdout.write(`${text}\n`);
    });
  });

const calls = program
  .command('calls')
  .description('memoised call records (CallStore)')
  .option('--prefix <prefix>', 'CAS prefix', 'cas');

function parseArgFilters(pairs: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--arg needs name=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    try {
      out[pair.slice(0, eq)] = JSON.parse(raw);
    } catch {
      out[pair.slice(0, eq)] = raw;
    }
  }
  return out;
}

for (const name of ['ls', 'query']) {
  calls
    .command(name)
    .description(name === 'ls' ? 'list call records' : 'find call records by function, version and argument values')
    .option('--fn <name>', 'function name')
    .option('--version <version>', 'function version')
    .option('--arg <name=value...>', 'argument value (JSON or text); omitted arguments match anything')
    .action(async (opts: { fn?: string; version?: string; arg?: string[] }, command: Command) => {
      const g = globals(command) as Globals & { prefix: string };
      const args = parseArgFilters(opts.arg);
      await withStore(g.store as string, async (store) => {
        const rows = [];
        for await (const call of new CallStore({ backend: store, prefix: g.prefix }).query({
          fn: opts.fn,
          version: opts.version,
          args,
        })) {
          rows.push({
            id: call.id.slice(0, 12),
            fn: call.fn,
            version: call.version,
            result: call.result?.slice(0, 12) ?? call.error?.message,
            ms: call.durationMs,
            started: new Date(call.startedAt).toISOString(),
            args: call.args,
          });
        }
        if (g.json) printJson(rows);
        else printTable(rows, ['id', 'fn', 'version', 'result', 'ms', 'started']);
      });
    });
}

registerUiCommand(program);

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
        return 0;
      return 2;
    }
    const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');
    if (error instanceof UsageError) {
      process.stderr.write(`stowage: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof StorageError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`stowage: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
