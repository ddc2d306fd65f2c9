import { randomBytes } from 'node:crypto';
import { ReadableStream } from 'node:stream/web';
import { crc32 } from 'node:zlib';
import type {
  Backend,
  CompactOptions,
  CompactReport,
  DeleteOptions,
  ListedEntry,
  ListOptions,
  Meta,
  PutOptions,
  StoredValue,
} from './backend.ts';
import { crc32Combine } from './crc32-combine.ts';
import { CapacityError, ConditionFailedError, CorruptValueError, InvalidKeyError, OperationError } from './errors.ts';
import { isPlainObject, type JsonObject } from './json.ts';
import { type Key, type KeyInput, parseKey, parsePrefix } from './keys.ts';
import {
  type ByteSource,
  chunkBytesOf,
  chunksOf,
  type PutStreamOptions,
  type StreamedValue,
  streamOfBytes,
} from './streams.ts';

/**
 * First key segment of the chunks of large values. Users cannot write under it (`put`
 * refuses it with `InvalidKeyError`) and listings of the whole store never show it, but it
 * can be read and listed by name, to see what the chunks take.
 */
export const CHUNK_NAMESPACE = '.stowage-chunks';

/** Reserved attribute of a manifest entry; users cannot set it. */
export const CHUNKED_ATTR = 'stowage:chunked';

/** Chunk sets reclaimed by `compact()` only after this long without a write (default). */
export const DEFAULT_ORPHAN_AGE_MS = 60 * 60 * 1000;

// How long "this store holds no chunks" is believed before asking the engine again:
// another process may start storing large values at any time; until this process notices,
// its overwrites and deletes of those values leave the chunks to compact().
const NO_CHUNKS_TTL_MS = 1000;

/** What the manifest attribute records about a chunked value. */
interface Manifest {
  readonly set: string;
  readonly size: number;
  readonly checksum: number;
  readonly chunkBytes: number;
  readonly chunks: number;
}

/** The backend's own methods, below the chunked-value layer. */
export type RawMethods = Pick<
  Backend,
  | 'get'
  | 'stat'
  | 'put'
  | 'delete'
  | 'list'
  | 'keys'
  | 'getMany'
  | 'putMany'
  | 'deleteMany'
  | 'clear'
  | 'info'
  | 'compact'
>;

function manifestOf(meta: Meta): Manifest | undefined {
  const mark = meta.attrs[CHUNKED_ATTR];
  if (!isPlainObject(mark)) return undefined;
  return mark as unknown as Manifest;
}

/** The metadata a user sees: the full size and checksum, without the reserved attribute. */
function publicMeta(meta: Meta): Meta {
  const manifest = manifestOf(meta);
  if (!manifest) return meta;
  const { [CHUNKED_ATTR]: _, ...attrs } = meta.attrs;
  return { ...meta, size: manifest.size, checksum: manifest.checksum, attrs };
}

const setKey = (set: string): Key => [CHUNK_NAMESPACE, set];
const chunkKey = (set: string, index: number): Key => [CHUNK_NAMESPACE, set, index.toString().padStart(10, '0')];

function isInternal(key: Key): boolean {
  return key[0] === CHUNK_NAMESPACE;
}

/**
 * Large values for every backend, written once over the backend's own get/put/delete:
 * a value larger than one chunk is stored as chunk entries under {@link CHUNK_NAMESPACE}
 * plus a small manifest entry at the user's key, whose write is the commit.
 *
 * The layer wraps the backend's public methods so that manifests read back as the values
 * they stand for (`get` assembles, `stat` and `list` report the full size), root listings
 * and counts hide the chunks, and overwrites and deletes reclaim the chunks they replace.
 */
export class ChunkedValues {
  readonly #backend: Backend;
  readonly #raw: RawMethods;
  // Chunk sets this instance is writing: compact() never reclaims them, whatever their age.
  readonly #active = new Set<string>();
  #holdsChunks: boolean | undefined;
  #checkedAt = 0;

  constructor(backend: Backend, raw: RawMethods) {
    this.#backend = backend;
    this.#raw = raw;
  }

