import type { Backend } from '../core/backend.ts';
import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import type { JsonObject, JsonPrimitive } from '../core/json.ts';
import { type Key, type KeyInput, parseKey, parsePrefix } from '../core/keys.ts';
import { digestOf, packTuple, sha256Hex } from './digest.ts';

/** One recorded call (fleche's DigestedCall). */
export interface CallRecord {
  /** Function name. */
  fn: string;
  /** Version of the function; a new version never reuses old results. */
  version: string;
  /** Digest of each argument, by parameter name. */
  args: Record<string, string>;
  /** Digest of the result (absent for a recorded error). */
  result?: string | undefined;
  /** A recorded error (only with `cacheErrors`). */
  error?: { name: string; message: string } | undefined;
  /** When the call started (ms since epoch). */
  startedAt: number;
  /** How long it ran (ms). */
  durationMs: number;
  /** Anything the caller wants to keep with the record. */
  metadata?: JsonObject | undefined;
}

/** A query: fields left out (or `undefined` args) are wildcards; other args match by digest. */
export interface CallQuery {
  fn?: string | undefined;
  version?: string | undefined;
  /** Argument values (matched by their digest); `undefined` matches anything. */
  args?: Record<string, unknown> | undefined;
  /** Argument digests, for when only the digest is at hand. */
  argDigests?: Record<string, string> | undefined;
}

/** The digest identifying a call: function, version and argument digests. */
export function callDigest(fn: string, version: string, args: Record<string, string>): string {
  return sha256Hex(
    packTuple([
      'call',
      fn,
      version,
      Object.keys(args)
        .sort()
        .map((k) => [k, args[k]]),
    ]),
  );
}

const ARG = 'arg:';

/**
 * Call records for memoisation (fleche's CallStorage). Records live under their
 * function name; argument digests are also kept as attributes, so `query` runs as an
 * attribute filter the backend evaluates (SQL `WHERE` on JSON on SQL backends).
 *
 * @example
 * ```ts
 * for await (const call of calls.query({ fn: 'simulate', args: { x: 3, y: undefined } })) console.log(call.result);
 * ```
 */
export class CallStore {
  readonly backend: Backend;
  readonly #root: Key;

  constructor(options: { backend: Backend; prefix?: KeyInput | undefined }) {
    this.backend = options.backend;
    this.#root = [...parsePrefix(options.prefix ?? 'cas', options.backend.label).segments, 'c'];
  }

  /** Stores a record; resolves its call digest. */
  async save(record: CallRecord): Promise<string> {
    const id = callDigest(record.fn, record.version, record.args);
    await this.backend.put(this.#key(record.fn, id), encodeValue(msgpackCodec, record), { attrs: attrsOf(record) });
    return id;
  }

  /** The record of a call, or `undefined`. */
  async get(fn: string, id: string): Promise<CallRecord | undefined> {
    const hit = await this.backend.get(this.#key(fn, id));
    return hit
      ? (decodeValue(msgpackCodec, hit.value, { key: id, backend: this.backend.label }) as CallRecord)
      : undefined;
  }

  /** Deletes a record. */
  async delete(fn: string, id: string): Promise<boolean> {
    return this.backend.delete(this.#key(fn, id));
  }

  /** Records matching the query, as an async iterable. */
  async *query(query: CallQuery = {}): AsyncIterable<CallRecord & { id: string }> {
    const where: Record<string, JsonPrimitive> = {};
    if (query.fn !== undefined) where.fn = query.fn;
    if (query.version !== undefined) where.version = query.version;
    const wanted: Record<string, string> = { ...(query.argDigests ?? {}) };
    for (const [name, value] of Object.entries(query.args ?? {}))
      if (value !== undefined) wanted[name] = digestOf(value);
    for (const [name, digest] of Object.entries(wanted)) where[ARG + name] = digest;
    const prefix =
      query.fn === undefined ? this.#root : [...this.#root, ...parseKey([query.fn], this.backend.label).segments];
    for await (const { key } of this.backend.list(prefix, { where })) {
      const hit = await this.backend.get(key);
      if (!hit) continue;
      const record = decodeValue(msgpackCodec, hit.value, { key, backend: this.backend.label }) as CallRecord;
      yield { ...record, id: key[key.length - 1] as string };
    }
  }

  /**
   * Rewrites every record with `fn` (fleche's `transform`): rename a function, migrate
   * versions, drop metadata. Returning `undefined` deletes the record. Resolves the count changed.
   */
  async transform(fn: (record: CallRecord) => CallRecord | undefined): Promise<number> {
    const all: (CallRecord & { id: string })[] = [];
    for await (const record of this.query()) all.push(record);
    let changed = 0;
    for (const { id, ...record } of all) {
      const next = fn(structuredClone(record));
      if (next === undefined) {
        await this.delete(record.fn, id);
        changed++;
        continue;
      }
      const nextId = await this.save(next);
      if (nextId !== id || next.fn !== record.fn) await this.delete(record.fn, id);
      changed++;
    }
    return changed;
  }

  #key(fn: string, id: string): Key {
    return [...this.#root, ...parseKey([fn, id], this.backend.label).segments];
  }
}

function attrsOf(record: CallRecord): JsonObject {
  const attrs: JsonObject = { fn: record.fn, version: record.version, result: record.result ?? null };
  for (const [name, digest] of Object.entries(record.args)) attrs[ARG + name] = digest;
  return attrs;
}
