import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../src/backends/sql/sqlite.ts';
import { CorruptValueError, openBackend, StorageError } from '../../src/index.ts';
import { runConformanceSuite } from '../conformance/suite.ts';
import { bytes, text } from '../helpers/bytes.ts';
import { openRawSqlite, sqliteDrivers } from '../helpers/sqlite-drivers.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

afterAll(removeTempDirs);

// The same suite on both drivers: node:sqlite (Node 22.13+) and better-sqlite3 (where its addon loads).
for (const { driver, skip } of await sqliteDrivers()) {
  runConformanceSuite({
    name: `sqlite (${driver})`,
    skipReason: skip,
    open: () => SqliteBackend.open({ path: join(tempDir('sqlite'), 'store.sqlite'), driver }),
    missing: () => ({ type: 'sqlite', path: join(tempDir('sqlite-missing'), 'typo.sqlite'), driver }),
  });
}

describe('sqlite extras', () => {
  it('opens from relative, absolute and in-memory URLs', async () => {
    const dir = tempDir('sqlite-url');
    const abs = await openBackend(`sqlite:///${dir}/abs.sqlite?table=results`);
    expect(abs.toConfig()).toEqual({ type: 'sqlite', path: `${dir}/abs.sqlite`, table: 'results' });
    await abs.close();
    const mem = await openBackend('sqlite::memory:');
    await mem.put('a', bytes('1'));
    expect(text((await mem.get('a'))?.value)).toBe('1');
    await mem.close();
    const prev = process.cwd();
    process.chdir(dir);
    try {
      const rel = await openBackend('sqlite:./rel/db.sqlite');
      expect(rel.toConfig().path).toBe(join(dir, 'rel/db.sqlite'));
      await rel.close();
    } finally {
      process.chdir(prev);
    }
  });

  it('keeps tables of one file apart', async () => {
    const path = join(tempDir('sqlite-tables'), 'shared.sqlite');
    const a = await SqliteBackend.open({ path, table: 'a' });
    const b = await SqliteBackend.open({ path, table: 'b' });
    await a.put('k', bytes('from a'));
    expect(await b.get('k')).toBeUndefined();
    expect((await b.info()).entries).toBe(0);
    await a.close();
    await b.close();
  });

  it('rejects unsafe table names before touching the file', async () => {
    await expect(SqliteBackend.open({ path: ':memory:', table: 'x"; DROP TABLE y; --' })).rejects.toBeInstanceOf(
      StorageError,
    );
  });

  it('detects a flipped byte in a stored value, and other keys still read', async () => {
    const path = join(tempDir('sqlite-corrupt'), 'c.sqlite');
    const store = await SqliteBackend.open({ path });
    await store.put('victim', bytes('precious data'));
    await store.put('bystander', bytes('fine'));
    const raw = await openRawSqlite(path);
    const [row] = raw.prepare('SELECT value FROM stowage WHERE key = ?').all('victim') as { value: Uint8Array }[];
    if (!row) throw new Error('the victim row is missing');
    row.value[3] = (row.value[3] ?? 0) ^ 0xff;
    raw.prepare('UPDATE stowage SET value = ? WHERE key = ?').run(row.value, 'victim');
    raw.close();
    const error = await store.get('victim').catch((e) => e);
    expect(error).toBeInstanceOf(CorruptValueError);
    expect(error.message).toContain("'victim'");
    expect(text((await store.get('bystander'))?.value)).toBe('fine');
    await store.close();
  });

  // Found by the damaged-file test: a damaged index led get('a') to b's intact row, whose
  // CRC-32 (of the value only) passed. The ETag now names the key it was written under.
  it("refuses another key's row found under a key, as a damaged index would return it", async () => {
    const path = join(tempDir('sqlite-moved'), 'm.sqlite');
    const store = await SqliteBackend.open({ path });
    await store.put('a', bytes('value of a'));
    await store.put('b', bytes('value of b'));
    await store.put('legacy', bytes('old row'));
    const raw = await openRawSqlite(path);
    raw.prepare('DELETE FROM stowage WHERE key = ?').run('a');
    raw.prepare('UPDATE stowage SET key = ? WHERE key = ?').run('a', 'b');
    // A row written before ETags named their key still reads.
    raw.prepare('UPDATE stowage SET etag = ? WHERE key = ?').run('x1y2z3.4', 'legacy');
    raw.close();
    const errors = [
      await store.get('a').catch((e) => e),
      await store.stat('a').catch((e) => e),
      await store.getMany(['a']).catch((e) => e),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(CorruptValueError);
      expect(error.key).toBe('a');
    }
    expect(text((await store.get('legacy'))?.value)).toBe('old row');
    await store.put('legacy', bytes('rewritten'), { ifMatch: 'x1y2z3.4' });
    expect(text((await store.get('legacy'))?.value)).toBe('rewritten');
    await store.close();
  });

  // Found by the damaged-file test (test/reliability/damaged-files.test.ts): a raw SyntaxError escaped.
  it('stored attributes that are not JSON are a CorruptValueError naming the key, on get, stat and list', async () => {
    const path = join(tempDir('sqlite-attrs'), 'a.sqlite');
    const store = await SqliteBackend.open({ path });
    await store.put('victim', bytes('x'), { attrs: { a: 1 } });
    await store.put('bystander', bytes('fine'), { attrs: { b: 2 } });
    const raw = await openRawSqlite(path);
    raw.prepare('UPDATE stowage SET attrs = ? WHERE key = ?').run('{"a":\u00ff', 'victim');
    raw.close();
    const listing = await (async () => {
      for await (const _ of store.list()) {
        // reading every entry's metadata is the point
      }
    })().catch((e: unknown) => e);
    expect(listing).toBeInstanceOf(CorruptValueError);
    for (const error of [await store.get('victim').catch((e) => e), await store.stat('victim').catch((e) => e)]) {
      expect(error).toBeInstanceOf(CorruptValueError);
      expect(error.key).toBe('victim');
    }
    expect((await store.get('bystander'))?.meta.attrs).toEqual({ b: 2 });
    await store.close();
  });

  it('lists by prefix with an index range scan, not a table scan', async () => {
    const path = join(tempDir('sqlite-plan'), 'p.sqlite');
    const store = await SqliteBackend.open({ path });
    await store.put('a/b', bytes('x'));
    await store.close();
    const raw = await openRawSqlite(path);
    const plan = raw
      .prepare("EXPLAIN QUERY PLAN SELECT key FROM stowage WHERE key >= 'a/' AND key > '' AND key < 'a0' ORDER BY key")
      .all() as { detail: string }[];
    raw.close();
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/SEARCH .*USING (COVERING )?(INDEX|PRIMARY KEY)/);
  });

  it('pages a listing with one lower bound per statement, so a deep cursor starts its index range there', async () => {
    const statements: string[] = [];
    const store = await SqliteBackend.open({ path: ':memory:', echo: (sql) => statements.push(sql) });
    const keys = Array.from({ length: 1200 }, (_, i) => `p/${String(i).padStart(4, '0')}`);
    await store.putMany(keys.map((key) => ({ key, value: bytes(key) })));
    statements.length = 0;
    const listed: string[] = [];
    for await (const { key } of store.list('p', { after: 'p/0100' })) listed.push(key.join('/'));
    for await (const key of store.keys('p')) listed.push(key.join('/'));
    await store.close();
    expect(listed).toEqual([...keys.slice(101), ...keys]);
    const selects = statements.filter((sql) => sql.startsWith('SELECT'));
    expect(selects.length).toBeGreaterThanOrEqual(6);
    // With two lower bounds (key >= ? AND key > ?) SQLite starts the range at the first and scans up to the cursor.
    for (const sql of selects) expect(sql.match(/key >=? \?/g), sql).toHaveLength(1);
  });

  it('stores SQL injection strings verbatim', async () => {
    const store = await SqliteBackend.open({ path: ':memory:' });
    const key = "x'); DROP TABLE stowage; --";
    await store.put(key, bytes('safe'), { attrs: { "a'b": "'; DELETE FROM stowage; --" } });
    expect(text((await store.get(key))?.value)).toBe('safe');
    const listed = [];
    for await (const e of store.list('', { where: { "a'b": "'; DELETE FROM stowage; --" } }))
      listed.push(e.key.join('/'));
    expect(listed).toEqual([key]);
    await store.close();
  });

  it('compacts: VACUUM gives the space of deleted rows back to the file system', async () => {
    const path = join(tempDir('sqlite-vac'), 'v.sqlite');
    const store = await SqliteBackend.open({ path });
    await store.put('a', new Uint8Array(2_000_000).fill(7));
    await store.delete('a');
    // In WAL mode the pages may still sit in the -wal file: count both.
    const onDisk = () => statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
    const before = onDisk();
    await expect(store.compact()).resolves.toMatchObject({ removed: 0, details: { statements: ['VACUUM'] } });
    expect(statSync(path).size).toBeLessThan(before / 2);
    await store.close();
  });
});
