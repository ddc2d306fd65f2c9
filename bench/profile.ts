// Profiling aid: runs one operation of one stowage store in a loop, so `node --cpu-prof`
// sees its hot path without the peers and the rest of the bench. Usage:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts sqlite get 200000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCodec, openBackend } from '../src/index.ts';
import { sampleValue } from './harness.ts';

const [engine = 'memory', op = 'get', countArg = '200000'] = process.argv.slice(2);
const count = Number(countArg);
const dir = mkdtempSync(join(tmpdir(), 'stowage-profile-'));
const urls: Record<string, string> = {
  memory: 'memory://',
  sqlite: `sqlite:${dir}/p.sqlite`,
  fs: `file:${dir}/fs?fsync=false`,
  lmdb: `lmdb:${dir}/lmdb`,
  mysql: `mysql://root@127.0.0.1:3306/test?table=profile_${process.pid}`,
  redis: `redis://127.0.0.1:6379/0?prefix=profile_${process.pid}`,
};
const json = getCodec('json');
const backend = await openBackend(urls[engine] as string);
const n = 2000;
try {
  for (let i = 0; i < n; i++) await backend.put(`k${i}`, json.encode(sampleValue(i)));
  const started = performance.now();
  if (op === 'get') {
    for (let i = 0; i < count; i++) json.decode(((await backend.get(`k${i % n}`)) as { value: Uint8Array }).value);
  } else if (op === 'set') {
    for (let i = 0; i < count; i++) await backend.put(`k${i % n}`, json.encode(sampleValue(i)));
  } else if (op === 'getMany') {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    for (let i = 0; i < count / 1000; i++) await backend.getMany(keys);
  } else if (op === 'putMany') {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: json.encode(sampleValue(i)) }));
    for (let i = 0; i < count / 1000; i++) await backend.putMany(entries);
  } else if (op === 'list') {
    await backend.putMany(
      Array.from({ length: n }, (_, i) => ({ key: `list/${i}`, value: json.encode(sampleValue(i)) })),
    );
    for (let i = 0; i < count / n; i++) for await (const _ of backend.list('list'));
  } else throw new Error(`unknown op ${op}`);
  const ms = performance.now() - started;
  process.stdout.write(`${engine} ${op}: ${((count / ms) * 1000).toFixed(0)} ops/s\n`);
} finally {
  await backend.clear();
  if ('drop' in backend) await (backend as unknown as { drop(): Promise<void> }).drop();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}
