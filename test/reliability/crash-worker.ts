// Child process killed at random moments: writes self-verifying values, small and large, forever.
import { openBackend } from '../../src/index.ts';
import { makeValue } from './crash-values.ts';

const [configJson, startText, largeText] = process.argv.slice(2);
const store = await openBackend(JSON.parse(configJson as string));
process.stdout.write('ready\n');
for (let gen = Number(startText); ; gen++) {
  const large = gen % 4 === 0;
  await store.put(`k${gen % 6}`, makeValue(gen, large ? Number(largeText) : 200));
}
