import { randomBytes } from 'node:crypto';
import type { Backend } from '../core/backend.ts';
import { msgpackCodec } from '../core/codecs/index.ts';
import { ConditionFailedError, SerializationError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { type KeyInput, parsePrefix } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { type CallRecord, CallStore, callDigest } from './call-store.ts';
import { digestOf } from './digest.ts';
import { ValueStore } from './value-store.ts';

/** Where memoised calls keep their values and records. */
export interface MemoStore {
  /** The content-addressed values: arguments and results. */
  readonly values: ValueStore;
  /** The call records. */
  readonly calls: CallStore;
  /** The backend both live on. */
  readonly backend: Backend;
  /** The key prefix both live under. */
  readonly prefix: KeyInput;
}

/** A value store and a call store on one backend under one prefix. */
export function createMemoStore(
  backend: Backend,
  options: { prefix?: KeyInput; inlineThreshold?: number } = {},
): MemoStore {
  const prefix = options.prefix ?? 'cas';
  return {
    backend,
    prefix,
    values: new ValueStore({ backend, prefix, inlineThreshold: options.inlineThreshold }),
    calls: new CallStore({ backend, prefix }),
  };
}

/** Options of {@link memoize}. */
export interface MemoizeOptions<A extends unknown[]> {
  /** Where values and call records are kept ({@link createMemoStore}). */
  store: MemoStore;
  /** Name under which calls are recorded. */
  name: string;
  /** Bump it when the function's meaning changes (default `'1'`). */
  version?: string | undefined;
  /** Parameter names for positional arguments (default `'0'`, `'1'`, ...). */
  params?: readonly string[] | undefined;
  /** Maps the arguments to the named values that identify a call (overrides `params`). */
  key?: ((...args: A) => Record<string, unknown>) | undefined;
  /** Store thrown errors and rethrow them on later calls (default false: errors are not cached). */
  cacheErrors?: boolean | undefined;
  /** Store argument values too, so records can be inspected (default true). */
  storeArgs?: boolean | undefined;
  /** How long another process may hold a computation before it is taken over (ms, default 60000). */
  leaseMs?: number | undefined;
  /**
   * Named arguments that do not identify a call (fleche's `ignore`): a logger, a progress
   * callback, a verbosity flag. They are passed to `fn` but left out of the call id.
   */
  ignore?: readonly string[] | undefined;
  /**
   * Metadata kept with each new call record (queryable with `calls.query({ metadata })`):
   * an object, or a function of the call that returns one.
   */
  metadata?:
    | JsonObject
    | ((call: { args: Record<string, unknown>; result: unknown; durationMs: number }) => JsonObject)
    | undefined;
}

const MEMOIZE_OPTIONS = [
  'store',
  'name',
  'version',
  'params',
  'key',
  'cacheErrors',
  'storeArgs',
  'leaseMs',
  'ignore',
  'metadata',
];

/** A memoised function, with the same parameters, always async. */
export type Memoized<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  /** The call digest `args` map to. */
  callId(...args: A): string;
};

class CachedCallError extends Error {}

// Results up to this size (encoded) are also kept in the call record, so a hit is one read.
const INLINE_RESULT_BYTES = 8 * 1024;

const CALL_ID_CACHE_LIMIT = 10_000;

