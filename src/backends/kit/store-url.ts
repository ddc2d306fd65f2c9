import { homedir } from 'node:os';
import { OperationError } from '../../core/errors.ts';
import { decodeUrlPart, schemeOf } from '../../core/url.ts';

/** A URL split into its scheme, path and query parameters. */
export interface LocalUrl {
  readonly scheme: string;
  readonly path: string;
  readonly params: URLSearchParams;
}

/** How the slashes after `scheme:` are read. */
export interface LocalUrlStyle {
  /**
   * SQLAlchemy's convention, which OptiScope's documents use for `sqlite:` and `duckdb:`:
   * `sqlite:///results.db` is relative, `sqlite:////abs/results.db` absolute and `sqlite://`
   * in memory. Otherwise three slashes are absolute, as in `file:///abs/dir` (RFC 8089).
   */
  readonly sqlalchemy?: boolean | undefined;
}

/**
 * Parses URLs of local stores, which WHATWG `URL` mangles for relative paths:
 * `file:///abs/dir`, `file:./rel/dir`, `sqlite:///rel.sqlite` (with {@link LocalUrlStyle.sqlalchemy}),
 * `sqlite:./rel.sqlite`, `sqlite:/abs.sqlite`, `sqlite::memory:`; a query string
 * (`?table=x`) may follow. A leading `~` is the home folder (`~user` is refused).
 */
export function parseLocalUrl(url: string, style: LocalUrlStyle = {}): LocalUrl {
  const scheme = schemeOf(url);
  let rest = url.slice(scheme.length + 1);
  const q = rest.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  if (q >= 0) rest = rest.slice(0, q);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host !== 'localhost') {
      throw new OperationError(`A ${scheme} URL names a local path, not a host ('${host}'): ${url}`);
    }
    rest = slash < 0 ? '' : rest.slice(slash);
    // SQLAlchemy: the slash that ends the (empty) host is not part of the path.
    if (style.sqlalchemy) rest = rest.slice(1);
  }
  return { scheme, path: expandHome(decodeUrlPart(rest, url), url), params };
}

// `~` is expanded as a shell would; left alone, it would become a folder named `~`.
function expandHome(path: string, url: string): string {
  if (!path.startsWith('~')) return path;
  if (path === '~' || path.startsWith('~/')) return homedir() + path.slice(1);
  throw new OperationError(`A store URL can start its path with ~/ (your home folder), not ~name: ${url}`);
}

/**
 * The driver SQLAlchemy users append to a scheme (`postgresql+psycopg2://`, `mysql+pymysql://`,
 * `sqlite+pysqlite:///`), or `undefined`. stowage has one driver per engine and ignores it.
 */
export function driverSuffixOf(url: string): string | undefined {
  const scheme = schemeOf(url);
  const plus = scheme.indexOf('+');
  return plus < 0 ? undefined : scheme.slice(plus + 1);
}

/** Reads a `true` / `false` query parameter of a `backend` URL, or `undefined` when absent; anything else is refused. */
export function boolParam(params: URLSearchParams, name: string, backend: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new OperationError(`URL parameter '${name}' of the ${backend} backend must be true or false, got '${raw}'`, {
    backend,
  });
}

/** Reads an integer query parameter of a `backend` URL, or `undefined` when absent. */
export function intParam(params: URLSearchParams, name: string, backend: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw new OperationError(`URL parameter '${name}' of the ${backend} backend must be an integer, got '${raw}'`, {
      backend,
    });
  return n;
}
