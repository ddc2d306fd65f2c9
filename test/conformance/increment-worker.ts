// Child process for the multi-process tests: applies N ETag-guarded increments to one key.
import { ConditionFailedError, openBackend } from '../../src/index.ts';

const [configJson, key, countText] = process.argv.slice(2);
const store = await openBackend(JSON.parse(configJson as string));
let conflicts = 0;
for (let i = 0; i < Number(countText); ) {
  const current = await store.get(key as string);
  const next = String(Number(current ? new TextDecoder().decode(current.value) : '0') + 1);
  try {
    await store.put(
      key as string,
      new TextEncoder().encode(next),
      current ? { ifMatch: current.meta.etag } : { ifAbsent: true },
    );
    i++;
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    conflicts++;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ conflicts }));
