import type { SqlRow, SqlRunner } from './dialect.ts';

/** One connection of a server driver's pool, as {@link poolRunner} needs it. */
export interface PooledConnection {
  all(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  begin(): Promise<unknown>;
  commit(): Promise<unknown>;
  rollback(): Promise<unknown>;
  release(): void;
}

/** A server driver's pool, as {@link poolRunner} needs it. */
export interface ConnectionPool {
  /** Runs one statement on any free connection. */
  all(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  connect(): Promise<PooledConnection>;
  end(): Promise<void>;
}

/**
 * A runner over a pool: single statements on any connection, a transaction on one
 * connection taken from the pool for its duration and rolled back when it throws.
 */
export function poolRunner(pool: ConnectionPool): SqlRunner {
  const transaction = async <T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> => {
    const conn = await pool.connect();
    try {
      await conn.begin();
      const result = await fn(txRunnerOf(conn));
      await conn.commit();
      return result;
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      throw error;
    } finally {
      conn.release();
    }
  };
  return {
    all: (sql, params) => pool.all(sql, params),
    run: (sql, params) => pool.run(sql, params),
    transaction,
    close: () => pool.end(),
  };
}

// A nested transaction joins the one already open on the connection.
function txRunnerOf(conn: PooledConnection): SqlRunner {
  const tx: SqlRunner = {
    all: (sql, params) => conn.all(sql, params),
    run: (sql, params) => conn.run(sql, params),
    transaction: (inner) => inner(tx),
    close: async () => undefined,
  };
  return tx;
}
