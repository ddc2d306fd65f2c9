import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvMysql from '@keyv/mysql';
import KeyvPostgres from '@keyv/postgres';
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { open as openLmdb } from 'lmdb';
import { LRUCache } from 'lru-cache';
import mysql from 'mysql2/promise';
import storage from 'node-persist';
import pg from 'pg';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import memoryDriver from 'unstorage/drivers/memory';
import redisDriver from 'unstorage/drivers/redis';
import { type Backend, getCodec, openBackend } from '../src/index.ts';

/** Something that stores and reads JSON values by string key. */
export interface Subject {
  name: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** The stowage, peer and raw subjects of one engine. */
export interface Engine {
  name: string;
  stowage: Subject & { backend: Backend };
  peers: Subject[];
  raw: Subject;
}

const json = getCodec('json');
const enc = (v: unknown) => JSON.stringify(v);
const dec = (s: string | undefined | null) => (s == null ? undefined : JSON.parse(s));
export const scratch = mkdtempSync(join(tmpdir(), 'stowage-bench-'));
export const removeScratch = () => rmSync(scratch, { recursive: true, force: true });

async function stowage(name: string, url: string): Promise<Subject & { backend: Backend }> {
  const backend = await openBackend(url);
  return {
    name,
    backend,
    get: async (k) => {
      const hit = await backend.get(k);
      return hit ? json.decode(hit.value) : undefined;
    },
    set: (k, v) => backend.put(k, json.encode(v)),
    close: () => backend.close(),
  };
}

// Each subject's keys live in a namespace of its own and are cleared on close, so a run
// leaves nothing behind on a shared server (keyv's default namespace is 'keyv').
function keyv(name: string, keyvStore: unknown, namespace = 'keyv'): Subject {
  const k = new Keyv({ store: keyvStore as never, namespace });
  k.on('error', () => undefined);
  return {
    name,
    get: (key) => k.get(key),
    set: (key, v) => k.set(key, v),
    close: async () => {
      await k.clear();
      await k.disconnect();
    },
  };
}

function unstorageSubject(name: string, driver: Parameters<typeof createStorage>[0]): Subject {
  const s = createStorage(driver);
  return { name, get: (k) => s.getItem(k), set: (k, v) => s.setItem(k, v as never), close: () => s.dispose() };
}

const unique = (base: string) => `${base}_${process.pid}_${randomBytes(3).toString('hex')}`;

/** Engines available on this machine (server ones only when their server answers). */
export async function engines(
  which: string[],
  servers: { postgres: boolean; mysql: boolean; redis: boolean },
): Promise<Engine[]> {
  const out: Engine[] = [];
  if (which.includes('memory')) {
    // Holds JSON text and parses it on every get, like every other subject here.
    const map = new Map<string, string>();
    const lru = new LRUCache<string, string>({ max: 1_000_000 });
    out.push({
      name: 'memory',
      stowage: await stowage('stowage', 'memory://'),
      peers: [
        keyv('keyv', new Map()),
        unstorageSubject('unstorage', { driver: memoryDriver() }),
        {
          name: 'lru-cache',
          get: async (k) => dec(lru.get(k)),
          set: async (k, v) => lru.set(k, enc(v)),
          close: async () => undefined,
        },
      ],
      raw: {
        name: 'raw Map',
        get: async (k) => dec(map.get(k)),
        set: async (k, v) => map.set(k, enc(v)),
        close: async () => undefined,
      },
    });
  }
  if (which.includes('sqlite')) {
    const raw = await rawSqlite(join(scratch, 'raw.sqlite'));
    out.push({
      name: 'sqlite',
      stowage: await stowage('stowage', `sqlite:${scratch}/stowage.sqlite?driver=${raw.driver}`),
      peers: [keyv('keyv (@keyv/sqlite)', new KeyvSqlite(`sqlite://${scratch}/keyv.sqlite`))],
      raw: raw.subject,
    });
  }
  if (which.includes('fs')) {
    const rawDir = join(scratch, 'raw-fs');
    mkdirSync(rawDir, { recursive: true });
    await storage.init({ dir: join(scratch, 'node-persist') });
    const file = (k: string) => join(rawDir, encodeURIComponent(k));
    out.push({
      name: 'fs',
      stowage: await stowage('stowage (no fsync)', `file:${scratch}/stowage-fs?fsync=false`),
      peers: [
        await stowage('stowage (fsync)', `file:${scratch}/stowage-fs-sync`),
        unstorageSubject('unstorage', { driver: fsDriver({ base: join(scratch, 'unstorage-fs') }) }),
        {
          name: 'node-persist',
          get: (k) => storage.getItem(k),
          set: (k, v) => storage.setItem(k, v),
          close: async () => undefined,
        },
      ],
      raw: {
        name: 'raw fs write+rename',
        get: async (k) => dec(await readFile(file(k), 'utf8').catch(() => undefined)),
        set: async (k, v) => {
          const tmp = `${file(k)}.${randomBytes(4).toString('hex')}`;
          await writeFile(tmp, enc(v));
          await rename(tmp, file(k));
        },
        close: async () => undefined,
      },
    });
  }
  if (which.includes('lmdb')) {
    const raw = openLmdb({ path: join(scratch, 'raw-lmdb'), encoding: 'string' });
    out.push({
      name: 'lmdb',
      stowage: await stowage('stowage', `lmdb:${scratch}/stowage-lmdb`),
      peers: [],
      raw: {
        name: 'raw lmdb-js',
        get: async (k) => dec(raw.get(k) as string | undefined),
        set: (k, v) => raw.put(k, enc(v)),
        close: () => raw.close(),
      },
    });
  }
  if (which.includes('postgres') && servers.postgres) {
    const table = unique('bench');
    const pool = new pg.Pool({ host: '127.0.0.1', user: 'postgres', database: 'test', max: 5 });
    await pool.query(`CREATE TABLE ${table}_raw (key TEXT COLLATE "C" PRIMARY KEY, value TEXT)`);
    out.push({
      name: 'postgres',
      stowage: await stowage('stowage', `postgres://postgres@127.0.0.1:5432/test?table=${table}`),
      peers: [
        keyv(
          'keyv (@keyv/postgres)',
          new KeyvPostgres({ uri: 'postgresql://postgres@127.0.0.1:5432/test', table: `${table}_keyv` }),
        ),
      ],
      raw: {
        name: 'raw pg',
        get: async (k) => dec((await pool.query(`SELECT value FROM ${table}_raw WHERE key = $1`, [k])).rows[0]?.value),
        set: (k, v) =>
          pool.query(
            `INSERT INTO ${table}_raw (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
            [k, enc(v)],
          ),
        close: async () => {
          for (const t of [`${table}_raw`, `${table}_keyv`, table]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
          await pool.end();
        },
      },
    });
  }
  if (which.includes('mysql') && servers.mysql) {
    const table = unique('bench');
    const pool = mysql.createPool({ host: '127.0.0.1', user: 'root', database: 'test', connectionLimit: 5 });
    await pool.query(`CREATE TABLE ${table}_raw (\`k\` VARBINARY(3072) PRIMARY KEY, value LONGTEXT)`);
    out.push({
      name: 'mysql',
      stowage: await stowage('stowage', `mysql://root@127.0.0.1:3306/test?table=${table}`),
      peers: [
        keyv('keyv (@keyv/mysql)', new KeyvMysql({ uri: 'mysql://root@127.0.0.1:3306/test', table: `${table}_keyv` })),
      ],
      raw: {
        name: 'raw mysql2',
        get: async (k) =>
          dec(
            ((await pool.execute(`SELECT value FROM ${table}_raw WHERE \`k\` = ?`, [k]))[0] as { value: string }[])[0]
              ?.value,
          ),
        set: (k, v) =>
          pool.execute(
            `INSERT INTO ${table}_raw (\`k\`, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)`,
            [k, enc(v)],
          ),
        close: async () => {
          for (const t of [`${table}_raw`, `${table}_keyv`, table]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
          await pool.end();
        },
      },
    });
  }
  if (which.includes('redis') && servers.redis) {
    const prefix = unique('bench');
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    out.push({
      name: 'redis',
      stowage: await stowage('stowage', `redis://127.0.0.1:6379/0?prefix=${prefix}`),
      peers: [
        keyv('keyv (@keyv/redis)', new KeyvRedis('redis://127.0.0.1:6379'), `${prefix}_keyv`),
        unstorageSubject('unstorage (redis)', {
          driver: redisDriver({ base: `${prefix}_u`, host: '127.0.0.1', port: 6379 }),
        }),
      ],
      raw: {
        name: 'raw ioredis',
        get: async (k) => dec(await client.get(`${prefix}_raw:${k}`)),
        set: (k, v) => client.set(`${prefix}_raw:${k}`, enc(v)),
        close: async () => {
          for (const pattern of [`${prefix}*`, `{${prefix}}*`]) {
            const keys = await client.keys(pattern);
            if (keys.length) await client.del(...keys);
          }
          client.disconnect();
        },
      },
    });
  }
  return out;
}

/** A SQLite connection as both raw drivers offer it. */
export interface SqliteDb {
  prepare(sql: string): {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number | bigint };
  };
  exec(sql: string): void;
  close(): void;
}

/** The raw SQLite driver that runs here, and its subject name (`raw better-sqlite3`, `raw node:sqlite`). */
export interface RawSqlite {
  db: SqliteDb;
  driver: 'better-sqlite3' | 'node';
  name: string;
}

/**
 * Opens `path` with the raw driver the sqlite backend runs on here: better-sqlite3 when
 * its addon loads on this Node, else the built-in node:sqlite (Node 22.13+).
 */
export async function openRawSqlite(path: string): Promise<RawSqlite> {
  const raw = await openRawSqliteDriver(path);
  // The journal settings of stowage's sqlite backend, so both subjects pay the same
  // locking and syncing (a rollback journal made a raw read ~3x dearer than a WAL one).
  raw.db.exec('PRAGMA journal_mode = WAL');
  raw.db.exec('PRAGMA synchronous = NORMAL');
  return raw;
}

async function openRawSqliteDriver(path: string): Promise<RawSqlite> {
  try {
    const { default: Database } = await import('better-sqlite3');
    return { db: new Database(path) as unknown as SqliteDb, driver: 'better-sqlite3', name: 'raw better-sqlite3' };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_DLOPEN_FAILED') throw error;
    const { DatabaseSync } = (await import(['node', 'sqlite'].join(':'))) as {
      DatabaseSync: new (path: string) => SqliteDb;
    };
    return { db: new DatabaseSync(path), driver: 'node', name: 'raw node:sqlite' };
  }
}

async function rawSqlite(path: string): Promise<{ driver: RawSqlite['driver']; subject: Subject }> {
  const { db, driver, name } = await openRawSqlite(path);
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)');
  const get = db.prepare('SELECT value FROM kv WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  return {
    driver,
    subject: {
      name,
      get: async (k) => dec((get.get(k) as { value: string } | undefined)?.value),
      set: async (k, v) => set.run(k, enc(v)),
      close: async () => void db.close(),
    },
  };
}