  get #label(): string {
    return this.#backend.label;
  }

  /** The chunk size of this backend: stated in its capabilities, else 4 MiB or its value limit if smaller. */
  get chunkBytes(): number {
    return chunkBytesOf(this.#backend.capabilities);
  }

  /** The public methods that replace the backend's own, to install on the instance. */
  wrappers(): Partial<Backend> & { compact(options?: CompactOptions): Promise<CompactReport> } {
    const raw = this.#raw;
    return {
      // The paths every call takes stay one promise deep: a stored manifest is rare, and
      // a store known to hold no chunks skips the read before a write.
      get: (key) =>
        raw.get(key).then((found) => (found && manifestOf(found.meta) ? this.#assemble(key, found) : found)),
      stat: (key) => raw.stat(key).then((meta) => meta && publicMeta(meta)),
      put: (key, value, options) => {
        this.#checkWrite(key, options?.attrs);
        if (this.#knownWithoutChunks()) return raw.put(key, value, options);
        return this.#putReplacing(key, value, options);
      },
      delete: (key, options) => (this.#knownWithoutChunks() ? raw.delete(key, options) : this.#delete(key, options)),
      list: (prefix, options) => this.#list(prefix, options),
      keys: (prefix, options) => this.#keys(prefix, options),
      getMany: async (keys) => {
        const found = await raw.getMany(keys);
        for (let i = 0; i < found.length; i++) {
          const entry = found[i];
          if (entry && manifestOf(entry.meta)) found[i] = await this.#assemble(keys[i] as KeyInput, entry);
        }
        return found;
      },
      putMany: async (entries) => {
        for (const entry of entries) this.#checkWrite(entry.key, entry.attrs);
        if (this.#knownWithoutChunks()) return raw.putMany(entries);
        const previous = await this.#manifestsAt(entries.map((entry) => entry.key));
        const metas = await raw.putMany(entries);
        for (const manifest of previous) await this.#reclaim(manifest.set);
        return metas;
      },
      deleteMany: async (keys) => {
        if (this.#knownWithoutChunks()) return raw.deleteMany(keys);
        const previous = await this.#manifestsAt(keys);
        const removed = await raw.deleteMany(keys);
        for (const manifest of previous) await this.#reclaim(manifest.set);
        return removed;
      },
      clear: (prefix) => this.#clear(prefix),
      info: async () => {
        const info = await raw.info();
        if (!(await this.#mayHoldChunks())) return info;
        let internal = 0;
        for await (const _ of raw.keys([CHUNK_NAMESPACE])) internal++;
        // The chunk namespace's own prefix entry is not an entry; its sets and chunks are.
        return { ...info, entries: Math.max(0, info.entries - internal) };
      },
      compact: (options) => this.compact(options),
    };
  }

  async #putReplacing(key: KeyInput, value: Uint8Array, options: PutOptions | undefined): Promise<Meta> {
    const previous = (await this.#mayHoldChunks()) ? await this.#manifestAt(key) : undefined;
    const meta = await this.#raw.put(key, value, options);
    if (previous) await this.#reclaim(previous.set);
    return meta;
  }

  // Synchronous, so that the common write needs no extra await.
  #knownWithoutChunks(): boolean {
    return this.#holdsChunks === false && Date.now() - this.#checkedAt < NO_CHUNKS_TTL_MS;
  }

  // The reserved prefix and attribute; the backend validates the rest of the key itself.
  #checkWrite(key: KeyInput, attrs: JsonObject | undefined): void {
    const first = typeof key === 'string' ? key.slice(0, CHUNK_NAMESPACE.length + 1) : Array.isArray(key) ? key[0] : '';
    const reserved = first === CHUNK_NAMESPACE || (typeof key === 'string' && first === `${CHUNK_NAMESPACE}/`);
    if (reserved) this.#refuseReserved(key);
    if (attrs !== undefined && attrs !== null && Object.hasOwn(attrs, CHUNKED_ATTR)) {
      throw new OperationError(`The attribute '${CHUNKED_ATTR}' is reserved for large values`, {
        key: parseKey(key, this.#label).path,
        backend: this.#label,
      });
    }
  }

  #refuseReserved(key: KeyInput): never {
    const parsed = parseKey(key, this.#label);
    throw new InvalidKeyError(`Keys under '${CHUNK_NAMESPACE}' are reserved for the chunks of large values`, {
      key: parsed.path,
      backend: this.#label,
    });
  }

  // Whether any chunk set may exist, so that puts and deletes of stores without large
  // values pay no extra read. A "yes" is kept; a "no" is asked again after a second.
  async #mayHoldChunks(): Promise<boolean> {
    if (this.#holdsChunks) return true;
    if (this.#holdsChunks === false && Date.now() - this.#checkedAt < NO_CHUNKS_TTL_MS) return false;
    let found = false;
    for await (const _ of this.#raw.keys([CHUNK_NAMESPACE], { limit: 1 })) found = true;
    this.#holdsChunks = found;
    this.#checkedAt = Date.now();
    return found;
  }

  async #manifestAt(key: KeyInput): Promise<Manifest | undefined> {
    const meta = await this.#raw.stat(key);
    return meta && manifestOf(meta);
  }

  async #manifestsAt(keys: readonly KeyInput[]): Promise<Manifest[]> {
    if (!(await this.#mayHoldChunks())) return [];
    const found: Manifest[] = [];
    for (const key of keys) {
      const manifest = await this.#manifestAt(key);
      if (manifest) found.push(manifest);
    }
    return found;
  }

  async #delete(key: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    if (!(await this.#mayHoldChunks())) return this.#raw.delete(key, options);
    if (!this.#backend.capabilities.atomicConditionalWrite) {
      const manifest = await this.#manifestAt(key);
      const removed = await this.#raw.delete(key, options);
      if (removed && manifest) await this.#reclaim(manifest.set);
      return removed;
    }
    // Deleting with the ETag just read makes "the chunks of what was deleted" exact: a
    // value written in between is not deleted blind with its chunks left behind.
    for (let attempt = 0; ; attempt++) {
      const meta = await this.#raw.stat(key);
      const manifest = meta && manifestOf(meta);
      if (!manifest || attempt >= 5) {
        const removed = await this.#raw.delete(key, options);
        if (removed && manifest) await this.#reclaim(manifest.set);
        return removed;
      }
      if (options.ifMatch !== undefined && options.ifMatch !== meta.etag) return this.#raw.delete(key, options);
      try {
        const removed = await this.#raw.delete(key, { ...options, ifMatch: meta.etag });
        if (removed) await this.#reclaim(manifest.set);
        return removed;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || options.ifMatch !== undefined) throw error;
      }
    }
  }

  // Listings fail when iterated, not when called, like the backends' own.
  #list(prefix: KeyInput | undefined, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const raw = this.#raw;
    const label = this.#label;
    return (async function* () {
      const root = parsePrefix(prefix, label).segments.length === 0;
      // Only a root listing can meet chunk keys; it counts the limit itself because
      // hidden entries must not use up the caller's limit.
      const inner = root ? { ...options, limit: undefined } : options;
      let left = options.limit ?? Number.POSITIVE_INFINITY;
      if (left <= 0) {
        // Still validates the options the way the backend does.
        for await (const _ of raw.list(prefix, options)) break;
        return;
      }
      for await (const entry of raw.list(prefix, inner)) {
        if (root && isInternal(entry.key)) continue;
        yield manifestOf(entry.meta) ? { key: entry.key, meta: publicMeta(entry.meta) } : entry;
        if (--left <= 0) return;
      }
    })();
  }

  #keys(prefix: KeyInput | undefined, options: ListOptions = {}): AsyncIterable<Key> {
    let root: boolean;
    try {
      root = parsePrefix(prefix, this.#label).segments.length === 0;
    } catch {
      root = false; // the backend's own listing reports the bad prefix when iterated
    }
    if (!root) return this.#raw.keys(prefix, options);
    const raw = this.#raw;
    return (async function* () {
      let left = options.limit ?? Number.POSITIVE_INFINITY;
      if (left <= 0) {
        for await (const _ of raw.keys(prefix, options)) break;
        return;
      }
      for await (const key of raw.keys(prefix, { ...options, limit: undefined })) {
        if (isInternal(key)) continue;
        yield key;
        if (--left <= 0) return;
      }
    })();
  }

  async #clear(prefix: KeyInput | undefined): Promise<number> {
    const parsed = parsePrefix(prefix, this.#label);
    if (parsed.segments.length === 0) {
      if (await this.#mayHoldChunks()) await this.#raw.clear([CHUNK_NAMESPACE]);
      this.#holdsChunks = undefined;
      return this.#raw.clear(prefix);
    }
    if (isInternal(parsed.segments)) return this.#raw.clear(prefix);
    if (!(await this.#mayHoldChunks())) return this.#raw.clear(prefix);
    const sets: string[] = [];
    for await (const entry of this.#raw.list(prefix)) {
      const manifest = manifestOf(entry.meta);
      if (manifest) sets.push(manifest.set);
    }
    const removed = await this.#raw.clear(prefix);
    for (const set of sets) await this.#reclaim(set);
    return removed;
  }

  // Removes a chunk set: chunks first, then its record, so that a crash in between leaves
  // a record that compact() finds again.
  async #reclaim(set: string): Promise<void> {
    await this.#raw.clear(setKey(set));
    await this.#raw.delete(setKey(set));
  }

  /** Stores a value of any size read from `source`; see {@link Backend.putStream}. */
  async putStream(input: KeyInput, source: ByteSource, options: PutStreamOptions = {}): Promise<Meta> {
    const { chunkBytes: chunkOption, ...putOptions } = options;
    this.#checkWrite(input, options.attrs);
    const key = parseKey(input, this.#label);
    const context = { key: key.path, backend: this.#label };
    const chunkBytes = this.#chunkSize(chunkOption, context);
    if (options.ifAbsent && options.ifMatch !== undefined) {
      throw new OperationError('ifAbsent and ifMatch cannot be combined', context);
    }
    options.signal?.throwIfAborted();
    // A failed condition is reported before any chunk is written (and checked again,
    // atomically, when the manifest is written).
    const current = await this.#raw.stat(key.segments);
    if ((options.ifAbsent && current) || (options.ifMatch !== undefined && current?.etag !== options.ifMatch)) {
      throw conditionError(key.path, this.#label, current?.etag, options);
    }

    const chunks = chunksOf(source, chunkBytes, context);
    let set: string | undefined;
    try {
      const first = await chunks.next();
      const second = first.done ? first : await chunks.next();
      if (second.done) {
        // One chunk or less: today's single entry, same format and speed as put().
        const value = first.done ? new Uint8Array(0) : first.value;
        return await (this.#backend.put as RawMethods['put'])(key.segments, value, putOptions);
      }
      set = newSetId();
      this.#active.add(set);
      this.#holdsChunks = true;
      const sizes = { size: 0, checksum: 0, chunks: 0 };
      // A value that names its element type (a typed array) passes it to its chunks, so an
      // engine that stores typed values natively (hdf5 datasets of numbers) does so for each.
      const elementType = options.attrs?.elementType;
      const chunkAttrs = typeof elementType === 'string' ? { attrs: { elementType } } : undefined;
      await this.#raw.put(setKey(set), new TextEncoder().encode(JSON.stringify({ key: key.path })));
      const crcs: number[] = [];
      const writeChunk = async (chunk: Uint8Array) => {
        options.signal?.throwIfAborted();
        // The backend computed the chunk's CRC-32 for its meta (the contract's checksum).
        const { checksum } = await this.#raw.put(chunkKey(set as string, sizes.chunks), chunk, chunkAttrs);
        crcs.push(checksum);
        sizes.checksum = crc32Combine(sizes.checksum, checksum, chunk.byteLength);
        sizes.size += chunk.byteLength;
        sizes.chunks++;
      };
      await writeChunk(first.value as Uint8Array);
      await writeChunk(second.value);
      for await (const chunk of { [Symbol.asyncIterator]: () => chunks }) await writeChunk(chunk);
      options.signal?.throwIfAborted();
      if (!(await this.#raw.stat(setKey(set)))) {
        throw new OperationError('The chunks of this put were reclaimed by compact() before it finished', context);
      }
      const manifest: Manifest = { set, size: sizes.size, checksum: sizes.checksum, chunkBytes, chunks: sizes.chunks };
      const previous = await this.#manifestAt(key.segments);
      const meta = await this.#raw.put(key.segments, encodeCrcs(crcs), {
        ...putOptions,
        attrs: { ...(options.attrs ?? {}), [CHUNKED_ATTR]: { ...manifest } },
      });
      const committed = set;
      set = undefined;
      this.#active.delete(committed);
      if (previous && previous.set !== committed) await this.#reclaim(previous.set);
      return publicMeta(meta);
    } catch (error) {
      if (set !== undefined) {
        this.#active.delete(set);
        await this.#reclaim(set).catch(() => undefined);
      }
      await chunks.return(undefined).catch(() => undefined);
      throw error;
    }
  }

  #chunkSize(option: number | undefined, context: { key: string; backend: string }): number {
    const size = option ?? this.chunkBytes;
    const max = this.#backend.capabilities.maxValueBytes ?? 2 ** 30;
    if (!Number.isInteger(size) || size < 1 || size > max) {
      throw new OperationError(`chunkBytes must be a whole number from 1 to ${max}, got ${String(size)}`, context);
    }
    return size;
  }

  /** Reads a value chunk by chunk; see {@link Backend.getStream}. */
  async getStream(input: KeyInput): Promise<StreamedValue | undefined> {
    const key = parseKey(input, this.#label);
    const meta = await this.#raw.stat(key.segments);
    if (!meta) return undefined;
    const manifest = manifestOf(meta);
    if (!manifest) {
      // A single entry is read whole (it is at most one chunk when putStream wrote it).
      const found = await this.#raw.get(key.segments);
      if (!found) return undefined;
      if (manifestOf(found.meta)) return this.getStream(input);
      const value = found.value;
      return { meta: found.meta, stream: streamOfBytes(value) };
    }
    const found = await this.#raw.get(key.segments);
    if (!found || manifestOf(found.meta)?.set !== manifest.set) return this.getStream(input);
    const crcs = decodeCrcs(found.value, manifest, key.path, this.#label);
    let index = 0;
    return {
      meta: publicMeta(found.meta),
      stream: new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            if (index >= manifest.chunks) {
              controller.close();
              return;
            }
            const chunk = await this.#readChunk(key.path, manifest, crcs, index++);
            controller.enqueue(chunk);
            if (index >= manifest.chunks) controller.close();
          },
        },
        // One chunk read ahead: reading overlaps the consumer, memory stays two chunks.
        { highWaterMark: 1 },
      ),
    };
  }

  /** Reads `length` bytes from `offset`; see {@link Backend.getRange}. */
  async getRange(input: KeyInput, offset: number, length: number): Promise<Uint8Array | undefined> {
    const key = parseKey(input, this.#label);
    for (const [name, n] of [
      ['offset', offset],
      ['length', length],
    ] as const) {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new OperationError(`getRange: ${name} must be a whole number >= 0, got ${String(n)}`, {
          key: key.path,
          backend: this.#label,
        });
      }
    }
    const found = await this.#raw.get(key.segments);
    if (!found) return undefined;
    const manifest = manifestOf(found.meta);
    if (!manifest) return found.value.slice(offset, offset + length);
    const crcs = decodeCrcs(found.value, manifest, key.path, this.#label);
    const start = Math.min(offset, manifest.size);
    const end = Math.min(manifest.size, start + length);
    const out = new Uint8Array(end - start);
    for (let index = Math.floor(start / manifest.chunkBytes); index * manifest.chunkBytes < end; index++) {
      const chunk = await this.#readChunk(key.path, manifest, crcs, index);
      const chunkStart = index * manifest.chunkBytes;
      const from = Math.max(start, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + chunk.byteLength) - chunkStart;
      out.set(chunk.subarray(from, to), chunkStart + from - start);
    }
    return out;
  }

  async #readChunk(key: string, manifest: Manifest, crcs: Uint32Array, index: number): Promise<Uint8Array> {
    const found = await this.#raw.get(chunkKey(manifest.set, index));
    if (!found) {
      const now = await this.#manifestAt(key);
      if (now?.set !== manifest.set) {
        throw new ConditionFailedError('The value was replaced or deleted while it was being read', {
          key,
          backend: this.#label,
        });
      }
      throw new CorruptValueError(`Chunk ${index} of the value is missing`, { key, backend: this.#label });
    }
    const expected = index === manifest.chunks - 1 ? manifest.size - index * manifest.chunkBytes : manifest.chunkBytes;
    if (found.value.byteLength !== expected || crc32(found.value) !== crcs[index]) {
      throw new CorruptValueError(`Chunk ${index} of the value does not match its checksum`, {
        key,
        backend: this.#label,
      });
    }
    return found.value;
  }

  async #assemble(key: KeyInput, found: StoredValue): Promise<StoredValue> {
    const manifest = manifestOf(found.meta) as Manifest;
    const path = parseKey(key, this.#label).path;
    const limit = Math.min(2 ** 32 - 1, Number.MAX_SAFE_INTEGER);
    if (manifest.size > limit) {
      throw new CapacityError(
        `The value of ${manifest.size} bytes is too large to read whole; read it with getStream or getRange`,
        { key: path, backend: this.#label },
      );
    }
    const crcs = decodeCrcs(found.value, manifest, path, this.#label);
    const value = new Uint8Array(manifest.size);
    for (let index = 0; index < manifest.chunks; index++) {
      value.set(await this.#readChunk(path, manifest, crcs, index), index * manifest.chunkBytes);
    }
    return { value, meta: publicMeta(found.meta) };
  }

  /**
   * Reclaims chunk sets that no manifest refers to (interrupted puts, or overwrites
   * another process did before this one noticed chunks), then runs the backend's own
   * maintenance.
   */
  async compact(options: CompactOptions = {}): Promise<CompactReport> {
    if (typeof options !== 'object' || options === null) {
      throw new OperationError('compact options must be an object', { backend: this.#label });
    }
    const unknown = Object.keys(options).filter((name) => name !== 'minAgeMs');
    if (unknown.length > 0) {
      throw new OperationError(`Unknown compact option(s) ${unknown.join(', ')}; known: minAgeMs`, {
        backend: this.#label,
      });
    }
    const minAge = options.minAgeMs ?? DEFAULT_ORPHAN_AGE_MS;
    if (!(minAge >= 0)) throw new OperationError('minAgeMs must be a number >= 0', { backend: this.#label });
    const chunkSets = await this.#reclaimOrphans(minAge);
    const own = this.#raw.compact
      ? await this.#raw.compact(options.minAgeMs === undefined ? undefined : { minAgeMs: options.minAgeMs })
      : { removed: 0 };
    return {
      ...own,
      removed: own.removed + chunkSets.entries,
      details: { ...(own.details ?? {}), orphanChunkSets: chunkSets.sets },
    };
  }

  async #reclaimOrphans(minAge: number): Promise<{ sets: number; entries: number }> {
    // Newest write per set, so a set still being written by another process is spared.
    const sets = new Map<string, { newest: number; entries: number; owner: boolean }>();
    for await (const { key, meta } of this.#raw.list([CHUNK_NAMESPACE])) {
      const id = key[1];
      if (id === undefined) continue;
      const seen = sets.get(id) ?? { newest: 0, entries: 0, owner: false };
      seen.newest = Math.max(seen.newest, meta.modifiedAt);
      seen.entries++;
      if (key.length === 2) seen.owner = true;
      sets.set(id, seen);
    }
    let reclaimed = 0;
    let entries = 0;
    for (const [id, seen] of sets) {
      if (this.#active.has(id) || Date.now() - seen.newest < minAge) continue;
      if (seen.owner && (await this.#ownerRefersTo(id))) continue;
      await this.#reclaim(id);
      reclaimed++;
      entries += seen.entries;
    }
    if (sets.size === reclaimed) this.#holdsChunks = undefined;
    return { sets: reclaimed, entries };
  }

  async #ownerRefersTo(set: string): Promise<boolean> {
    const record = await this.#raw.get(setKey(set));
    if (!record) return false;
    let owner: unknown;
    try {
      owner = JSON.parse(new TextDecoder().decode(record.value));
    } catch {
      return false;
    }
    const path = isPlainObject(owner) ? owner.key : undefined;
    if (typeof path !== 'string') return false;
    return (await this.#manifestAt(path))?.set === set;
  }
}

function newSetId(): string {
  return `${Date.now().toString(36)}-${randomBytes(12).toString('hex')}`;
}

function encodeCrcs(crcs: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(crcs.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < crcs.length; i++) view.setUint32(i * 4, (crcs[i] as number) >>> 0);
  return bytes;
}

function decodeCrcs(bytes: Uint8Array, manifest: Manifest, key: string, backend: string): Uint32Array {
  if (bytes.byteLength !== manifest.chunks * 4) {
    throw new CorruptValueError('The manifest of a large value does not match its chunk count', { key, backend });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: manifest.chunks }, (_, i) => view.getUint32(i * 4));
}

function conditionError(
  key: string,
  backend: string,
  actualEtag: string | undefined,
  options: PutOptions,
): ConditionFailedError {
  const wanted = options.ifAbsent ? 'to be absent' : `to have ETag '${options.ifMatch ?? ''}'`;
  const found = actualEtag === undefined ? 'it is absent' : `it has ETag '${actualEtag}'`;
  return new ConditionFailedError(`Condition failed: expected the key ${wanted}, but ${found}`, {
    key,
    backend,
    actualEtag,
  });
}
