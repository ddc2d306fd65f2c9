// Child process: calls one slow memoised function; each real computation appends a line to a file.
import { appendFileSync } from 'node:fs';
import { createMemoStore } from '../../src/entries/cas.ts';
import { memoize, openBackend } from '../../src/index.ts';

const [configJson, logFile] = process.argv.slice(2);
const store = createMemoStore(await openBackend(JSON.parse(configJson as string)));
const slow = memoize(
  async (x: number, y: number) => {
    appendFileSync(logFile as string, `${process.pid}\n`);
    await new Promise((r) => setTimeout(r, 400));
    return { sum: x + y, at: process.pid };
  },
  { store, name: 'slow-sum', params: ['x', 'y'] },
);
const result = await slow(20, 22);
await store.backend.close();
process.stdout.write(JSON.stringify(result));
