import { type Backend, ConnectionError } from '../../src/index.ts';

/** Decides, per call, whether a wrapped backend fails ('fail'), never answers ('hang') or works. */
export type Fault = (operation: string, key: string) => 'fail' | 'hang' | undefined;

/** Calls observed by a {@link faulty} wrapper: operation and key. */
export type CallLog = { operation: string; key: string }[];

const OPERATIONS = new Set([
  'get',
  'stat',
  'put',
  'delete',
  'list',
  'keys',
  'getMany',
  'putMany',
  'deleteMany',
  'clear',
  'info',
  'putStream',
  'getStream',
]);

// A key renders as 'a/b/c'; a batch (getMany, putMany entries) as 'a/b,c/d'.
function keyOf(arg: unknown): string {
  if (Array.isArray(arg) && arg.every((a) => typeof a === 'string')) return arg.join('/');
  if (Array.isArray(arg))
    return arg.map((a) => (typeof a === 'object' && a && 'key' in a ? keyOf(a.key) : keyOf(a))).join(',');
  return arg === undefined ? '' : String(arg);
}

/**
 * Wraps a real backend and injects failures or hangs on chosen calls, to test how layers
 * cope with a store that goes down (no mocks of storage itself: calls that are let
 * through reach the real backend).
 */
export function faulty(backend: Backend, fault: Fault, log: CallLog = []): Backend {
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !OPERATIONS.has(prop)) return value.bind(target);
      if (prop === 'list' || prop === 'keys') {
        return (...args: unknown[]) => {
          log.push({ operation: prop, key: keyOf(args[0]) });
          const what = fault(prop, keyOf(args[0]));
          if (what === 'fail') {
            return (async function* () {
              yield* [];
              throw new ConnectionError('injected failure', { backend: target.label });
            })();
          }
          return value.apply(target, args);
        };
      }
      return async (...args: unknown[]) => {
        const key = keyOf(args[0]);
        log.push({ operation: prop, key });
        const what = fault(prop, key);
        if (what === 'fail') throw new ConnectionError(`injected failure on ${prop}`, { key, backend: target.label });
        if (what === 'hang') return new Promise(() => undefined);
        return value.apply(target, args);
      };
    },
  });
}
