import type { AttrFilter, Backend } from '../core/backend.ts';
import { decodeValue, encodeValue, msgpackCodec } from '../core/codecs/index.ts';
import { OperationError } from '../core/errors.ts';
import type { JsonObject, JsonPrimitive, JsonValue } from '../core/json.ts';
import { type Key, type KeyInput, parseKey, parsePrefix } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { markStoreObject } from '../core/store-object.ts';
import { digestOf, packTuple, sha256Hex } from './digest.ts';
import { DigestIndex } from './digest-prefix.ts';

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
  error?:
    | {
        /** The error's class name. */
        name: string;
        /** The error's message. */
        message: string;
      }
    | undefined;
  /** When the call started (ms since epoch). */
  startedAt: number;
  /** How long it ran (ms). */
  durationMs: number;
  /** Anything the caller wants to keep with the record; queryable with {@link CallQuery.metadata}. */
  metadata?: JsonObject | undefined;
  /**
   * The result itself, kept in the record when it is small (memoize keeps results up to
   * 8 KiB encoded), so that a memoised hit reads one entry instead of the record and then
   * the value store. Always the value {@link result} names: `save` drops it otherwise.
   */
  inlineResult?:
    | {
        /** The result, as the function returned it. */
        value: unknown;
      }
    | undefined;
}

/** A stored call record with its call id (the call digest). */
export type StoredCall = CallRecord & {
  /** The call id: the digest of function, version and arguments. */
  id: string;
};

/**
 * A query: every field given must match; fields left out (and `undefined` argument
 * values) are wildcards. Any other field is refused, never read as "match everything".
 */
export interface CallQuery {
  /** Function name. */
  fn?: string | undefined;
  /** Function version. */
  version?: string | undefined;
  /** Argument values (matched by their digest); `undefined` matches anything. */
  args?: Record<string, unknown> | undefined;
  /** Argument digests, for when only the digest is at hand. */
  argDigests?: Record<string, string> | undefined;
  /** The result value (matched by its digest). */
  result?: unknown;
  /** The result's digest. */
  resultDigest?: string | undefined;
  /** Metadata entries the record must have (equal values; nested ones compared as JSON). */
  metadata?: JsonObject | undefined;
}

const QUERY_FIELDS = ['fn', 'version', 'args', 'argDigests', 'result', 'resultDigest', 'metadata'];

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

// Attribute names: arguments and primitive metadata are attributes of the record's entry,
// so queries run as attribute filters in the engine (SQL WHERE on JSON).
const ARG = 'arg:';
const META = 'meta:';

/**
 * Call records for memoisation (fleche's CallStorage), each stored under its call id
 * (the call digest), so a record is found by id alone, and short ids expand and shrink
 * as value digests do. Function, version, argument and result digests and primitive
 * metadata are also kept as attributes, so `query` is an attribute filter the backend
 * evaluates.
 *
 * @example
 * ```ts
 * const call = await calls.get(shortId); // by (short) call id
 * for await (const c of calls.query({ fn: 'simulate', args: { x: 3, y: undefined } })) console.log(c.result);
 * for await (const c of calls.query({ result: 12 })) console.log(c.fn, c.args);
 * ```
 */
export class CallStore {
  /** The backend holding the records. */
  readonly backend: Backend;
  readonly #root: Key;
  readonly #ids: DigestIndex;
  // Stores written before call ids were keys kept records under `<prefix>/c/<fn>/<id>`.
  readonly #legacyRoot: Key;
  #upgraded: Promise<void> | undefined;
  // Set once the legacy move is done: a hit then reads without awaiting it again.
  #isReady = false;
  // `<root>/`: a record's key as one string, which backends find in their parsed-key
  // cache without joining segments (the root's segments are valid, a full id is hex).
  readonly #rootPath: string;

