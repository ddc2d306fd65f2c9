import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeValue, encodeValue, getCodec } from '../../core/codecs/index.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/json.ts';
import { formatBytes } from '../../ui/byte-count.ts';
import { byteProgress, countedPieces, countedStream } from '../byte-progress.ts';
import { CREATE, EXISTING, globals, withStore } from '../command-context.ts';
import { readLocalFile, readLocalFileStream, writeLocalFile, writeLocalStream } from '../local-files.ts';
import { attrsOption, codecOption } from '../option-values.ts';
import { printJson, printTable } from '../output.ts';
import { UsageError } from '../usage-error.ts';

const CODECS = 'json, msgpack, v8, text or raw, optionally +gzip, +brotli or +zstd';

/** Registers the commands on single entries of one store: `ls`, `get`, `put`, `rm`, `stat`. */
export function registerEntryCommands(program: Command): void {
  program
    .command('ls')
    .description('list keys under a prefix (one level unless --recursive)')
    .argument('[prefix]', 'key prefix, e.g. runs/exp-1 (default: the whole store)', '')
    .option('-r, --recursive', 'list every key at any depth')
    .option('-l, --long', 'show size, modified time, etag and attrs')
    .action(listKeys);

  program
    .command('get')
    .description('print a value (raw bytes, or decoded with --codec); exit code 3 when the key is absent')
    .argument('<key>', 'key to read, e.g. runs/exp-1')
    .option('-c, --codec <name>', `decode with this codec: ${CODECS}`, codecOption)
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(getValue);

  program
    .command('put')
    .description('store a value under a key: from a file, from stdin (-) or --value (creates the store if needed)')
    .argument('<key>', 'key to write, e.g. runs/exp-1')
    .argument('[file]', 'file to read, or - for stdin')
    .option('--value <text>', 'the value itself, as text')
    .option(
      '-c, --codec <name>',
      `parse the input as JSON (text for text) and encode it with this codec: ${CODECS}`,
      codecOption,
    )
    .option('--if-match <etag>', 'write only if the current ETag is this one')
    .option('--if-absent', 'write only if the key does not exist')
    .option('--attrs <json>', 'attributes to store with the value, as a JSON object', attrsOption)
    .option('--allow-empty', 'store an empty value read from stdin (refused otherwise, as a closed stdin gives one)')
    .addHelpText(
      'after',
      '\nThe value comes from exactly one of: a file, - (stdin), or --value.\n' +
        'Examples:\n  stowage put runs/a result.json\n  echo hi | stowage put notes/a -\n  stowage put runs/a --value \'{"best":0.1}\' --codec msgpack',
    )
    .action(putValue);

  program
    .command('rm')
    .description('delete a key (exit code 3 when absent), or everything under --prefix (needs --yes)')
    .argument('[key]', 'key to delete')
    .option('-p, --prefix <prefix>', 'delete every key under this prefix')
    .option('-y, --yes', 'confirm deleting a prefix')
    .action(removeKeys);

  program
    .command('stat')
    .description('show a key’s metadata without reading its value; exit code 3 when the key is absent')
    .argument('<key>', 'key to describe, e.g. runs/exp-1')
    .action(statKey);
}

async function listKeys(prefix: string, opts: { recursive?: boolean; long?: boolean }, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, EXISTING, async (store) => {
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
}

function metaRow(key: string, meta: { size: number; modifiedAt: number; etag: string; attrs: JsonObject }) {
  return {
    key,
    size: meta.size,
    modified: new Date(meta.modifiedAt).toISOString(),
    etag: meta.etag,
    attrs: meta.attrs,
  };
}

async function getValue(key: string, opts: { codec?: string; out?: string }, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, EXISTING, async (store) => {
    if (!opts.codec) {
      // Raw bytes stream chunk by chunk, so a value of any size prints in flat memory.
      const found = await store.getStream(key);
      if (!found) throw new NotFoundError('No such key', { key, backend: store.label });
      // A bar on stderr, unless the value itself goes to the terminal.
      const bar =
        g.json || (opts.out === undefined && process.stdout.isTTY) ? undefined : byteProgress('get', found.meta.size);
      try {
        await writeLocalStream(opts.out, bar ? countedStream(found.stream, bar) : found.stream);
      } finally {
        bar?.stop();
      }
      return;
    }
    const hit = await store.get(key);
    if (!hit) throw new NotFoundError('No such key', { key, backend: store.label });
    const value = decodeValue(getCodec(opts.codec), hit.value, { key, backend: store.label });
    const out =
      typeof value === 'string'
        ? `${value}\n`
        : `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? Object.fromEntries(v) : v), 2)}\n`;
    if (opts.out) await writeLocalFile(opts.out, out);
    else process.stdout.write(out);
  });
}

