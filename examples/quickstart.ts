// npm start: a real round trip on the embedded default, a SQLite file under ./.stowage/.
import { getCodec, openBackend } from 'stowage';

const codec = getCodec('msgpack');
await using store = await openBackend('sqlite:./.stowage/quickstart.sqlite');

const result = {
  solver: 'nsga2',
  generations: 250,
  front: new Float64Array([0.12, 0.58, 0.33, 0.41]),
  finishedAt: new Date(),
};
const meta = await store.put(['runs', 'exp-1', 'front'], codec.encode(result), { attrs: { solver: 'nsga2' } });
console.log(`stored  runs/exp-1/front  ${meta.size} bytes  etag ${meta.etag}`);

const back = await store.get('runs/exp-1/front');
if (!back) throw new Error('the value we just stored is missing');
console.log('read back', codec.decode(back.value));

for await (const { key, meta: m } of store.list('runs', { where: { solver: 'nsga2' } })) {
  console.log(`listed  ${key.join('/')}  modified ${new Date(m.modifiedAt).toISOString()}`);
}
const info = await store.info();
console.log(`store   ${info.type} at ${info.location}: ${info.entries} entries, ${info.bytes} bytes`);
