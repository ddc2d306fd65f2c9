import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend, StoreNotFoundError } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { serviceSkipReason, uniqueName } from '../helpers/services.ts';
import { openRawSqlite } from '../helpers/sqlite-drivers.ts';
import { removeTempDirs, tempDir } from '../helpers/temp-dir.ts';

// Issue 23 through the built binary (dist/cli/main.js): the mistakes of a first hour with
// the CLI get a clear answer, and nothing is created by accident.

afterAll(removeTempDirs);

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const pgSkip = await serviceSkipReason('PostgreSQL', '127.0.0.1', 5432);
const mysqlSkip = await serviceSkipReason('MariaDB', '127.0.0.1', 3306);
const redisSkip = await serviceSkipReason('Redis', '127.0.0.1', 6379);
const NO_STACK = /\n\s+at /;

describe('typos create nothing', () => {
  it('every command but put refuses a store that is not there, and leaves no file behind', async () => {
    const dir = tempDir('cli-typo');
    const typo = `sqlite:${dir}/typo.sqlite`;
    const commands = [
      ['ls'],
      ['ls', 'runs', '-r'],
      ['get', 'k'],
      ['stat', 'k'],
      ['info'],
      ['rm', 'k'],
      ['rm', '--prefix', 'runs', '--yes'],
      ['results', 'ls'],
      ['results', 'show', 'r'],
      ['calls', 'ls'],
      ['gc', '--dry-run'],
      ['compact'],
    ];
    for (const command of commands) {
      const run = await runCli(['--store', typo, ...command]);
      expect(run.code, command.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/^stowage: There is no SQLite database at .*typo\.sqlite, and create is false/);
      expect(run.stderr).not.toMatch(NO_STACK);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says how to create the default store when it is not there yet', async () => {
    const dir = tempDir('cli-default');
    const run = await runCli(['ls'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/that is the default store: put creates it, or give another with --store/);
    expect(existsSync(join(dir, '.stowage'))).toBe(false);
    expect((await runCli(['put', 'k', '--value', 'v'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['get', 'k'], { cwd: dir })).stdout).toBe('v');
  });

  it('cp and sync refuse a missing source and create neither store', async () => {
    const dir = tempDir('cli-cp-typo');
    const missing = `sqlite:${dir}/missing.sqlite`;
    const target = `file:${dir}/b`;
    const cp = await runCli(['cp', missing, target]);
    expect(cp.code).toBe(1);
    expect(cp.stderr).toMatch(/There is no SQLite database at .*missing\.sqlite/);
    expect(cp.stdout).not.toMatch(/copied/);
    for (const args of [
      ['sync', missing, target],
      ['sync', target, missing, '--direction', 'b-to-a'],
      ['sync', missing, target, '--direction', 'both'],
    ]) {
      expect((await runCli(args)).code, args.join(' ')).toBe(1);
    }
    expect(readdirSync(dir)).toEqual([]);
    // The store copied into is created: that is a write.
    const source = `sqlite:${dir}/src.sqlite`;
    expect((await runCli(['--store', source, 'put', 'k', '--value', 'v'])).code).toBe(0);
    expect((await runCli(['--json', 'cp', source, target])).stdout).toContain('"copied": 1');
  });

  it("leaves someone else's SQLite file as it was: no stowage table, no WAL", async () => {
    const path = join(tempDir('cli-foreign'), 'app.sqlite');
    const db = await openRawSqlite(path);
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    for (const command of [['ls'], ['info'], ['stat', 'k']]) {
      const run = await runCli(['--store', `sqlite:${path}`, ...command]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/There is no table 'stowage' here/);
    }
    const again = await openRawSqlite(path);
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([{ name: 'people' }]);
    expect(again.prepare('PRAGMA journal_mode').all()).toEqual([{ journal_mode: 'delete' }]);
    again.close();
  });

  it('names the table and the ?table= option when a stowage table has another schema', async () => {
    const path = join(tempDir('cli-schema'), 'app.sqlite');
    const db = await openRawSqlite(path);
    db.exec('CREATE TABLE stowage (id INTEGER PRIMARY KEY, payload TEXT)');
    db.close();
    const run = await runCli(['--store', `sqlite:${path}`, 'put', 'k', '--value', 'v']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/The table 'stowage' is not a stowage table: it has the columns id, payload/);
    expect(run.stderr).toContain('?table=<name>');
    expect((await runCli(['--store', `sqlite:${path}?table=results`, 'put', 'k', '--value', 'v'])).code).toBe(0);
  });

  for (const [name, skip, url] of [
    ['PostgreSQL', pgSkip, (t: string) => `postgres://postgres@127.0.0.1:5432/test?table=${t}`],
    ['MariaDB', mysqlSkip, (t: string) => `mysql://root@127.0.0.1:3306/test?table=${t}`],
  ] as const) {
    it.skipIf(skip !== undefined)(`info and ls create no table in a ${name} database`, async () => {
      const store = url(uniqueName('typo'));
      for (const command of [['info'], ['ls']]) {
        const run = await runCli(['--store', store, ...command]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/There is no table 'typo_\w+' here/);
      }
      await expect(openBackend(store, { create: false })).rejects.toBeInstanceOf(StoreNotFoundError);
    });
  }
});

describe.skipIf(redisSkip !== undefined)('Redis database numbers', () => {
  it('refuses a database the server does not have, and a path that is not a number, without a stack trace', async () => {
    const prefix = uniqueName('cli');
    const ninetyNine = await runCli([
      '--store',
      `redis://127.0.0.1:6379/99?prefix=${prefix}`,
      'put',
      'k',
      '--value',
      'v',
    ]);
    expect(ninetyNine.code).toBe(1);
    expect(ninetyNine.stderr).toMatch(/This Redis server has no database 99/);
    expect((await runCli(['--store', `redis://127.0.0.1:6379/0?prefix=${prefix}`, 'ls'])).code).toBe(1);
    const foo = await runCli(['--store', 'redis://127.0.0.1/foo', 'ls']);
    expect(foo.code).toBe(1);
    expect(foo.stderr).toMatch(/^stowage: The path of a redis URL is the database number .* got 'foo'/);
    expect(foo.stderr).not.toMatch(NO_STACK);
    expect(foo.stderr).not.toMatch(/ReplyError|NaN/);
  });
});

describe('SQLite URLs as SQLAlchemy users write them', () => {
  it('reads sqlite:///results.db as relative, sqlite://// as absolute, and ~ as home', async () => {
    const dir = tempDir('cli-sqlalchemy');
    const home = tempDir('cli-home');
    const rootFileBefore = existsSync('/results.db');
    expect((await runCli(['--store', 'sqlite:///results.db', 'put', 'k', '--value', 'v'], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, 'results.db'))).toBe(true);
    expect(existsSync('/results.db')).toBe(rootFileBefore);
    expect(
      (await runCli(['--store', `sqlite:////${dir}/abs.db`.replace('////', '///'), 'put', 'k', '--value', 'v'])).code,
    ).toBe(0);
    expect(existsSync(join(dir, 'abs.db'))).toBe(true);
    const inHome = await runCli(['--store', 'sqlite:~/mine.sqlite', 'put', 'k', '--value', 'v'], {
      cwd: dir,
      env: { HOME: home },
    });
    expect(inHome.code, inHome.stderr).toBe(0);
    expect(existsSync(join(home, 'mine.sqlite'))).toBe(true);
    expect(existsSync(join(dir, '~'))).toBe(false);
    expect((await runCli(['--store', 'duckdb:///rel.duckdb', 'put', 'k', '--value', 'v'], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, 'rel.duckdb'))).toBe(true);
  });

  it.skipIf(pgSkip !== undefined)('accepts postgresql+psycopg2:// and notes the ignored driver in info', async () => {
    const table = uniqueName('sqla');
    const url = `postgresql+psycopg2://postgres@127.0.0.1:5432/test?table=${table}`;
    try {
      expect((await runCli(['--store', url, 'put', 'k', '--value', 'v'])).code).toBe(0);
      const info = await runCli(['--store', url, 'info']);
      expect(info.stdout).toMatch(/note: the URL's driver '\+psycopg2' is ignored: stowage uses pg/);
    } finally {
      const store = await openBackend(url);
      await (store as unknown as { drop(): Promise<void> }).drop();
      await store.close();
    }
  });
});

describe('stowage put needs a value said out loud', () => {
  it('refuses a put without a source, an empty stdin, and two sources; stores nothing', async () => {
    const store = `sqlite:${tempDir('cli-put')}/s.sqlite`;
    const bare = await runCli(['--store', store, 'put', 'k']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/put needs a value: a file, - to read stdin, or --value <text>/);
    const closed = await runCli(['--store', store, 'put', 'k', '-']);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(/stdin was empty .*--allow-empty/);
    const file = join(tempDir('cli-put-file'), 'v.txt');
    writeFileSync(file, 'from a file');
    expect((await runCli(['--store', store, 'put', 'k', file, '--value', 'x'])).code).toBe(2);
    expect((await runCli(['--store', store, 'get', 'k'])).code).toBe(1); // the store was never created
    expect((await runCli(['--store', store, 'put', 'k', '--value', 'text'])).code).toBe(0);
    expect((await runCli(['--store', store, 'get', 'k'])).stdout).toBe('text');
    expect((await runCli(['--store', store, 'put', 'f', file])).code).toBe(0);
    expect((await runCli(['--store', store, 'get', 'f'])).stdout).toBe('from a file');
    expect((await runCli(['--store', store, 'put', 'e', '-', '--allow-empty'])).code).toBe(0);
    expect(JSON.parse((await runCli(['--store', store, '--json', 'stat', 'e'])).stdout).size).toBe(0);
    expect((await runCli(['--store', store, 'put', 'in', '-'], { input: 'piped' })).code).toBe(0);
    expect((await runCli(['--store', store, 'get', 'in'])).stdout).toBe('piped');
  });
});

describe('the CLI itself', () => {
  it('prints its version with -V and --version; -v is verbose', async () => {
    for (const flag of ['-V', '--version']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
    const verbose = await runCli(['-v', '--store', `sqlite:${tempDir('cli-v')}/none.sqlite`, 'ls']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(NO_STACK);
  });

  it('describes every argument, and lists examples and exit codes in --help', async () => {
    const help = (await runCli(['--help'])).stdout;
    expect(help).toMatch(/Examples:\n/);
    expect(help).toMatch(
      /Exit codes:\n {2}0 {2}done\n {2}1 .*\n {2}2 .*\n {2}3 {2}the key, result or call asked for does not exist/,
    );
    const commands = [...help.matchAll(/^ {2}(\w+) (?:\[options\] )?/gm)].map((m) => m[1] as string);
    const nested = { results: ['ls', 'show', 'export'], calls: ['ls', 'query'] } as Record<string, string[]>;
    const all = commands.filter((c) => c !== 'help').flatMap((c) => (nested[c] ?? [undefined]).map((s) => [c, s]));
    expect(all.length).toBeGreaterThan(12);
    for (const [command, sub] of all) {
      const args = ['help', command as string, ...(sub ? [sub] : [])];
      const text = (await runCli(sub ? [command as string, 'help', sub] : args)).stdout;
      const section = /Arguments:\n([\s\S]*?)\n\n/.exec(text)?.[1];
      if (!section) continue;
      for (const line of section.split('\n').filter((l) => /^ {2}\S/.test(l))) {
        expect(line, `${command} ${sub ?? ''}: ${line}`).toMatch(/^ {2}\S+\s{2,}\S/);
      }
    }
  });

  it('gives a missing key its own exit code (3), apart from failures (1)', async () => {
    const store = `sqlite:${tempDir('cli-exit')}/s.sqlite`;
    await runCli(['--store', store, 'put', 'k', '--value', 'v']);
    for (const command of [
      ['get', 'nope'],
      ['stat', 'nope'],
      ['rm', 'nope'],
      ['results', 'show', 'nope'],
    ]) {
      expect((await runCli(['--store', store, ...command])).code, command.join(' ')).toBe(3);
    }
    expect((await runCli(['--store', `${store}x`, 'get', 'nope'])).code).toBe(1);
  });

  it('reports errors as JSON with --json, usage errors too', async () => {
    const store = `sqlite:${tempDir('cli-json')}/s.sqlite`;
    await runCli(['--store', store, 'put', 'k', '--value', 'v']);
    const missing = await runCli(['--store', store, '--json', 'get', 'nope']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr)).toEqual({
      error: expect.objectContaining({ name: 'NotFoundError', code: 'NOT_FOUND', key: 'nope', exitCode: 3 }),
    });
    const usage = await runCli(['--json', '--nope']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr).error).toMatchObject({ code: 'commander.unknownOption', exitCode: 2 });
    const noStore = await runCli(['--store', `${store}x`, '--json', 'ls']);
    expect(JSON.parse(noStore.stderr).error).toMatchObject({ code: 'STORE_NOT_FOUND', exitCode: 1 });
  });

  it('treats an unknown codec and attrs that are not a JSON object as usage errors (2), before any I/O', async () => {
    const dir = tempDir('cli-usage');
    const store = `sqlite:${dir}/s.sqlite`;
    for (const args of [
      ['put', 'k', '--value', '1', '--codec', 'msgpak'],
      ['put', 'k', '--value', '1', '--attrs', '[1,2]'],
      ['put', 'k', '--value', '1', '--attrs', '{"a":'],
      ['put', 'k', '--value', '1', '--attrs', '{"a":1e999}'],
      ['get', 'k', '--codec', 'nope'],
    ]) {
      const run = await runCli(['--store', store, ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).not.toMatch(NO_STACK);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('prints compact as text unless --json', async () => {
    const store = `sqlite:${tempDir('cli-compact')}/s.sqlite`;
    await runCli(['--store', store, 'put', 'k', '--value', 'v']);
    const text = await runCli(['--store', store, 'compact']);
    expect(text.stdout).toMatch(/^compacted sqlite:.*s\.sqlite, removed 0 leftovers, ran VACUUM\n$/);
    expect(JSON.parse((await runCli(['--store', store, '--json', 'compact'])).stdout)).toMatchObject({ removed: 0 });
  });
});
