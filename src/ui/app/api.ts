import type { ApiError } from '../api-types.ts';

// The server writes the session's token into the page; API calls send it in a header.
const token = document.querySelector<HTMLMetaElement>('meta[name="stowage-token"]')?.content ?? '';

/** Query parameters: absent values are left out, arrays repeat the name. */
export type Params = Record<string, string | number | boolean | undefined | readonly string[]>;

/** An error answer of the API, with its status and code. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The URL of an API path with parameters (for links: downloads carry the session cookie). */
export function apiUrl(path: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) search.append(name, item);
    else search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: string, path: string, params: Params, init: RequestInit = {}): Promise<T> {
  const response = await fetch(apiUrl(path, params), {
    ...init,
    method,
    headers: { 'x-stowage-token': token, ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  if (!response.ok) {
    let failure: ApiError | undefined;
    try {
      failure = JSON.parse(text) as ApiError;
    } catch {
      // Not JSON: use the text below.
    }
    throw new ApiFailure(
      response.status,
      failure?.error.code ?? String(response.status),
      failure?.error.message ?? text,
    );
  }
  return JSON.parse(text) as T;
}

/** GET an API path. */
export function apiGet<T>(path: string, params: Params = {}): Promise<T> {
  return call<T>('GET', path, params);
}

/** A state-changing request: JSON body, the entry's ETag in If-Match. */
export function apiSend<T>(
  method: 'POST' | 'DELETE',
  path: string,
  params: Params,
  options: { body?: unknown; ifMatch: string },
): Promise<T> {
  return call<T>(method, path, params, {
    headers: { 'content-type': 'application/json', 'if-match': options.ifMatch },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}
