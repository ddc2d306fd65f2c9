// Turns the figures recorded by `npm run test:reliability` into docs/reliability.md.
// With STOWAGE_REPORT_MERGE=1, only the sections whose figures were recorded are replaced
// (or added), each saying which command produced it; the other sections are kept as they
// are, so a partial run (some files in full mode) does not discard earlier figures.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const file = process.env.STOWAGE_FIGURES_FILE as string;
if (!file || !existsSync(file)) throw new Error('no figures recorded: run `npm run test:reliability`');
const figures = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { area: string; what: string; value: string | number; detail: string });
const areas = [...new Set(figures.map((f) => f.area))];
const merge = process.env.STOWAGE_REPORT_MERGE === '1' && existsSync('docs/reliability.md');
const command = process.env.STOWAGE_REPORT_COMMAND ?? 'npm run test:reliability';
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

// What a section's figures assert, when its table alone does not say it: written under the heading.
const NOTES: Record<string, string> = {
  'Crash safety in the layers (SIGKILL)':
    'Point 4 of issue 21 (`test/reliability/crash-layers.test.ts`): worker processes run one layer operation in a loop and are killed with SIGKILL at random moments; the store is then opened and checked. ' +
    '`ResultStore.save`: every result loads as one whole save (id, set names, every point and the metadata of one generation), never older than one seen before. ' +
    '`PersiDict.update`: three processes increment their own field of one shared value; each field holds every acknowledged increment, and at most the one the kill interrupted besides. ' +
    '`memoize`: three processes call the same function on the same arguments (lease 1 s); a call is computed more than once only after a kill cut a computation of it short, once per such kill. ' +
    '`ValueStore.gc`: two processes put values (named by a key of their own or by a call record) drawn from a drifting pool, dropping old names so nodes turn to garbage and are reused, while a third collects with the roots `stowage gc` uses, over and over; every value whose put and naming finished reads back whole. ' +
    'Tiered writes: every acknowledged write is on the primary, both tiers hold whole values, the secondary is never ahead, and `sync` makes them equal.',
  'Disk faults (full disk)':
    'Not LMDB (skipped): on a full disk its put fails with a CapacityError naming the key, but lmdb-js 3.5.6 then corrupts its own heap. Its bundled `mdb.c` (`mdb_page_flush`, when a page write fails) formats its error message, up to 134 bytes with possibly unset buffer sizes, into `malloc(100)`; in 6 of 12 standalone runs the process later aborted (`free(): invalid size`, double free, SIGSEGV). Only a patch to lmdb-js mends that.',
  'Disk faults (I/O errors)':
    "`test/reliability/disk-eio.test.ts`: a pass-through wrapper around `node:fs` and `node:fs/promises` (vitest `vi.mock`) throws EIO (code `EIO`, errno -5) from the chosen call while the test arms it: the write of a value's temp file (or, for a short write, the completion of a half-written one), its fsync, its rename into place, the fsync of its directory after the rename, or the write of the key's lock file. Each case is asserted to reach the put path it is about (synchronous for a small value without fsync, asynchronous otherwise).",
  'Model-based tests of the layers':
    'Point 1 of issue 21 (`test/reliability/layer-model.test.ts`): random command sequences run through the layers on each backend and against an in-memory model side by side, shrunk to a minimal failing sequence (seed printed, `STOWAGE_SEED` replays it). ' +
    "`PersiDict`: a Map per codec namespace; every result, value, ETag and refusal is the model's, and newest / oldest keys follow the write times the dict reports, which never run backwards against the order of the writes. " +
    '`ResultStore`: results holding named sets and custom metadata; loads and slices equal the model (NaN, -0 and ±Infinity kept apart), `getMetadata().sizeBytes` is exactly the bytes of the entries a result has, and at the end of each sequence the backend holds no entry that belongs to no result.',
};

function section(area: string): string[] {
  const lines = [`## ${area}`, ''];
  if (merge) lines.push(`Command: \`${command}\` · date: ${new Date().toISOString()} · machine: ${machine}.`, '');
  if (NOTES[area]) lines.push(NOTES[area], '');
  lines.push('| what | figure | detail |', '|---|---|---|');
  for (const f of figures.filter((x) => x.area === area)) lines.push(`| ${f.what} | ${f.value} | ${f.detail} |`);
  lines.push('');
  return lines;
}

let text: string;
if (merge) {
  const old = readFileSync('docs/reliability.md', 'utf8');
  const [head, ...rest] = old.split(/^(?=## )/m);
  const kept = rest.map((s) => ({ area: (s.split('\n')[0] as string).slice(3).trim(), text: s.trimEnd() }));
  const out = [(head as string).trimEnd(), ''];
  for (const s of kept) out.push(areas.includes(s.area) ? section(s.area).join('\n').trimEnd() : s.text, '');
  for (const area of areas.filter((a) => !kept.some((s) => s.area === a)))
    out.push(section(area).join('\n').trimEnd(), '');
  text = out.join('\n');
} else {
  const lines = [
    '# Reliability',
    '',
    `Command: \`npm run test:reliability\` · date: ${new Date().toISOString()} · machine: ${machine}.`,
    'A reduced version of the same suite runs in `npm test`. Every figure below is an outcome the suite asserted, not just observed.',
    '',
  ];
  for (const area of areas) lines.push(...section(area));
  text = lines.join('\n');
}
mkdirSync('docs', { recursive: true });
writeFileSync('docs/reliability.md', `${text.trimEnd()}\n`);
process.stdout.write(
  `wrote docs/reliability.md (${figures.length} figures${merge ? `, ${areas.length} sections merged` : ''})\n`,
);
