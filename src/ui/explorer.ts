import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationError } from '../index.ts';
import { checkWriteRequest, newToken, sessionCookie, type TokenSource, tokenSource } from './access.ts';
import { type AppBundle, loadAppBundle, pageFor } from './app-bundle.ts';
import { type ExplorerStoreInput, openExplorerStores } from './explorer-stores.ts';
import { errorReply, HttpError, QueryParams, type Reply } from './http-kit.ts';
import { ResultCache } from './result-cache.ts';
import { callRoutes } from './routes/calls.ts';
import { entryRoutes } from './routes/entry.ts';
import { keyRoutes } from './routes/keys.ts';
import { resultRoutes } from './routes/results.ts';
import type { ExplorerContext, Route } from './routes/route.ts';
import { sessionOf, storeRoutes } from './routes/stores.ts';
import { tierRoutes } from './routes/tiers.ts';

/** Options of {@link startExplorer}. */
export interface ExplorerOptions {
  /** The stores to show: URLs, configs, open backends (tiered too) or StorageManagers. */
  stores: readonly ExplorerStoreInput[];
  /** Interface to listen on (default `127.0.0.1`, loopback only). */
  host?: string | undefined;
  /** Port (default 0: any free port). */
  port?: number | undefined;
  /** Allow editing attributes and deleting entries (default false: read-only). */
  write?: boolean | undefined;
  /** The access token (default: a fresh random one). */
  token?: string | undefined;
  /** Backend prefix of the results (default `results`, as ResultStore). */
  resultsPrefix?: string | undefined;
  /** Backend prefix of memoised values and calls (default `cas`, as createMemoStore). */
  casPrefix?: string | undefined;
  /**
   * Create stores given as URLs or configs when they do not exist (default true, as
   * `openBackend`); `false` opens existing stores only (`stowage ui` does).
   */
  create?: boolean | undefined;
}

/** A running explorer. */
export interface Explorer extends AsyncDisposable {
  /** The URL to open, token included. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  /** The access token every request must carry (URL, header or session cookie). */
  readonly token: string;
  /** The port the server listens on (the one chosen when started with port 0). */
  readonly port: number;
  /** Stops the server and closes the stores it opened. */
  close(): Promise<void>;
}

const OPTION_NAMES = ['stores', 'host', 'port', 'write', 'token', 'resultsPrefix', 'casPrefix', 'create'];

const SECURITY_HEADERS: Record<string, string> = {
  // Scripts only from the bundle: a key or value that looks like HTML can never run as code.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function checkOptions(options: ExplorerOptions): void {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) {
      throw new OperationError(`Unknown explorer option '${name}' (known: ${OPTION_NAMES.join(', ')})`);
    }
  }
}

function send(response: ServerResponse, reply: Reply, cacheable = false): void {
  response.writeHead(reply.status, {
    ...SECURITY_HEADERS,
    'cache-control': cacheable ? 'private, max-age=31536000, immutable' : 'no-store',
    ...reply.headers,
  });
  const body = reply.body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    // Headers are gone once the first chunk is: a failure midway can only cut the
    // connection, which the browser reports as a failed download, not a short file.
    pipeline(Readable.fromWeb(body), response).catch(() => response.destroy());
    return;
  }
  response.end(body);
}

const FORBIDDEN: Reply = {
  status: 403,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Forbidden: open the URL that `stowage ui` printed (it carries the access token).\n',
};

/** Serves the API and the bundled app for a set of open stores. */
class ExplorerServer {
  readonly #routes: Route[];
  readonly #context: ExplorerContext;
  readonly #bundle: AppBundle;
  readonly #token: string;
  #port = 0;

  constructor(context: ExplorerContext, bundle: AppBundle, token: string) {
    this.#context = context;
    this.#bundle = bundle;
    this.#token = token;
    this.#routes = [
      ...storeRoutes(context),
      ...keyRoutes(),
      ...entryRoutes(),
      ...resultRoutes(context),
      ...callRoutes(),
      ...tierRoutes(context),
    ];
  }

  /** Records the port the server got (the session cookie is named after it). */
  listening(port: number): void {
    this.#port = port;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://explorer.invalid');
    const source = tokenSource(request, url, this.#token, this.#port);
    if (!source) return send(response, FORBIDDEN);
    if (url.pathname.startsWith('/api/')) return send(response, await this.#api(request, url, source));
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, errorReply(new HttpError(405, 'METHOD_NOT_ALLOWED', 'Pages are read with GET')));
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return send(response, {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'set-cookie': sessionCookie(this.#port, this.#token),
        },
        body: pageFor(this.#bundle, this.#token, sessionOf(this.#context)),
      });
    }
    // Only the bundle's own files, looked up by exact path: no request names a file on disk.
    const file = this.#bundle.files.get(url.pathname);
    if (!file) return send(response, { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found\n' });
    send(response, { status: 200, headers: { 'content-type': file.contentType }, body: file.body }, true);
  }

  async #api(request: IncomingMessage, url: URL, source: TokenSource): Promise<Reply> {
    try {
      const candidates = this.#routes.filter((r) => r.path === url.pathname);
      const route = candidates.find((r) => r.method === request.method);
      if (!route) {
        if (candidates.length === 0) throw new HttpError(404, 'NO_SUCH_API', `No API at ${url.pathname}`);
        throw new HttpError(
          405,
          'METHOD_NOT_ALLOWED',
          `${url.pathname} answers ${candidates.map((r) => r.method).join(', ')}`,
        );
      }
      if (route.method !== 'GET') checkWriteRequest(request, source, { write: this.#context.write });
      const query = new QueryParams(url.searchParams, route.params);
      const stores = this.#context.stores;
      return await route.handle({
        query,
        request,
        store: () => stores[query.int('store', 0, 0, stores.length - 1)] as (typeof stores)[number],
      });
    } catch (error) {
      return errorReply(error);
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the stowage explorer: a local web app over the given stores (Stores, Keys,
 * Entry, Results, Calls and Tiers pages). Every request needs the token (in the URL,
 * then a same-site cookie, or the `x-stowage-token` header); it is read-only unless
 * `write` is set, and changes need the token in the header.
 *
 * @example
 * ```ts
 * await using explorer = await startExplorer({ stores: ['sqlite:./.stowage/results.sqlite'] });
 * console.log(explorer.url); // http://127.0.0.1:43121/?token=...
 * ```
 */
export async function startExplorer(options: ExplorerOptions): Promise<Explorer> {
  checkOptions(options);
  const write = options.write ?? false;
  const prefixes = { results: options.resultsPrefix ?? 'results', cas: options.casPrefix ?? 'cas' };
  const bundle = await loadAppBundle();
  const stores = await openExplorerStores(options.stores, { write, prefixes, create: options.create ?? true });
  const token = options.token ?? newToken();
  const explorer = new ExplorerServer({ stores, write, prefixes, results: new ResultCache() }, bundle, token);
  const server = createServer((request, response) => {
    explorer.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, errorReply(error));
      else response.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await Promise.allSettled(stores.map((store) => store.close()));
    throw new OperationError(`The explorer cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`);
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${shownHost}:${address.port}`;
  explorer.listening(address.port);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= closeServer(server).then(async () => {
      await Promise.allSettled(stores.map((store) => store.close()));
    });
    return closing;
  };
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port: address.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
