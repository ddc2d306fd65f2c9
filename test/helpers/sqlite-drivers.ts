import { openSqliteFile, type SqliteDriverName } from '../../src/backends/sql/sqlite-driver.ts';

/** Why a sqlite driver cannot run on this Node, or `undefined` when it can. */
async function unavailable(driver: SqliteDriverName): Promise<string | undefined> {
  try {
    const db = await openSqliteFile(':memory:', driver);
    db.close();
    return undefined;
  } catch (error) {
    return `${driver} cannot run on Node ${process.versions.node}: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Each sqlite driver with the reason it is skipped here (none when it runs). */
export async function sqliteDrivers(): Promise<{ driver: SqliteDriverName; skip: string | undefined }[]> {
  return [
    { driver: 'better-sqlite3', skip: await unavailable('better-sqlite3') },
    { driver: 'node', skip: await unavailable('node') },
  ];
}

/** A raw handle on a database file, through whichever driver this Node runs. */
export const openRawSqlite = (path: string) => openSqliteFile(path, undefined);