interface PutOptions {
  value?: string;
  codec?: string;
  ifMatch?: string;
  ifAbsent?: boolean;
  attrs?: JsonObject;
  allowEmpty?: boolean;
}

async function putValue(key: string, file: string | undefined, opts: PutOptions, command: Command) {
  const g = globals(command);
  if (!opts.codec && file !== undefined && opts.value === undefined) {
    await streamValue(key, file, opts, command);
    return;
  }
  let bytes = await readSource(file, opts);
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
  await withStore(g.store as string, CREATE, async (store) => {
    const meta = await store.put(key, bytes, { ifMatch: opts.ifMatch, ifAbsent: opts.ifAbsent, attrs: opts.attrs });
    if (g.json) printJson({ key, ...meta });
    else process.stdout.write(`${key}  ${formatBytes(meta.size)}  etag ${meta.etag}\n`);
  });
}

// Raw bytes from a file or stdin go through putStream: any size, in flat memory.
async function streamValue(key: string, file: string, opts: PutOptions, command: Command) {
  const g = globals(command);
  const source = file === '-' ? await stdinSource(opts) : await readLocalFileStream(file);
  const total =
    file === '-'
      ? undefined
      : await stat(file).then(
          (s) => s.size,
          () => undefined,
        );
  await withStore(g.store as string, CREATE, async (store) => {
    const bar = g.json ? undefined : byteProgress('put', total);
    const meta = await store
      .putStream(key, bar ? countedPieces(source, bar) : source, {
        ifMatch: opts.ifMatch,
        ifAbsent: opts.ifAbsent,
        attrs: opts.attrs,
      })
      .finally(() => bar?.stop());
    if (g.json) printJson({ key, ...meta });
    else process.stdout.write(`${key}  ${formatBytes(meta.size)}  etag ${meta.etag}\n`);
  });
}

// stdin as a stream, refused before anything is written when it is empty (closed) and
// --allow-empty was not given.
async function stdinSource(opts: PutOptions): Promise<AsyncIterable<Uint8Array>> {
  if (process.stdin.isTTY) process.stderr.write('stowage: reading the value from the terminal; end it with Ctrl-D\n');
  const pieces = process.stdin[Symbol.asyncIterator]();
  let first = await pieces.next();
  while (!first.done && (first.value as Buffer).length === 0) first = await pieces.next();
  if (first.done && !opts.allowEmpty) {
    throw new UsageError('stdin was empty (closed?); nothing stored. Add --allow-empty to store an empty value');
  }
  return (async function* () {
    if (first.done) return;
    yield first.value as Buffer;
    for (;;) {
      const next = await pieces.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  })();
}

// Exactly one source, said out loud: a bare `put KEY` used to wait on the terminal, and
// with stdin closed (CI, cron) stored an empty value without a word.
async function readSource(file: string | undefined, opts: PutOptions): Promise<Uint8Array> {
  if (file !== undefined && opts.value !== undefined) {
    throw new UsageError('give the value as a file, as - (stdin) or with --value, not two of them');
  }
  if (opts.value !== undefined) return new TextEncoder().encode(opts.value);
  if (file === undefined) {
    throw new UsageError('put needs a value: a file, - to read stdin, or --value <text>');
  }
  if (file !== '-') return readLocalFile(file);
  if (process.stdin.isTTY) process.stderr.write('stowage: reading the value from the terminal; end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0 && !opts.allowEmpty) {
    throw new UsageError('stdin was empty (closed?); nothing stored. Add --allow-empty to store an empty value');
  }
  return bytes;
}

async function removeKeys(key: string | undefined, opts: { prefix?: string; yes?: boolean }, command: Command) {
  const g = globals(command);
  if ((key === undefined) === (opts.prefix === undefined)) throw new UsageError('give either a key or --prefix');
  if (opts.prefix !== undefined && !opts.yes)
    throw new UsageError(`refusing to delete everything under '${opts.prefix}' without --yes`);
  await withStore(g.store as string, EXISTING, async (store) => {
    const removed =
      opts.prefix !== undefined ? await store.clear(opts.prefix) : (await store.delete(key as string)) ? 1 : 0;
    if (key !== undefined && removed === 0) throw new NotFoundError('No such key', { key, backend: store.label });
    if (g.json) printJson({ removed });
    else process.stdout.write(`removed ${removed}\n`);
  });
}

async function statKey(key: string, _opts: unknown, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, EXISTING, async (store) => {
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
}
