import type * as MySql from 'mysql2/promise';
import type { BackendConfig, Capabilities, OpenOptions } from '../../core/backend.ts';
import { CapacityError } from '../../core/errors.ts';
import { BusyHold } from '../kit/busy-hold.ts';
import { classifyDriverError, type DriverErrorTable } from '../kit/driver-errors.ts';
import { SQL_CAPABILITIES, type SqlDialect, type SqlRow } from './dialect.ts';
import type { DriverPool } from './pool-runner.ts';
import { plainBytes } from './rows.ts';
import { type ServerEngine, serverBackend } from './server-open.ts';
import { type SqlServerOptions, sqlServerConfigFromUrl, sqlServerOptionsFromConfig } from './server-options.ts';
import { createTableSql } from './statements.ts';

/** Options of {@link MysqlBackend}. */
export type MysqlBackendOptions = SqlServerOptions;
export type { SqlServerOptions };

/** InnoDB's largest index key: keys are stored as their UTF-8 bytes in a VARBINARY primary key. */
export const MYSQL_MAX_KEY_BYTES = 3072;

const CAPABILITIES: Capabilities = { ...SQL_CAPABILITIES, maxKeyBytes: MYSQL_MAX_KEY_BYTES };

// Room left in a packet for the statement and the other columns of a single-row write.
const PACKET_OVERHEAD = 64 * 1024;

