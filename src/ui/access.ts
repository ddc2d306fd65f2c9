import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-kit.ts';

/** The header that carries the token on API calls; state-changing requests must use it. */
export const TOKEN_HEADER = 'x-stowage-token';

/** A fresh random access token (192 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The session cookie's name; it names the port, as cookies are shared by every port of a host. */
export function cookieName(port: number): string {
  return `stowage_ui_${port}`;
}

/** The `Set-Cookie` value that lets the page load its scripts and downloads without the token in each URL. */
export function sessionCookie(port: number, token: string): string {
  // SameSite=Strict: a link from another site never carries it, so it cannot be used for CSRF.
  return `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

function same(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(request: IncomingMessage, port: number): string | undefined {
  const name = `${cookieName(port)}=`;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith(name)) return trimmed.slice(name.length);
  }
  return undefined;
}

function headerToken(request: IncomingMessage): string | undefined {
  const value = request.headers[TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** How a request proved it holds the token, or `undefined` when it did not. */
export type TokenSource = 'header' | 'query' | 'cookie';

/** Which of the token's carriers in the request match the token. */
export function tokenSource(request: IncomingMessage, url: URL, token: string, port: number): TokenSource | undefined {
  if (same(headerToken(request), token)) return 'header';
  if (same(url.searchParams.get('token') ?? undefined, token)) return 'query';
  if (same(cookieToken(request, port), token)) return 'cookie';
  return undefined;
}

/**
 * Refuses a state-changing request unless the explorer was started with `--write`,
 * the token came in the header (a link or a form cannot set one), and the request
 * comes from the explorer's own page when the browser says where it comes from.
 */
export function checkWriteRequest(request: IncomingMessage, source: TokenSource, options: { write: boolean }): void {
  if (!options.write) {
    throw new HttpError(403, 'READ_ONLY', 'The explorer is read-only; start it with --write to change entries');
  }
  if (source !== 'header') {
    throw new HttpError(403, 'TOKEN_HEADER_REQUIRED', `Changes need the token in the ${TOKEN_HEADER} header`);
  }
  // The page's own origin is the host it was loaded from (127.0.0.1, localhost, ...).
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) {
    throw new HttpError(403, 'CROSS_ORIGIN', `Changes are accepted from the explorer's own page only, not ${origin}`);
  }
}
