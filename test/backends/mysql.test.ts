import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { MysqlBackend } from '../../src/backends/sql/mysql.ts';
import { ConnectionError, OperationError, openBackend, StorageError } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';

const HOST = '127.0.0.1';
const PORT = 3306;
const skipReason = await serviceSkipReason('MariaDB', HOST, PORT);
const base = { host: HOST, port: PORT, user: process.env.STOWAGE_MYSQL_USER ?? 'root', database: 'test' };
const tables: string[] = [];

function open(table = uniqueName('t')) {
  tables.push(table);
  return MysqlBackend.open({ ...base, table });
}

afterAll(async () => {
  if (skipReason) return;
  for (const table of tables) {
    const b = await MysqlBackend.open({ ...base, table });
    await b.drop();
    await b.close();
  }
});

runConformanceSuite({
  name: 'mysql',
  open: () => open(),
  missing: () => ({ type: 'mysql', ...base, table: uniqueName('missing') }),
  skipReason,
});

describe.skipIf(skipReason !== undefined)('mysql extras', () => {
  it('opens from a URL, keeps tables apart and round-trips its config', async () => {
    const a = await openBackend(`mysql://${base.user}@${HOST}:${PORT}/test?table=${uniqueName('url')}&poolSize=2`);
    tables.push(String(a.toConfig().table));
    const b = await open();
    await a.put('k', bytes('a'));
    expect(await b.get('k')).toBeUndefined();
    expect(a.toConfig()).toMatchObject({ type: 'mysql', host: HOST, port: PORT, poolSize: 2, database: 'test' });
    await a.close();
    await b.close();
  });

  it('grows the pool by maxOverflow under load, and refuses bad pool sizes', async () => {
    const table = uniqueName('overflow');
    tables.push(table);
    const url = `mysql://${base.user}@${HOST}:${PORT}/test?table=${table}&poolSize=1&maxOverflow=3`;
    const store = await openBackend(url);
    expect(store.toConfig()).toMatchObject({ poolSize: 1, maxOverflow: 3 });
    // A raw connection locks the table, so every put waits holding a pooled connection:
    // the server then sees poolSize + maxOverflow of them waiting, and no more.
    const raw = await mysql.createConnection({ host: HOST, port: PORT, user: base.user, database: 'test' });
    const watcher = await mysql.createConnection({ host: HOST, port: PORT, user: base.user, database: 'test' });
    await store.put('warm', bytes('x'));
    await raw.query(`LOCK TABLES \`${table}\` WRITE`);
    const puts = Array.from({ length: 6 }, (_, i) => store.put(`k${i}`, bytes(String(i))));
    const waiting = async () => {
      const [rows] = await watcher.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE LIKE '%lock%' AND INFO LIKE ?",
        [`%${table}%`],
      );
      return Number((rows as { n: number }[])[0]?.n);
    };
    let seen = 0;
    for (let i = 0; i < 40 && seen < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await waiting();
    }
    await new Promise((r) => setTimeout(r, 200));
    seen = await waiting();
    await raw.query('UNLOCK TABLES');
    await raw.end();
    await watcher.end();
    await Promise.all(puts);
    expect(seen).toBe(4);
    await store.close();
    const again = await openBackend(JSON.parse(JSON.stringify(store.toConfig())));
    expect(again.toConfig()).toMatchObject({ poolSize: 1, maxOverflow: 3 });
    await again.close();
    await expect(openBackend(url.replace('maxOverflow=3', 'maxOverflow=-1'))).rejects.toBeInstanceOf(OperationError);
    await expect(openBackend(url.replace('poolSize=1', 'poolSize=0'))).rejects.toBeInstanceOf(OperationError);
  });

  it('stores SQL injection strings verbatim in keys, prefixes and attrs', async () => {
    const store = await open();
    const nasty = "x'); DROP TABLE stowage; --";
    await store.put([nasty, 'a%_b'], bytes('1'), { attrs: { q: "' OR 1=1 --" } });
    await store.put(['x', 'a'], bytes('2'));
    const listed: string[] = [];
    for await (const e of store.list([nasty], { where: { q: "' OR 1=1 --" } })) listed.push(e.key.join('/'));
    expect(listed).toEqual([`${nasty}/a%_b`]);
    expect(text((await store.get([nasty, 'a%_b']))?.value)).toBe('1');
    await store.close();
  });

  it('logs statements without parameters when echo is on', async () => {
    const lines: string[] = [];
    const table = uniqueName('echo');
    tables.push(table);
    const store = await MysqlBackend.open({ ...base, table, echo: (sql) => lines.push(sql) });
    await store.put('k', bytes('secret-value'));
    expect(lines.some((l) => l.startsWith('INSERT INTO'))).toBe(true);
    expect(lines.join('\n')).not.toContain('secret-value');
    await store.close();
  });

  it('reports an unreachable server as ConnectionError naming host and port, never the password', async () => {
    const error = await openBackend('mysql://someone:hunter2-secret@127.0.0.1:1/test?connectTimeoutMs=1000').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(String((error as Error).message)).toContain('127.0.0.1:1');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('hunter2');
    expect(String((error as Error & { cause?: Error }).cause?.message ?? '')).not.toContain('hunter2');
  });

  it('keeps a rejected password out of the error', async () => {
    const error = await openBackend(
      `mysql://${base.user}:s3cret-pass@${HOST}:${PORT}/test?table=${uniqueName('pw')}`,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('s3cret-pass');
    expect(String((error as Error & { cause?: Error }).cause?.message ?? '')).not.toContain('s3cret-pass');
  });

  it('keeps a password given through passwordEnv out of info() and toConfig()', async () => {
    process.env.STOWAGE_TEST_MYSQL_PW = '';
    const store = await open();
    const table = String(store.toConfig().table);
    await store.close();
    const again = await openBackend({ ...base, type: 'mysql', table, passwordEnv: 'STOWAGE_TEST_MYSQL_PW' });
    expect(again.toConfig()).toMatchObject({ passwordEnv: 'STOWAGE_TEST_MYSQL_PW' });
    expect(JSON.stringify([await again.info(), again.toConfig()])).not.toMatch(/"password"/);
    await again.close();
  });
});
