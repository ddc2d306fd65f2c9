// One process of the contention scenario (bench/scenarios.ts `contention`). Opens the
// store, says `ready` to the parent, waits for `go`, then either writes `count` distinct
// 1 KB values (role `writer`) or reads existing keys until told to stop (role `reader`),
// timing every call; sends the latencies in microseconds back over IPC.
import { openBackend } from '../src/index.ts';
import { sampleValue } from './harness.ts';

const [url = '', role = 'writer', id = '0', countArg = '500'] = process.argv.slice(2);
const count = Number(countArg);
const send = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
const store = await openBackend(url);
const encoder = new TextEncoder();
const values = Array.from({ length: count }, (_, i) => encoder.encode(JSON.stringify(sampleValue(i))));
let stop = false;
const go = new Promise<void>((resolve) => {
  process.on('message', (m) => {
    if (m === 'go') resolve();
    if (m === 'stop') stop = true;
  });
});
await send('ready');
await go;
const latencies: number[] = [];
if (role === 'writer') {
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await store.put(`c/${id}/${i}`, values[i] as Uint8Array);
    latencies.push((performance.now() - t) * 1000);
  }
} else {
  // Readers read the keys the parent wrote before `go`, round and round.
  for (let i = 0; !stop; i++) {
    const t = performance.now();
    const hit = await store.get(`r/${i % count}`);
    latencies.push((performance.now() - t) * 1000);
    if (!hit) throw new Error(`reader ${id}: r/${i % count} is missing`);
    // A macrotask between reads, so `stop` (an IPC message) is seen on sync engines.
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
}
await store.close();
await send({ latencies });
process.disconnect?.();
