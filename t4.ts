import { openBackend } from './src/index.ts';

const s = await openBackend('sqlite:/tmp/nc/a.sqlite');
await s.put('x', new Uint8Array(1));
await s.close();
const show = async (label: string, f: () => Promise<unknown>) => {
  try {
    const r = await f();
    console.log(label, 'OK', r);
  } catch (e) {
    console.log(label, (e as Error).constructor.name, (e as Error).message);
  }
};
await show('duck on sqlite', async () => {
  const d = await openBackend('duckdb:/tmp/nc/a.sqlite');
  await d.close();
});
await show('duck on sqlite create:false', async () => {
  const d = await openBackend('duckdb:/tmp/nc/a.sqlite', { create: false });
  await d.close();
});
const { DatabaseSync } = await import('better-sqlite3').then((m) => ({ DatabaseSync: m.default }));
const db = new DatabaseSync('/tmp/nc/other.sqlite');
db.exec('CREATE TABLE stowage (id INTEGER, name TEXT)');
db.close();
await show('other schema', async () => openBackend('sqlite:/tmp/nc/other.sqlite'));
await show('missing', async () => openBackend('sqlite:/tmp/nc/typo.sqlite', { create: false }));
await show('missing table', async () => openBackend('sqlite:/tmp/nc/a.sqlite?table=nope', { create: false }));
await show('ok', async () => {
  const d = await openBackend('sqlite:/tmp/nc/a.sqlite', { create: false });
  const i = await d.info();
  await d.close();
  return i.entries;
});
await show('~', async () => (await openBackend('sqlite:~/nc-test.sqlite?table=t', { create: false })).label);
await show('~user', async () => (await openBackend('sqlite:~bob/nc-test.sqlite')).label);
await show('sqlalchemy', async () => (await import('./src/index.ts')).configFromUrl('sqlite:///results.db'));
await show('sqlalchemy abs', async () => (await import('./src/index.ts')).configFromUrl('sqlite:////tmp/results.db'));
await show('pg suffix', async () => {
  const p = await openBackend('postgresql+psycopg2://postgres@127.0.0.1/test?table=nc_x');
  const i = await p.info();
  await (p as any).drop();
  await p.close();
  return i.details;
});
await show('mysql suffix', async () => {
  const p = await openBackend('mysql+pymysql://root@127.0.0.1/test?table=nc_x');
  const i = await p.info();
  await (p as any).drop();
  await p.close();
  return i.details;
});
await show('redis suffix', async () => openBackend('redis+x://127.0.0.1/0'));
await show('undefined opts', async () => openBackend('memory://', { creat: false } as never));
await show('pg missing', async () =>
  openBackend('postgres://postgres@127.0.0.1/test?table=nc_missing', { create: false }),
);
await show('mysql missing', async () => openBackend('mysql://root@127.0.0.1/test?table=nc_missing', { create: false }));