  constructor(options: { backend: Backend; prefix?: KeyInput | undefined }) {
    rejectUnknownOptions(options, ['backend', 'prefix'], 'CallStore');
    this.backend = options.backend;
    const base = parsePrefix(options.prefix ?? 'cas', options.backend.label).segments;
    this.#root = [...base, 'calls'];
    this.#rootPath = `${this.#root.join('/')}/`;
    this.#legacyRoot = [...base, 'c'];
    this.#ids = new DigestIndex(options.backend, this.#root, 'call');
  }

  /** Stores a record; resolves its call id. */
  async save(record: CallRecord): Promise<string> {
    await this.#ready();
    const id = callDigest(record.fn, record.version, record.args);
    const { inlineResult, ...rest } = record;
    // An inline result that is not the value `result` names (a transform changed the
    // digest) would be returned for it: it is dropped, and the value store answers.
    const kept =
      inlineResult !== undefined && record.result !== undefined && digestOf(inlineResult.value) === record.result;
    const stored = kept ? { ...rest, inlineResult } : rest;
    await this.backend.put(this.#key(id), encodeValue(msgpackCodec, stored), { attrs: attrsOf(record) });
    return id;
  }

  /**
   * The record of a call by its id (full or short), or `undefined`. With a function name
   * first (`get(fn, id)`), a record of another function is not returned.
   */
  async get(id: string): Promise<StoredCall | undefined>;
  async get(fn: string, id: string): Promise<StoredCall | undefined>;
  async get(first: string, second?: string): Promise<StoredCall | undefined> {
    if (!this.#isReady) await this.#ready();
    const id = second ?? first;
    const full = DigestIndex.isFull(id) ? id : await this.#expandOrUndefined(id);
    if (full === undefined) return undefined;
    const hit = await this.backend.get(this.#rootPath + full);
    if (!hit) return undefined;
    const record = decodeValue(msgpackCodec, hit.value, { key: full, backend: this.backend.label }) as StoredCall;
    if (second !== undefined && record.fn !== first) return undefined;
    // Freshly decoded, so ours to complete in place (a copy was a twentieth of a memoised hit).
    record.id = full;
    return record;
  }

  /** True when a call with this id (full or short) is recorded. */
  async has(id: string): Promise<boolean> {
    await this.#ready();
    return this.#ids.has(id);
  }

  /** Deletes a record by id (or by function and id); resolves whether it existed. */
  async delete(id: string): Promise<boolean>;
  async delete(fn: string, id: string): Promise<boolean>;
  async delete(first: string, second?: string): Promise<boolean> {
    const found = await (second === undefined ? this.get(first) : this.get(first, second));
    return found ? this.backend.delete(this.#key(found.id)) : false;
  }

  /** The one full call id starting with `prefix` (`AmbiguousDigestError` when several). */
  async expand(prefix: string): Promise<string> {
    await this.#ready();
    return this.#ids.expand(prefix);
  }

  /** The shortest prefix (at least 4 characters) that {@link expand} resolves to `id`. */
  async shrink(id: string): Promise<string> {
    await this.#ready();
    return this.#ids.shrink(id);
  }

  /** Every recorded call id, in order (keys only). */
  async *list(): AsyncIterable<string> {
    await this.#ready();
    yield* this.#ids.list();
  }

  /** Records matching the query, as an async iterable. */
  async *query(query: CallQuery = {}): AsyncIterable<StoredCall> {
    await this.#ready();
    rejectUnknownOptions(query, QUERY_FIELDS, 'a call query', { backend: this.backend.label });
    const { where, nested } = filterOf(query);
    for await (const { key } of this.backend.list(this.#root, { recursive: false, where })) {
      const hit = await this.backend.get(key);
      if (!hit) continue;
      const record = decodeValue(msgpackCodec, hit.value, { key, backend: this.backend.label }) as CallRecord;
      if (!nested.every(([name, value]) => sameJson(record.metadata?.[name], value))) continue;
      yield { ...record, id: key[key.length - 1] as string };
    }
  }

  /**
   * Rewrites every record with `fn` (fleche's `transform`): rename a function, migrate
   * versions, drop metadata. Returning `undefined` deletes the record. Resolves the count changed.
   */
  async transform(fn: (record: CallRecord) => CallRecord | undefined): Promise<number> {
    const all: StoredCall[] = [];
    for await (const record of this.query()) all.push(record);
    let changed = 0;
    for (const { id, ...record } of all) {
      const next = fn(structuredClone(record));
      if (next === undefined) {
        await this.backend.delete(this.#key(id));
        changed++;
        continue;
      }
      const nextId = await this.save(next);
      if (nextId !== id) await this.backend.delete(this.#key(id));
      changed++;
    }
    return changed;
  }

  #key(id: string): Key {
    return [...this.#root, ...parseKey([id], this.backend.label).segments];
  }

  async #expandOrUndefined(prefix: string): Promise<string | undefined> {
    const candidates = await this.#ids.candidates(prefix, 2);
    return candidates.length === 0 ? undefined : this.#ids.expand(prefix);
  }

  // Moves records of the old layout once, on first use; moving twice (two processes) is
  // harmless: the same record lands under the same id.
  #ready(): Promise<void> {
    this.#upgraded ??= (async () => {
      const legacy: Key[] = [];
      for await (const key of this.backend.keys(this.#legacyRoot)) legacy.push(key);
      if (legacy.length === 0) return;
      const hits = await this.backend.getMany(legacy);
      const entries = hits.flatMap((hit) => {
        if (!hit) return [];
        const record = decodeValue(msgpackCodec, hit.value, { backend: this.backend.label }) as CallRecord;
        const id = callDigest(record.fn, record.version, record.args);
        return [{ key: this.#key(id), value: hit.value, attrs: attrsOf(record) }];
      });
      await this.backend.putMany(entries);
      await this.backend.deleteMany(legacy);
    })().then(() => {
      this.#isReady = true;
    });
    return this.#upgraded;
  }
}

markStoreObject(CallStore);

function isPrimitive(value: JsonValue | undefined): value is JsonPrimitive {
  return value === null || (typeof value !== 'object' && value !== undefined);
}

function attrsOf(record: CallRecord): JsonObject {
  const attrs: JsonObject = { fn: record.fn, version: record.version, result: record.result ?? null };
  for (const [name, digest] of Object.entries(record.args)) attrs[ARG + name] = digest;
  for (const [name, value] of Object.entries(record.metadata ?? {})) if (isPrimitive(value)) attrs[META + name] = value;
  return attrs;
}

// The engine-side filter of a query, and the metadata conditions checked on the decoded record.
function filterOf(query: CallQuery): { where: AttrFilter; nested: [string, JsonValue][] } {
  const where: Record<string, JsonPrimitive> = {};
  if (query.fn !== undefined) where.fn = query.fn;
  if (query.version !== undefined) where.version = query.version;
  for (const [name, digest] of Object.entries(query.argDigests ?? {})) where[ARG + name] = digest;
  for (const [name, value] of Object.entries(query.args ?? {}))
    if (value !== undefined) where[ARG + name] = digestOf(value);
  if (query.result !== undefined && query.resultDigest !== undefined) {
    throw new OperationError('A call query takes result or resultDigest, not both');
  }
  if (query.result !== undefined) where.result = digestOf(query.result);
  if (query.resultDigest !== undefined) where.result = query.resultDigest;
  const nested: [string, JsonValue][] = [];
  for (const [name, value] of Object.entries(query.metadata ?? {})) {
    if (value === undefined) continue;
    if (isPrimitive(value)) where[META + name] = value;
    else nested.push([name, value]);
  }
  return { where, nested };
}

function sameJson(a: JsonValue | undefined, b: JsonValue): boolean {
  return a !== undefined && canonical(a) === canonical(b);
}

function canonical(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as JsonValue)}`)
    .join(',')}}`;
}
