import type { ApiSession } from '../../api-types.ts';

/** What every page gets: the location's parameters, the session and the current store. */
export interface PageProps {
  params: URLSearchParams;
  session: ApiSession;
  store: number;
}