function inlineable(result: unknown): boolean {
  try {
    return msgpackCodec.encode(result).byteLength <= INLINE_RESULT_BYTES;
  } catch {
    return false; // stored by the value store alone, which reports what it cannot store
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Memoises `fn` in a content-addressed store (fleche's memoisation): a call with the same
 * name, version and argument values returns the stored result without running `fn`.
 * Concurrent identical calls compute once: in this process they share one promise; across
 * processes (on backends with atomic conditional writes) the first takes a claim with a
 * lease, the others wait for its record, and a crashed holder's lease expires.
 *
 * @example
 * ```ts
 * const simulate = memoize(async (x: number, y: number) => expensive(x, y), { store, name: 'simulate', params: ['x', 'y'] });
 * await simulate(3, 4); // computed
 * await simulate(3, 4); // from the store
 * ```
 */
export function memoize<A extends unknown[], R>(
  fn: (...args: A) => R | Promise<R>,
  options: MemoizeOptions<A>,
): Memoized<A, R> {
  rejectUnknownOptions(options, MEMOIZE_OPTIONS, 'memoize');
  const { store, name } = options;
  const version = options.version ?? '1';
  const ignored = new Set(options.ignore ?? []);
  const leaseMs = options.leaseMs ?? 60_000;
  const crossProcess = store.backend.capabilities.atomicConditionalWrite;
  const claimRoot = [...parsePrefix(store.prefix, store.backend.label).segments, 'claims'];
  const inflight = new Map<string, Promise<Awaited<R>>>();

  const allNamed = (args: A): Record<string, unknown> =>
    options.key ? options.key(...args) : Object.fromEntries(args.map((a, i) => [options.params?.[i] ?? String(i), a]));
  const named = (args: A): Record<string, unknown> =>
    Object.fromEntries(Object.entries(allNamed(args)).filter(([k]) => !ignored.has(k)));
  const digestArg = (k: string, v: unknown): string => {
    try {
      return digestOf(v);
    } catch (error) {
      throw new SerializationError(
        `Argument '${k}' of the memoized function '${name}' cannot be stored: ${(error as Error).message} (leave it out of the call id with ignore: ['${k}'])`,
        { backend: store.backend.label, cause: error },
      );
    }
  };
  // Which positional argument each name takes, per argument count: what `named` builds
  // (a repeated name keeps its first place and its last argument, as Object.fromEntries
  // does), worked out once, so a call digests its arguments without building two objects.
  const plans: [string, number][][] = [];
  const planFor = (count: number): [string, number][] => {
    let plan = plans[count];
    if (!plan) {
      const last = new Map<string, number>();
      for (let i = 0; i < count; i++) last.set(options.params?.[i] ?? String(i), i);
      plan = [...last].filter(([k]) => !ignored.has(k));
      plans[count] = plan;
    }
    return plan;
  };
  const argDigests = (args: A): Record<string, string> => {
    // No prototype: an argument named __proto__ is an own entry like any other.
    const digests: Record<string, string> = Object.create(null);
    if (options.key) {
      for (const [k, v] of Object.entries(options.key(...args))) if (!ignored.has(k)) digests[k] = digestArg(k, v);
      return digests;
    }
    for (const [k, i] of planFor(args.length)) digests[k] = digestArg(k, args[i]);
    return digests;
  };
  // The call digest is a pure function of the argument digests (name and version are
  // fixed here), and hashing its packed tuple was a tenth of a hit: it is remembered,
  // keyed by the names and digests (each name length-prefixed, digests being 64 characters,
  // so two different argument sets never share a key). Emptied when full, as leaf digests are.
  const ids = new Map<string, string>();
  const idFor = (digests: Record<string, string>): string => {
    let key = '';
    for (const k in digests) key += `${k.length}:${k}${digests[k]}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = callDigest(name, version, digests);
      if (ids.size >= CALL_ID_CACHE_LIMIT) ids.clear();
      ids.set(key, id);
    }
    return id;
  };
  const idOf = (args: A) => idFor(argDigests(args));

  // Not async: an inline result is returned as it is, without one more promise per hit.
  function fromRecord(record: CallRecord): Awaited<R> | Promise<Awaited<R>> {
    if (record.error) {
      const error = new CachedCallError(record.error.message);
      error.name = record.error.name;
      throw error;
    }
    // A small result kept in the record: one read for the whole hit.
    if (record.inlineResult) return record.inlineResult.value as Awaited<R>;
    return store.values.get(record.result as string) as Promise<Awaited<R>>;
  }

  async function compute(args: A, digests: Record<string, string>): Promise<Awaited<R>> {
    const startedAt = Date.now();
    let result: Awaited<R>;
    try {
      result = await fn(...args);
    } catch (error) {
      if (options.cacheErrors) {
        const e = error as Error;
        await store.calls.save({
          fn: name,
          version,
          args: digests,
          error: { name: e?.name ?? 'Error', message: String(e?.message ?? e) },
          startedAt,
          durationMs: Date.now() - startedAt,
        });
      }
      throw error;
    }
    const durationMs = Date.now() - startedAt;
    if (options.storeArgs ?? true) for (const value of Object.values(named(args))) await store.values.put(value);
    const resultDigest = await store.values.put(result);
    const metadata =
      typeof options.metadata === 'function'
        ? options.metadata({ args: allNamed(args), result, durationMs })
        : options.metadata;
    await store.calls.save({
      fn: name,
      version,
      args: digests,
      result: resultDigest,
      startedAt,
      durationMs,
      metadata,
      inlineResult: inlineable(result) ? { value: result } : undefined,
    });
    return result;
  }

  // One claim per call digest: whoever writes it first computes; it is renewed while computing.
  async function withClaim(id: string, work: () => Promise<Awaited<R>>): Promise<Awaited<R> | undefined> {
    const key = [...claimRoot, id];
    const owner = randomBytes(8).toString('hex');
    let etag: string;
    try {
      etag = (
        await store.backend.put(key, new Uint8Array(), {
          ifAbsent: true,
          attrs: { owner, expiresAt: Date.now() + leaseMs },
        })
      ).etag;
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    const renew = setInterval(
      () => {
        store.backend
          .put(key, new Uint8Array(), { ifMatch: etag, attrs: { owner, expiresAt: Date.now() + leaseMs } })
          .then((m) => {
            etag = m.etag;
          })
          .catch(() => clearInterval(renew));
      },
      Math.max(10, leaseMs / 3),
    );
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await store.backend.delete(key, { ifMatch: etag }).catch(() => undefined);
    }
  }

  // Waits for another process's computation: its record appears, or its claim goes away or expires.
  async function waitForOther(id: string): Promise<void> {
    const key = [...claimRoot, id];
    for (let wait = 20; ; wait = Math.min(wait * 1.5, 500)) {
      await sleep(wait);
      if (await store.calls.get(name, id)) return;
      const claim = await store.backend.stat(key);
      if (!claim) return;
      if (Number(claim.attrs.expiresAt) < Date.now()) {
        await store.backend.delete(key, { ifMatch: claim.etag }).catch(() => undefined);
        return;
      }
    }
  }

  async function call(args: A, digests: Record<string, string>, id: string): Promise<Awaited<R>> {
    // The in-flight entry is removed here rather than by a `.finally` on the returned
    // promise (one promise and its ticks less per call). The first statement awaits, so
    // the caller's `inflight.set` always runs before this `finally`; every return awaits,
    // so the entry lasts until the result is there.
    try {
      for (;;) {
        const record = await store.calls.get(name, id);
        if (record && (record.result !== undefined || options.cacheErrors)) {
          const result = fromRecord(record);
          return result instanceof Promise ? await result : result;
        }
        if (!crossProcess) return await compute(args, digests);
        const done = await withClaim(id, async (): Promise<Awaited<R>> => {
          // Another process may have finished between our lookup and our claim.
          const late = await store.calls.get(name, id);
          return late && (late.result !== undefined || options.cacheErrors) ? fromRecord(late) : compute(args, digests);
        });
        if (done !== undefined) return done;
        await waitForOther(id);
      }
    } finally {
      inflight.delete(id);
    }
  }

  const memoized = ((...args: A) => {
    let digests: Record<string, string>;
    try {
      digests = argDigests(args);
    } catch (error) {
      // Always async: a bad argument rejects, it does not throw at the call site.
      return Promise.reject(error);
    }
    const id = idFor(digests);
    const running = inflight.get(id);
    if (running) return running;
    const promise = call(args, digests, id);
    inflight.set(id, promise);
    return promise;
  }) as Memoized<A, R>;
  memoized.callId = (...args: A) => idOf(args);
  return memoized;
}
