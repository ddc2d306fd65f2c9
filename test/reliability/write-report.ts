// Turns the figures recorded by `npm run test:reliability` into docs/reliability.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const file = process.env.STOWAGE_FIGURES_FILE as string;
if (!file || !existsSync(file)) throw new Error('no figures recorded: run `npm run test:reliability`');
const figures = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { area: string; what: string; value: string | number; detail: string });
const areas = [...new Set(figures.map((f) => f.area))];
const lines = [
  '# Reliability',
  '',
  `Command: \`npm run test:reliability\` · date: ${new Date().toISOString()} · machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  'A reduced version of the same suite runs in `npm test`. Every figure below is an outcome the suite asserted, not just observed.',
  '',
];
for (const area of areas) {
  lines.push(`## ${area}`, '', '| what | figure | detail |', '|---|---|---|');
  for (const f of figures.filter((x) => x.area === area)) lines.push(`| ${f.what} | ${f.value} | ${f.detail} |`);
  lines.push('');
}
mkdirSync('docs', { recursive: true });
writeFileSync('docs/reliability.md', `${lines.join('\n')}\n`);
process.stdout.write(`wrote docs/reliability.md (${figures.length} figures)\n`);
