import type { Command } from 'commander';
import { formatBytes } from '../../ui/byte-count.ts';
import { EXISTING, globals, withStore } from '../command-context.ts';
import { printJson, printTable } from '../output.ts';

/** Registers `info`: what a store is, where, how big and what it can do. */
export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('counts, bytes, location and capabilities of an existing store (never a password)')
    .action(showInfo);
}

async function showInfo(_opts: unknown, command: Command) {
  const g = globals(command);
  await withStore(g.store as string, EXISTING, async (store) => {
    const info = await store.info();
    if (g.json) return printJson(info);
    printTable(
      [{ type: info.type, location: info.location, entries: info.entries, bytes: formatBytes(info.bytes) }],
      ['type', 'location', 'entries', 'bytes'],
    );
    if (typeof info.details?.note === 'string') process.stdout.write(`note: ${info.details.note}\n`);
    const caps = Object.entries(info.capabilities).map(([capability, value]) => ({ capability, value }));
    process.stdout.write('\n');
    printTable(caps, ['capability', 'value']);
  });
}
