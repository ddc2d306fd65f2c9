import type { Capabilities, OpenOptions } from '../../core/backend.ts';
import type { JsonObject } from '../../core/json.ts';
import type { SqlDialect, SqlRunner } from './dialect.ts';
import { echoingRunner } from './echo.ts';
import { type DriverPool, poolRunner } from './pool-runner.ts';
import {
  poolLimits,
  type ServerTarget,
  type SqlServerOptions,
  serverDetails,
  serverTarget,
  sqlServerConfig,
} from './server-options.ts';
import type { SqlBackendSetup } from './sql-backend.ts';
import { prepareTable } from './table-check.ts';

/** What one server engine (PostgreSQL, MySQL) brings to opening a store; the steps around it are shared. */
export interface ServerEngine<P, C> {
  /** Backend type, e.g. `postgres`. */
  readonly type: string;
  /** The port when the options name none. */
  readonly defaultPort: number;
  /** The driver package, for `info()`. */
  readonly driver: string;
  /** Loads the driver and creates a pool keeping `keep` connections and opening at most `max`. */
  createPool(target: ServerTarget, limits: { keep: number; max: number }): Promise<P>;
  /** The pool as the shared runner drives it. */
  driverPool(pool: P): DriverPool<C>;
  /** Closes the pool when opening fails. */
  endPool(pool: P): Promise<void>;
  /** The dialect, with the secrets it keeps out of errors and the address it names in them. */
  dialect(secrets: readonly (string | undefined)[], address: string): SqlDialect;
  /** Reads server settings that bound the store (e.g. MySQL's packet size), once the table is ready. */
  probe?(runner: SqlRunner): Promise<{ details: JsonObject; capabilities: Partial<Capabilities> }>;
}

/**
 * Connects, creates or checks the table, and returns what {@link SqlBackend} needs; a
 * failure closes the pool and is classified by the engine's dialect.
 */
export async function openServerStore<P, C>(
  engine: ServerEngine<P, C>,
  options: SqlServerOptions,
  openOptions: OpenOptions,
): Promise<SqlBackendSetup> {
  const target = serverTarget(engine.type, options, engine.defaultPort);
  const { options: full, password, label, address } = target;
  const pool = await engine.createPool(target, poolLimits(engine.type, full));
  const dialect = engine.dialect([password], address);
  const runner = echoingRunner(poolRunner(engine.driverPool(pool)), full.echo, label);
  let probed: { details: JsonObject; capabilities: Partial<Capabilities> } | undefined;
  try {
    await prepareTable(runner, dialect, { table: full.table, create: openOptions.create ?? true, label });
    probed = await engine.probe?.(runner);
  } catch (error) {
    await engine.endPool(pool).catch(() => undefined);
    throw dialect.classify(error, { what: 'open', write: true, backend: label });
  }
  return {
    dialect,
    runner,
    table: full.table,
    label,
    location: label,
    config: sqlServerConfig(engine.type, full),
    details: { ...serverDetails(full, engine.driver), ...probed?.details },
    capabilities: probed?.capabilities,
  };
}
