import { OperationError } from '../../core/errors.ts';
import { schemeOf } from '../../core/url.ts';

/** A URL split into its scheme, path and query parameters. */
export interface LocalUrl {
  readonly scheme: string;
  readonly path: string;
  readonly params: URLSearchParams;
}

/**
 * Parses URLs of local stores, which WHATWG `URL` mangles for relative paths:
 * `file:///abs/dir`, `file:./rel/dir`, `sqlite:///abs.sqlite`, `sqlite:./rel.sqlite`,
 * `sqlite::memory:`; a query string (`?table=x`) may follow.
 */
export function parseLocalUrl(url: string): LocalUrl {
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
  }
  return { scheme, path: decodeURIComponent(rest), params };
}

/** Reads an integer query parameter, or `undefined` when absent. */
export function intParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new OperationError(`URL parameter '${name}' must be an integer, got '${raw}'`);
  return n;
}
