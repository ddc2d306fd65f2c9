import { OperationError, StoreNotFoundError } from '../../core/errors.ts';
import type { SqlDialect, SqlRunner } from './dialect.ts';
import { TABLE_COLUMNS } from './statements.ts';

/** What {@link prepareTable} needs to know about the store being opened. */
export interface TableTarget {
  readonly table: string;
  /** False: the table must exist already, nothing is created. */
  readonly create: boolean;
  /** The backend label, for errors. */
  readonly label: string;
}

/**
 * Makes sure `table` is a stowage table before anything else runs on it: created when
 * missing (unless `create` is false: then `StoreNotFoundError`), and refused, naming its
 * columns and the `table` option, when a table of that name holds something else.
 * Otherwise the first statement would fail with the engine's "no such column: key".
 */
export async function prepareTable(runner: SqlRunner, dialect: SqlDialect, target: TableTarget): Promise<void> {
  const columns = await columnsOf(runner, dialect, target.table);
  if (columns.length === 0) {
    if (!target.create) {
      throw new StoreNotFoundError(
        `There is no table '${target.table}' here, and create is false (it opens existing stores only)`,
        { backend: target.label },
      );
    }
    await createTable(runner, dialect, target.table);
    return;
  }
  const expected = [dialect.keyColumn.replaceAll('`', ''), ...TABLE_COLUMNS];
  const missing = expected.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new OperationError(
      `The table '${target.table}' is not a stowage table: it has the columns ${columns.join(', ')}, not ${missing.join(', ')}. ` +
        `Give stowage a table of its own: ?table=<name> in the URL, or the table option`,
      { backend: target.label },
    );
  }
}

async function columnsOf(runner: SqlRunner, dialect: SqlDialect, table: string): Promise<string[]> {
  const { sql, params } = dialect.tableColumns(table);
  const rows = await runner.all(sql, params);
  return rows.map((row) => String(row.name).toLowerCase());
}

async function createTable(runner: SqlRunner, dialect: SqlDialect, table: string): Promise<void> {
  try {
    await runner.run(dialect.createTable(table), []);
  } catch (error) {
    // Two processes creating the same table at once: the loser may see a duplicate
    // (PostgreSQL: of the table's row type) although the statement says IF NOT EXISTS.
    if (!/already exists|duplicate key/i.test(String((error as Error)?.message))) throw error;
  }
}
