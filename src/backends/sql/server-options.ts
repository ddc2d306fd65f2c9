import type { BackendConfig } from '../../core/backend.ts';
import { OperationError } from '../../core/errors.ts';
import type { JsonObject } from '../../core/json.ts';
import { decodeUrlPart, parseUrl } from '../../core/url.ts';
import { checkIdentifier } from '../kit/identifiers.ts';
import { checkKnownParams, type OptionRules, optionsFromConfig, passwordFrom } from '../kit/options.ts';
import { boolParam, driverSuffixOf, intParam } from '../kit/store-url.ts';

/** Connection options shared by the PostgreSQL and MySQL backends. */
export interface SqlServerOptions {
  /** Server host (default `127.0.0.1`). */
  host?: string | undefined;
  /** Server port (default 5432 for PostgreSQL, 3306 for MySQL). */
  port?: number | undefined;
  /** User name (the driver's default when absent). */
  user?: string | undefined;
  /** Never stored in `toConfig()` or shown in errors; prefer `passwordEnv`. */
  password?: string | undefined;
  /** Name of an environment variable holding the password (kept in `toConfig()`). */
  passwordEnv?: string | undefined;
  /** Database name (the driver's default when absent). */
  database?: string | undefined;
  /** Table holding the entries (default `stowage`); lets several stores share one database. */
  table?: string | undefined;
  /** Connections the pool keeps (default 5). */
  poolSize?: number | undefined;
  /**
   * Connections opened beyond `poolSize` while all are busy, and closed again once idle
   * (SQLAlchemy's `max_overflow`, default 0).
   */
  maxOverflow?: number | undefined;
  /** How long to wait for a connection, in ms (default 5000). */
  connectTimeoutMs?: number | undefined;
  /** Log each SQL statement (never its parameters) with this function, or to stderr when `true`. */
  echo?: boolean | ((sql: string) => void) | undefined;
  /**
   * The driver a SQLAlchemy URL named (`postgresql+psycopg2://`, `mysql+pymysql://`),
   * ignored: `info()` notes it. Not kept by `toConfig()`.
   */
  urlDriver?: string | undefined;
}

/** The options of a server store, with what each value must be (ranges of the pool sizes: {@link poolLimits}). */
export const SQL_SERVER_OPTIONS: OptionRules = {
  host: 'string',
  port: 'port',
  user: 'string',
  password: 'string',
  passwordEnv: 'string',
  database: 'string',
  table: 'string',
  poolSize: 'integer',
  maxOverflow: 'integer',
  connectTimeoutMs: 'positive milliseconds',
  echo: 'echo',
  urlDriver: 'string',
};

const URL_PARAMS = ['table', 'poolSize', 'maxOverflow', 'connectTimeoutMs', 'echo', 'passwordEnv'];

/**
 * Parses `scheme://user:pass@host:port/db?table=...&poolSize=...&connectTimeoutMs=...&echo=true&passwordEnv=VAR`;
 * a SQLAlchemy driver after the scheme (`postgresql+psycopg2://`) is ignored, and noted in `info()`.
 */
export function sqlServerConfigFromUrl(type: string, url: string, defaultPort: number): BackendConfig {
  const u = parseUrl(url);
  const params = u.searchParams;
  checkKnownParams(params, URL_PARAMS, type);
  return {
    type,
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : defaultPort,
    user: u.username ? decodeUrlPart(u.username, url) : undefined,
    database: u.pathname.replace(/^\//, '') || undefined,
    table: params.get('table') ?? undefined,
    poolSize: intParam(params, 'poolSize', type),
    maxOverflow: intParam(params, 'maxOverflow', type),
    connectTimeoutMs: intParam(params, 'connectTimeoutMs', type),
    echo: boolParam(params, 'echo', type),
    passwordEnv: params.get('passwordEnv') ?? undefined,
    urlDriver: driverSuffixOf(url),
    // Kept out of toConfig(); only used to open this one connection.
    password: u.password ? decodeUrlPart(u.password, url) : undefined,
  };
}

/** The options a config describes, as `open()` takes them (and checks them: {@link SQL_SERVER_OPTIONS}). */
export function sqlServerOptionsFromConfig(config: BackendConfig): SqlServerOptions {
  return optionsFromConfig<SqlServerOptions>(config);
}

/** `info()` details of a server store: its pool size, and the note of an ignored URL driver. */
export function serverDetails(options: SqlServerOptions, driver: string): JsonObject {
  const details: JsonObject = { poolSize: options.poolSize ?? 5 };
  if (options.urlDriver) details.note = `the URL's driver '+${options.urlDriver}' is ignored: stowage uses ${driver}`;
  return details;
}

/** The config of a store opened with `options` (never the password). */
export function sqlServerConfig(
  type: string,
  options: SqlServerOptions & { host: string; port: number; table: string },
): BackendConfig {
  return {
    type,
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    table: options.table,
    poolSize: options.poolSize,
    maxOverflow: options.maxOverflow,
    connectTimeoutMs: options.connectTimeoutMs,
    passwordEnv: options.passwordEnv,
    echo: options.echo === true ? true : undefined,
  };
}

/** Pool sizes from the options: connections kept, and the most open at once. */
export function poolLimits(type: string, options: SqlServerOptions): { keep: number; max: number } {
  const keep = options.poolSize ?? 5;
  const overflow = options.maxOverflow ?? 0;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new OperationError(`poolSize must be a positive integer, got ${keep}`, { backend: type });
  }
  if (!Number.isInteger(overflow) || overflow < 0) {
    throw new OperationError(`maxOverflow must be a non-negative integer, got ${overflow}`, { backend: type });
  }
  return { keep, max: keep + overflow };
}

/** Where and as whom a driver connects: the fields both drivers name alike. */
export interface ServerLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
}

/** Where a server store lives, resolved once at open: defaults filled in, password looked up. */
export interface ServerTarget {
  readonly options: SqlServerOptions & { table: string; host: string; port: number };
  /** What the engine hands its driver's pool to connect. */
  readonly login: ServerLogin;
  /** How long to wait for a connection, in ms. */
  readonly connectTimeoutMs: number;
  /** `scheme://user@host:port/db?table=...`, never with the password. */
  readonly label: string;
  /** `host:port`, for connection errors. */
  readonly address: string;
}

/** Fills in the defaults of `options` for a server of `type` listening on `defaultPort`. */
export function serverTarget(type: string, options: SqlServerOptions, defaultPort: number): ServerTarget {
  const table = checkIdentifier(options.table ?? 'stowage', 'table name', type);
  const full = { ...options, table, host: options.host ?? '127.0.0.1', port: options.port ?? defaultPort };
  const user = full.user ? `${full.user}@` : '';
  return {
    options: full,
    login: {
      host: full.host,
      port: full.port,
      user: full.user,
      password: passwordFrom(options),
      database: full.database,
    },
    connectTimeoutMs: full.connectTimeoutMs ?? 5000,
    label: `${type}://${user}${full.host}:${full.port}/${full.database ?? ''}?table=${table}`,
    address: `${full.host}:${full.port}`,
  };
}
