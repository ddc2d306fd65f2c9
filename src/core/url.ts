import { OperationError } from './errors.ts';

/** The scheme of a store URL (`sqlite` for `sqlite:./db.sqlite`). */
export function schemeOf(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (!match?.[1]) throw new OperationError(`Not a store URL (expected scheme:...): '${url}'`);
  return match[1].toLowerCase();
}

/** A URL string with its password (if any) removed. */
export function urlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@');
  }
}

/**
 * `new URL(url)`, with a malformed URL reported as an {@link OperationError} (the
 * message holds the URL without its password) instead of Node's bare TypeError.
 */
export function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new OperationError(`Malformed store URL: '${urlWithoutPassword(url)}'`);
  }
}

/** `decodeURIComponent`, with a broken `%` escape reported as an {@link OperationError}. */
export function decodeUrlPart(text: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new OperationError(
      `Malformed %-escape in store URL (a literal % is written %25): '${urlWithoutPassword(url)}'`,
    );
  }
}
