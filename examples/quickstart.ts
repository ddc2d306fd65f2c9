// npm start: real round trips on the embedded default, SQLite files under ./.stowage/.
import { getCodec, OptimizationResult, openBackend, PersiDict, ResultSet } from 'stowage';
import { createStorageManager } from 'stowage/results';

// 1. The byte-level backend: put, get, list.
const codec = getCodec('msgpack');
{
  await using store = await openBackend('sqlite:./.stowage/quickstart.sqlite');
  const meta = await store.put(['runs', 'exp-1', 'front'], codec.encode({ front: new Float64Array([0.12, 0.58]) }), {
    attrs: { solver: 'nsga2' },
  });
  console.log(`backend   stored runs/exp-1/front (${meta.size} bytes, etag ${meta.etag})`);
  const back = await store.get('runs/exp-1/front');
  console.log('backend   read back', back && codec.decode(back.value));
}

// 2. A typed persistent dictionary.
{
  await using dict = await PersiDict.open<number>('sqlite:./.stowage/quickstart.sqlite', {
    prefix: 'counters',
    valueType: Number,
  });
  const runs = await dict.update('runs-started', (n) => (n ?? 0) + 1);
  console.log(`dict      counters/runs-started = ${runs}`);
}

// 3. Results through a StorageManager: in-memory cache + SQLite primary + filesystem secondary.
{
  await using manager = await createStorageManager({
    primary: 'sqlite:./.stowage/results.sqlite',
    secondary: 'file:./.stowage/results-backup',
    useCache: true,
    cacheSizeMb: 64,
  });
  const result = new OptimizationResult({
    id: 'zdt1-nsga2',
    problem: { name: 'ZDT1' },
    objectives: [{ name: 'f1' }, { name: 'f2' }],
    metadata: { solver: 'nsga2', generations: 250 },
    sets: [
      new ResultSet('population', { f1: new Float64Array([0.1, 0.4, 0.9]), f2: new Float64Array([0.9, 0.5, 0.2]) }),
      new ResultSet('pareto', { f1: new Float64Array([0.1, 0.9]), f2: new Float64Array([0.9, 0.2]) }),
    ],
  });
  await manager.save('experiments/zdt1', result);
  const pareto = await manager.loadSet('experiments/zdt1', 'pareto');
  console.log(
    `results   loaded set '${pareto.name}': ${pareto.nPoints} points, f1 = [${[...pareto.column('f1')].join(', ')}]`,
  );
  console.log(`results   stored on: ${(await manager.whereIs('experiments/zdt1')).join(', ')}`);
  const meta = await manager.getMetadata('experiments/zdt1');
  console.log('results   metadata', {
    ...meta,
    createdAt: meta.createdAt.toISOString(),
    modifiedAt: meta.modifiedAt.toISOString(),
  });
}
