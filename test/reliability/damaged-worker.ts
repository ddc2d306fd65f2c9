// Child process: opens a deliberately damaged store and reads everything it can. Prints one
// JSON line: how many keys read back whole, and every error (typed or raw). A crash (SIGBUS,
// SIGSEGV, abort) or a hang is seen by the parent as the absence of that line.
import { openBackend, StorageError } from '../../src/index.ts';

const [configJson, keysJson] = process.argv.slice(2);
const keys = JSON.parse(keysJson as string) as string[];
const report = { opened: false, whole: 0, wrong: 0, misplaced: 0, typed: [] as string[], raw: [] as string[] };
const note = (error: unknown) => {
  if (error instanceof StorageError) report.typed.push(error.code);
  else report.raw.push(`${(error as Error)?.name}: ${(error as Error)?.message}`);
};
try {
  const store = await openBackend(JSON.parse(configJson as string), { create: false });
  report.opened = true;
  for (const key of keys) {
    try {
      const hit = await store.get(key);
      if (hit === undefined) continue;
      // Every value was written as its own key's text: anything else came back wrong.
      const text = new TextDecoder().decode(hit.value);
      if (text === `value of ${key} `.repeat(20)) report.whole++;
      // Another key's whole value under this key: the key bytes were damaged, not the value.
      else if (keys.some((other) => text === `value of ${other} `.repeat(20))) report.misplaced++;
      else report.wrong++;
    } catch (error) {
      note(error);
    }
  }
  try {
    for await (const _ of store.list()) {
      // reading every entry's metadata is the point
    }
  } catch (error) {
    note(error);
  }
  await store.close().catch(note);
} catch (error) {
  note(error);
}
process.stdout.write(`${JSON.stringify(report)}\n`);
