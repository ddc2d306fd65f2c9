import type { Capabilities, OpenOptions } from '../../core/backend.ts';
import type { JsonObject } from '../../core/json.ts';
import { loadDriver, packageOf } from '../kit/load-driver.ts';
import { checkOptions } from '../kit/options.ts';
import type { SqlDialect, SqlRunner } from './dialect.ts';
import { echoingRunner } from './echo.ts';
import { type DriverPool, poolRunner } from './pool-runner.ts';
import {
  poolLimits,
  type ServerTarget,
  SQL_SERVER_OPTIONS,
  type SqlServerOptions,
  serverDetails,
  serverTarget,
  sqlServerConfig,
} from './server-options.ts';
import { SqlBackend, type SqlBackendSetup } from './sql-backend.ts';
import { prepareTable } from './table-check.ts';

/** What one server engine (PostgreSQL, MySQL) brings to opening a store; the steps around it are shared. */
export interface ServerEngine<D, P, C> {
  /** Backend type, e.g. `postgres`. */
  readonly type: string;
  /** The port when the options name none. */
  readonly defaultPort: number;
  /** The driver module, loaded on the first open (e.g. `mysql2/promise`); its package is named in `info()`. */
  readonly driver: string;
  /** Creates a pool with the loaded driver, keeping `keep` connections and opening at most `max`. */
  createPool(driver: D, target: ServerTarget, limits: { keep: number; max: number }): P;
  /** The pool as the shared runner drives it; its `end` also closes the pool when opening fails. */
  driverPool(pool: P): DriverPool<C>;
  /** The dialect, with the secrets it keeps out of errors and the address it names in them. */
  dialect(secrets: readonly (string | undefined)[], address: string): SqlDialect;
  /** Reads server settings that bound the store (e.g. MySQL's packet size), once the table is ready. */
  probe?(runner: SqlRunner): Promise<{ details: JsonObject; capabilities: Partial<Capabilities> }>;
}

/**
 * Connects, creates or checks the table, and returns what {@link SqlBackend} needs; a
 * failure closes the pool and is classified by the engine's dialect.
 */
export async function openServerStore<D, P, C>(
  engine: ServerEngine<D, P, C>,
  options: SqlServerOptions,
  openOptions: OpenOptions,
): Promise<SqlBackendSetup> {
  checkOptions(options, SQL_SERVER_OPTIONS, engine.type);
  const target = serverTarget(engine.type, options, engine.defaultPort);
  const { options: full, label, address } = target;
  const driver = await loadDriver<D>(engine.driver, engine.type);
  const pool = engine.driverPool(engine.createPool(driver, target, poolLimits(engine.type, full)));
  const dialect = engine.dialect([target.login.password], address);
  const runner = echoingRunner(poolRunner(pool), full.echo, label);
  let probed: { details: JsonObject; capabilities: Partial<Capabilities> } | undefined;
  try {
    await prepareTable(runner, dialect, { table: full.table, create: openOptions.create ?? true, label });
    probed = await engine.probe?.(runner);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw dialect.classify(error, { what: 'open', write: true, backend: label });
  }
  return {
    dialect,
    runner,
    table: full.table,
    label,
    location: label,
    config: sqlServerConfig(engine.type, full),
    details: { ...serverDetails(full, packageOf(engine.driver)), ...probed?.details },
    capabilities: probed?.capabilities,
  };
}

/** A server engine's backend class, as {@link serverBackend} makes it. */
export interface ServerBackendClass {
  /** @internal `open()` builds the setup. */
  new (setup: SqlBackendSetup): SqlBackend;
  /**
   * Connects, and creates the table on first use; with `{ create: false }` the table must
   * exist already (`StoreNotFoundError`). Idle connections never keep the process alive.
   */
  open<B>(this: new (setup: SqlBackendSetup) => B, options: SqlServerOptions, openOptions?: OpenOptions): Promise<B>;
}

/** The base of a server engine's backend class: a {@link SqlBackend} whose `open` connects through `engine`. */
export function serverBackend<D, P, C>(engine: ServerEngine<D, P, C>): ServerBackendClass {
  return class extends SqlBackend {
    static async open<B>(
      this: new (
        setup: SqlBackendSetup,
      ) => B,
      options: SqlServerOptions,
      openOptions: OpenOptions = {},
    ): Promise<B> {
      return new this(await openServerStore(engine, options, openOptions));
    }
  };
}
