// Child process of the linearizability test: random reads, writes and compare-and-sets on a
// few keys, each recorded with its invocation and completion time and its result.
import { ConditionFailedError, openBackend, UnknownOutcomeError } from '../../src/index.ts';

const [configJson, keysJson, opsText, procText, seedText] = process.argv.slice(2);
const keys = JSON.parse(keysJson as string) as string[];
const store = await openBackend(JSON.parse(configJson as string));
let seed = Number(seedText);
// A small deterministic generator: the run is reproducible from the printed seed.
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const now = () => process.hrtime.bigint().toString();
const text = (v: Uint8Array | undefined) => (v === undefined ? null : new TextDecoder().decode(v));
const out: string[] = [];
const record = (entry: Record<string, unknown>) => out.push(JSON.stringify(entry));
const lastSeen = new Map<string, { value: string | null; etag: string | undefined }>();
for (let i = 0; i < Number(opsText); i++) {
  const key = keys[Math.floor(random() * keys.length)] as string;
  const value = `p${procText}-${i}`;
  const dice = random();
  const call = now();
  if (dice < 0.4) {
    const hit = await store.get(key);
    const seen = { value: text(hit?.value), etag: hit?.meta.etag };
    lastSeen.set(key, seen);
    record({ key, kind: 'read', result: seen.value, call, ret: now() });
  } else if (dice < 0.7) {
    try {
      await store.put(key, new TextEncoder().encode(value));
      record({ key, kind: 'write', value, call, ret: now() });
    } catch (error) {
      if (!(error instanceof UnknownOutcomeError)) throw error;
      record({ key, kind: 'write', value, unknown: true, call, ret: null });
    }
  } else {
    // Compare-and-set against the last value this process read (its ETag names that value).
    const seen = lastSeen.get(key) ?? { value: null, etag: undefined };
    const condition = seen.etag === undefined ? { ifAbsent: true } : { ifMatch: seen.etag };
    try {
      await store.put(key, new TextEncoder().encode(value), condition);
      record({ key, kind: 'cas', expected: seen.value, value, result: true, call, ret: now() });
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        record({ key, kind: 'cas', expected: seen.value, value, result: false, call, ret: now() });
      } else if (error instanceof UnknownOutcomeError) {
        record({ key, kind: 'cas', expected: seen.value, value, result: 'unknown', call, ret: null });
      } else throw error;
    }
  }
}
await store.close();
process.stdout.write(`${out.join('\n')}\n`);
