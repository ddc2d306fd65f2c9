import type { SqlRow, SqlRunner } from './dialect.ts';

/** A server driver's pool, reduced to what {@link poolRunner} needs. `C` is a pool or one of its connections. */
export interface DriverPool<C> {
  /** The pool itself, which runs a single statement on any free connection. */
  readonly any: C;
  /** Runs one statement on `conn`. */
  exec(conn: C, sql: string, params: readonly unknown[]): Promise<{ rows: SqlRow[]; changes: number }>;
  /** Takes one connection out of the pool. */
  acquire(): Promise<C>;
  /** Gives it back. */
  release(conn: C): void;
  /** Closes every connection. */
  end(): Promise<void>;
}

/**
 * A runner over a pool: single statements on any connection; a transaction on one
 * connection held for its duration and rolled back when it throws. A transaction
 * opened inside one joins it.
 */
export function poolRunner<C>(pool: DriverPool<C>): SqlRunner {
  const on = (conn: C, transaction: SqlRunner['transaction']): SqlRunner => ({
    all: async (sql, params) => (await pool.exec(conn, sql, params)).rows,
    run: async (sql, params) => (await pool.exec(conn, sql, params)).changes,
    transaction,
    close: () => pool.end(),
  });
  return on(pool.any, async (fn) => {
    const conn = await pool.acquire();
    try {
      await pool.exec(conn, 'BEGIN', []);
      const tx: SqlRunner = on(conn, (inner) => inner(tx));
      const result = await fn(tx);
      await pool.exec(conn, 'COMMIT', []);
      return result;
    } catch (error) {
      await pool.exec(conn, 'ROLLBACK', []).catch(() => undefined);
      throw error;
    } finally {
      pool.release(conn);
    }
  });
}
