// Child process killed at random moments: streams self-verifying values of several chunks
// into three keys with putStream, forever.
import { openBackend } from '../../src/index.ts';
import { makeValue } from './crash-values.ts';

const [configJson, startText, sizeText, chunkText] = process.argv.slice(2);
const store = await openBackend(JSON.parse(configJson as string));
const piece = 10_000; // not a divisor of the chunk size, so pieces straddle chunks
process.stdout.write('ready\n');
for (let gen = Number(startText); ; gen++) {
  const value = makeValue(gen, Number(sizeText));
  async function* pieces() {
    for (let at = 0; at < value.byteLength; at += piece) yield value.subarray(at, at + piece);
  }
  await store.putStream(`k${gen % 3}`, pieces(), { chunkBytes: Number(chunkText) });
}
