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
