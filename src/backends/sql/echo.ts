import type { SqlRunner } from './dialect.ts';

/** `true` logs to stderr; a function receives each statement. */
export type SqlEcho = boolean | ((sql: string) => void) | undefined;

/**
 * Wraps a runner so each statement is logged before it runs: its SQL text only, never
 * its parameters, so values and passwords stay out of logs.
 */
export function echoingRunner(runner: SqlRunner, echo: SqlEcho, label: string): SqlRunner {
  if (!echo) return runner;
  const log =
    typeof echo === 'function'
      ? echo
      : (line: string) => {
          process.stderr.write(`[stowage ${label}] ${line}\n`);
        };
  const say = (sql: string) => log(sql.replace(/\s+/g, ' ').trim());
  const wrap = (inner: SqlRunner): SqlRunner => ({
    all: (sql, params) => {
      say(sql);
      return inner.all(sql, params);
    },
    run: (sql, params) => {
      say(sql);
      return inner.run(sql, params);
    },
    transaction: (fn) => {
      say('BEGIN');
      return inner
        .transaction((tx) => fn(wrap(tx)))
        .then(
          (result) => {
            say('COMMIT');
            return result;
          },
          (error: unknown) => {
            say('ROLLBACK');
            throw error;
          },
        );
    },
    close: () => inner.close(),
  });
  return wrap(runner);
}