const MYSQL_ERRORS: DriverErrorTable = {
  connectionCodes: new Set(['PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'PROTOCOL_SEQUENCE_TIMEOUT']),
  notSentCodes: new Set(['ER_CON_COUNT_ERROR']),
  connectionMessages: /connection (closed|lost)|Connection lost|closed state/i,
};
const CAPACITY_CODES = new Set(['ER_NET_PACKET_TOO_LARGE', 'ER_RECORD_FILE_FULL', 'ER_DISK_FULL']);

function mysqlDialect(secrets: readonly (string | undefined)[], address: string): SqlDialect {
  return {
    type: 'mysql',
    capabilities: CAPABILITIES,
    // `key` is reserved in MySQL.
    keyColumn: '`k`',
    quote: (name) => `\`${name}\``,
    placeholder: () => '?',
    // VARBINARY keys order by bytes, so prefixes are range scans on the primary key.
    createTable: (table) =>
      createTableSql(`\`${table}\``, '`k`', {
        key: `VARBINARY(${MYSQL_MAX_KEY_BYTES}) NOT NULL PRIMARY KEY`,
        text: 'VARCHAR(64)',
        integer: 'BIGINT',
        json: 'JSON',
        blob: 'LONGBLOB',
        suffix: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
      }),
    tableColumns: (table) => ({
      sql: 'SELECT COLUMN_NAME AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?',
      params: [table],
    }),
    // created_at = LAST_INSERT_ID(created_at) keeps created_at and puts it in the OK
    // packet's insert id (0 for a new row: the table has no AUTO_INCREMENT column), so a
    // put needs no second statement to learn it.
    upsertClause: `ON DUPLICATE KEY UPDATE ${['etag', 'size', 'checksum', 'modified_at', 'attrs', 'value']
      .map((c) => `${c} = VALUES(${c})`)
      .join(', ')}, created_at = LAST_INSERT_ID(created_at)`,
    upsertReportsCreatedAt: true,
    // INSERT IGNORE would also turn other errors (truncation) into warnings.
    ignoreDuplicateClause: undefined,
    isDuplicateKey: (error) => (error as { code?: string } | null)?.code === 'ER_DUP_ENTRY',
    returning: false,
    // On binary strings LOCATE counts bytes.
    directChild: (param) => `LOCATE('/', \`k\`, ${param}) = 0`,
    childStart: (prefix) => (prefix ? Buffer.byteLength(prefix) + 2 : 1),
    attrFilter: (where, bind) => `JSON_CONTAINS(attrs, ${bind(JSON.stringify(where))})`,
    bindValue: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    keyOf: (raw) => (typeof raw === 'string' ? raw : (raw as Buffer).toString('utf8')),
    valueOf: plainBytes,
    compactStatements: (table) => [`OPTIMIZE TABLE \`${table}\``],
    // A multi-row statement goes through query(), which sends blobs hex-escaped: 4 MB
    // of values stays under the 16 MB max_allowed_packet default.
    batch: { rows: 500, bytes: 4 * 1024 * 1024 },
    classify: (error, context) => {
      const code = (error as { code?: string } | null)?.code ?? '';
      if (CAPACITY_CODES.has(code)) {
        return new CapacityError(`${context.what}: the server refused the size (${(error as Error).message})`, {
          key: context.key,
          backend: context.backend,
        });
      }
      return classifyDriverError(error, { ...context, secrets, address, table: MYSQL_ERRORS });
    },
  };
}

// Prepared statements (execute) send values in binary, so a 10 MB blob stays 10 MB on
// the wire. Batches (many parameters) go through query(), so the server's prepared-
// statement cache does not fill with one entry per batch size; so do statements without
// parameters, as some (BEGIN) cannot be prepared.
const MAX_PREPARED_PARAMS = 16;

// mysql2 has no exit-on-idle option: its sockets are unref'd as they open, and `hold`
// keeps the process alive from the start of each statement (or the taking of a
// connection for a transaction) until it is done.
function mysqlPool(pool: MySql.Pool, hold: BusyHold): DriverPool<MySql.Pool | MySql.PoolConnection> {
  pool.on('connection', (connection) => {
    (connection as unknown as { stream?: { unref?: () => void } }).stream?.unref?.();
  });
  unrefIdleReaper(pool);
  return {
    any: pool,
    exec: (conn, sql, params) =>
      hold.around(async () => {
        const prepared = params.length > 0 && params.length <= MAX_PREPARED_PARAMS;
        const [result] = prepared
          ? await conn.execute(sql, params as MySql.ExecuteValues)
          : await conn.query(sql, params as unknown[]);
        if (Array.isArray(result)) return { rows: result as SqlRow[], changes: 0 };
        const header = result as MySql.ResultSetHeader;
        // Only the upsert sets an insert id (see upsertClause): the created_at it kept.
        return { rows: header.insertId ? [{ created_at: header.insertId }] : [], changes: header.affectedRows };
      }),
    acquire: async () => {
      hold.enter();
      try {
        return await pool.getConnection();
      } catch (error) {
        hold.exit();
        throw error;
      }
    },
    release: (conn) => {
      (conn as MySql.PoolConnection).release();
      hold.exit();
    },
    end: () => pool.end(),
  };
}

// With maxOverflow, mysql2 checks for idle connections to close every second on a timer
// that keeps the process alive; it is unref'd each time it is set (the first one, set
// before this runs, fires within a second). Internal API, so only if it looks as expected.
function unrefIdleReaper(pool: MySql.Pool): void {
  const core = (pool as unknown as { pool?: Record<string, unknown> }).pool;
  const schedule = core?._removeIdleTimeoutConnections;
  if (!core || typeof schedule !== 'function') return;
  core._removeIdleTimeoutConnections = function (this: Record<string, unknown>) {
    schedule.call(this);
    (this._removeIdleTimeoutConnectionsTimer as NodeJS.Timeout | undefined)?.unref?.();
  };
}

const MYSQL: ServerEngine<{ default: typeof MySql }, MySql.Pool, MySql.Pool | MySql.PoolConnection> = {
  type: 'mysql',
  defaultPort: 3306,
  driver: 'mysql2/promise',
  createPool: (mysql, { login, connectTimeoutMs }, limits) =>
    mysql.default.createPool({
      ...login,
      // Connections beyond maxIdle are closed after idling: the overflow.
      connectionLimit: limits.max,
      maxIdle: limits.keep,
      connectTimeout: connectTimeoutMs,
      charset: 'utf8mb4',
      supportBigNumbers: true,
    }),
  driverPool: (pool) => mysqlPool(pool, new BusyHold()),
  dialect: mysqlDialect,
  async probe(runner) {
    const rows = await runner.all('SELECT @@max_allowed_packet AS packet', []);
    const packet = Number(rows[0]?.packet ?? 16 * 1024 * 1024);
    return { details: { maxAllowedPacket: packet }, capabilities: { maxValueBytes: packet - PACKET_OVERHEAD } };
  },
};

/**
 * MySQL or MariaDB through a `mysql2` pool. Keys live in a `VARBINARY` primary key, so
 * they order by bytes and prefixes are range scans; attrs are JSON (`where` becomes
 * `JSON_CONTAINS`), values `LONGBLOB`. Conditional writes are single statements.
 * Values are bounded by the server's `max_allowed_packet`, read at open and declared
 * as `capabilities.maxValueBytes`.
 *
 * @example
 * ```ts
 * const store = await MysqlBackend.open({ host: '127.0.0.1', user: 'root', database: 'test' });
 * ```
 */
export class MysqlBackend extends serverBackend(MYSQL) {}

/** Parses `mysql://user:pass@host:3306/db?table=...&poolSize=...&connectTimeoutMs=...&echo=true&passwordEnv=VAR`. */
export function configFromUrl(url: string): BackendConfig {
  return sqlServerConfigFromUrl(MYSQL.type, url, MYSQL.defaultPort);
}

/** Opens a store from its config. */
export async function openFromConfig(config: BackendConfig, options?: OpenOptions): Promise<MysqlBackend> {
  return MysqlBackend.open(sqlServerOptionsFromConfig(config), options);
}
