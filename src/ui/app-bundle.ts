import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../index.ts';

/** One file of the browser app, held in memory. */
export interface BundleFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The browser app built by Vite: its files by URL path, and the page that loads them. */
export interface AppBundle {
  /** `/assets/index-1a2b.js` -> file. Nothing outside this map is ever served. */
  readonly files: ReadonlyMap<string, BundleFile>;
  /** `index.html`, with `__STOWAGE_TOKEN__` and `__STOWAGE_SESSION__` where the session's token and description go. */
  readonly indexHtml: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The placeholder in `index.html` that the server replaces with the session's token. */
export const TOKEN_PLACEHOLDER = '__STOWAGE_TOKEN__';
/** The placeholder in `index.html` for the session description (`GET /api/session`), saving the page a round trip. */
export const SESSION_PLACEHOLDER = '__STOWAGE_SESSION__';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

/** The page for one session: token and session description written into its meta tags (as attribute text). */
export function pageFor(bundle: AppBundle, token: string, session: unknown): string {
  const attribute = (text: string) => text.replace(/[&"'<>]/g, (c) => HTML_ESCAPES[c] as string);
  return bundle.indexHtml
    .replace(TOKEN_PLACEHOLDER, attribute(token))
    .replace(SESSION_PLACEHOLDER, attribute(JSON.stringify(session)));
}

// Compiled, the server sits in dist/ui/ next to the bundle in dist/ui/bundle/; run from
// the sources (tests, tsx), it sits in src/ui/ and the bundle is the built one.
const CANDIDATES = [new URL('./bundle/', import.meta.url), new URL('../../dist/ui/bundle/', import.meta.url)];

/** Where the built app is, or `undefined` when it was not built. */
export function appBundleDir(): string | undefined {
  for (const candidate of CANDIDATES) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Reads the whole built app into memory (a few hundred KB), so requests never touch the file system. */
export async function loadAppBundle(): Promise<AppBundle> {
  const dir = appBundleDir();
  if (!dir) {
    throw new OperationError(
      "The explorer's browser app is not built (no dist/ui/bundle/index.html): run 'npm run build' in the stowage package",
    );
  }
  const files = new Map<string, BundleFile>();
  let indexHtml = '';
  for (const path of await filesUnder(dir)) {
    const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
    const body = await readFile(path);
    if (urlPath === '/index.html') indexHtml = body.toString('utf8');
    else files.set(urlPath, { body, contentType: TYPES[extname(path)] ?? 'application/octet-stream' });
  }
  if (!indexHtml.includes(TOKEN_PLACEHOLDER)) {
    throw new OperationError(
      `The explorer's index.html (in ${dir}) has no ${TOKEN_PLACEHOLDER} placeholder: rebuild it`,
    );
  }
  return { files, indexHtml };
}
