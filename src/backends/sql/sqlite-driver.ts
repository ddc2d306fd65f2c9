import { OperationError } from '../../core/errors.ts';
import { loadDriver } from '../kit/load-driver.ts';

/** Which SQLite library runs the store: Node's built-in `node:sqlite`, or better-sqlite3. */
export type SqliteDriverName = 'node' | 'better-sqlite3';

/** A prepared statement, as both drivers offer it. */
export interface SqliteStatement {
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): { changes: number | bigint };
}

/** An open database file, as both drivers offer it. */
export interface SqliteHandle {
  readonly driver: SqliteDriverName;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}

interface NodeSqlite {
  DatabaseSync: new (
    path: string,
    options?: { readOnly?: boolean },
  ) => { prepare(sql: string): SqliteStatement; exec(sql: string): void; close(): void };
}

interface BetterSqlite {
  default: new (
    path: string,
    options?: { readonly?: boolean; fileMustExist?: boolean },
  ) => { prepare(sql: string): SqliteStatement; exec(sql: string): void; close(): void };
}

/** True when this Node has `node:sqlite` without a flag (22.13 and later). */
export function hasNodeSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

async function betterSqlite(): Promise<BetterSqlite | undefined> {
  try {
    return await loadDriver<BetterSqlite>('better-sqlite3', 'sqlite');
  } catch {
    return undefined;
  }
}

/**
 * Opens `path` with the driver asked for, or with the best one available: better-sqlite3
 * when it is installed and loads (a prebuilt or built addon), `node:sqlite` otherwise.
 * Both write the same file format.
 */
export async function openSqliteFile(path: string, wanted: SqliteDriverName | undefined): Promise<SqliteHandle> {
  if (wanted !== 'node') {
    const better =
      wanted === 'better-sqlite3' ? await loadDriver<BetterSqlite>('better-sqlite3', 'sqlite') : await betterSqlite();
    if (better) {
      try {
        const db = new better.default(path);
        return {
          driver: 'better-sqlite3',
          prepare: (sql) => db.prepare(sql),
          exec: (sql) => db.exec(sql),
          close: () => db.close(),
        };
      } catch (error) {
        // better-sqlite3 loads its addon on first use; one built for another Node version
        // fails here. Unless asked for by name, node:sqlite takes over.
        if (wanted === 'better-sqlite3' || !isAddonLoadFailure(error) || !hasNodeSqlite()) throw error;
      }
    }
  }
  if (!hasNodeSqlite()) {
    throw new OperationError(
      wanted === 'node'
        ? `driver=node needs Node.js 22.13 or later (this is ${process.versions.node})`
        : `The sqlite backend needs better-sqlite3 on Node.js ${process.versions.node}: npm install better-sqlite3 (Node.js 22.13 and later need nothing)`,
      { backend: 'sqlite' },
    );
  }
  // Imported by name at run time so bundlers and Node 20 never resolve it up front.
  const { DatabaseSync } = (await import(['node', 'sqlite'].join(':'))) as NodeSqlite;
  const db = new DatabaseSync(path);
  return { driver: 'node', prepare: (sql) => db.prepare(sql), exec: (sql) => db.exec(sql), close: () => db.close() };
}

function isAddonLoadFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|invalid ELF|bindings file/.test(String(e?.message));
}

// node:sqlite reports the SQLite result code as a number; better-sqlite3 as a name.
const PRIMARY_CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  26: 'SQLITE_NOTADB',
};

/** The SQLite result code of a driver error as a name (`SQLITE_BUSY`), whichever driver threw it. */
export function sqliteCode(error: unknown): string {
  const e = error as { code?: unknown; errcode?: unknown } | null;
  if (typeof e?.errcode === 'number') return PRIMARY_CODES[e.errcode & 0xff] ?? `SQLITE_${e.errcode}`;
  return typeof e?.code === 'string' ? e.code : '';
}
