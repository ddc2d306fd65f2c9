import { connect } from 'node:net';

/** True when `STOWAGE_REQUIRE_SERVICES=1`: an unreachable server fails the run instead of skipping. */
export const servicesRequired = process.env.STOWAGE_REQUIRE_SERVICES === '1';

function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * `undefined` when the server answers; otherwise a skip message, or a thrown error
 * when services are required.
 */
export async function serviceSkipReason(name: string, host: string, port: number): Promise<string | undefined> {
  if (await reachable(host, port)) return undefined;
  const message = `${name} is unreachable at ${host}:${port}`;
  if (servicesRequired) throw new Error(`${message}, and STOWAGE_REQUIRE_SERVICES=1 requires it`);
  console.warn(`${message}: skipping its tests (set STOWAGE_REQUIRE_SERVICES=1 to fail instead)`);
  return message;
}

/** A short random suffix for table / prefix names, so parallel runs never meet. */
export function uniqueName(base: string): string {
  return `${base}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
