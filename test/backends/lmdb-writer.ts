// Child process of the lmdb stale-read test: writes one value and exits.
import { LmdbBackend } from '../../src/backends/lmdb.ts';

const [path, key, value] = process.argv.slice(2) as [string, string, string];
const store = await LmdbBackend.open({ path });
await store.put(key, new TextEncoder().encode(value));
await store.close();
