// Child process: applies N `update(key, n => n + 1)` calls through a PersiDict.
import { PersiDict } from '../../src/index.ts';

const [configJson, key, countText] = process.argv.slice(2);
const dict = await PersiDict.fromConfig<number>(JSON.parse(configJson as string));
for (let i = 0; i < Number(countText); i++) await dict.update(key as string, (n) => (n ?? 0) + 1);
await dict.close();
process.stdout.write('{}');
