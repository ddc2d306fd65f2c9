import type { Backend, StoredValue } from '../core/backend.ts';
import {
  AmbiguousDigestError,
  ConditionFailedError,
  CorruptValueError,
  NotFoundError,
  OperationError,
  SerializationError,
} from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { type Key, type KeyInput, parsePrefix } from '../core/keys.ts';
import { rejectUnknownOptions } from '../core/known-options.ts';
import { markStoreObject } from '../core/store-object.ts';
import { chunkBytesOf } from '../core/streams.ts';
import {
  containerDigest,
  digestOf,
  leafPieces,
  packTuple,
  sha256Hex,
  sha256OfPieces,
  typedArrayOf,
  typedLeafHeader,
  typedLeafOf,
  unpackTuple,
} from './digest.ts';
import { DigestIndex } from './digest-prefix.ts';
import { type Child, type Children, CONTAINER_KINDS, type ContainerTag, kindOf, type NodeKind } from './node-kinds.ts';

/** A stored node as read: a leaf's value, or a container's children. */
type ReadNode = { tag: 'L'; value: unknown } | ({ tag: ContainerTag } & Children<Child>);

/** Options of {@link ValueStore}. */
export interface ValueStoreOptions {
  /** Where the nodes live. */
  backend: Backend;
  /** Backend prefix (default `cas`). */
  prefix?: KeyInput | undefined;
  /** Children whose encoding is smaller than this many bytes stay inline in their parent (default 256). */
  inlineThreshold?: number | undefined;
  /** Split arrays, objects, Maps and Sets into shared child nodes (default true). */
  destructure?: boolean | undefined;
  /**
   * Nodes written or reused within this many milliseconds are never collected by
   * {@link ValueStore.gc} (default 60,000). A `put` in another process may reuse an
   * existing node a moment before the record that refers to it is written; the grace
   * keeps that node alive until the record exists. Put reuses refresh a node older than
   * half the grace, so a reused node is always young.
   */
  gcGraceMs?: number | undefined;
}

/** What {@link ValueStore.gc} removed (or would remove, in a dry run). */
export interface GcReport {
  /** Nodes deleted (or that would be deleted in a dry run). */
  removed: number;
  /** Bytes of the removed nodes. */
  bytesFreed: number;
  /** Nodes kept because a root or another node refers to them. */
  kept: number;
  /** True when nothing was deleted. */
  dryRun: boolean;
}

/** Options of {@link ValueStore.put}. */
export interface ValuePutOptions {
  /**
   * Store the value under this key (a digest of your own, 64 lower-case hex characters,
   * as fleche's `save(value, key=...)`) as well as under its own digest. `get`, `has`,
   * `expand` and `delete` accept it like a digest; `gc` keeps what it names.
   */
  key?: string | undefined;
}

/**
 * Content-addressed values (fleche's ValueStorage with destructuring). A value is stored
 * under the sha256 of its canonical form; containers are split into child nodes down to
 * an inline threshold, so shared parts are stored once. Reads verify every node.
 *
 * @example
 * ```ts
 * const values = new ValueStore({ backend });
 * const digest = await values.put({ x: [1, 2, 3] });
 * await values.get(await values.expand(digest.slice(0, 6)));
 * ```
 */
export class ValueStore {
  /** The backend holding the nodes. */
  readonly backend: Backend;
  readonly #root: Key;
  // Values saved under a key of the caller's: the key's entry holds the value's digest.
  readonly #aliasRoot: Key;
  readonly #digests: DigestIndex;
  readonly #aliases: DigestIndex;
  readonly #threshold: number;
  readonly #destructure: boolean;
  readonly #graceMs: number;

  constructor(options: ValueStoreOptions) {
    rejectUnknownOptions(options, ['backend', 'prefix', 'inlineThreshold', 'destructure', 'gcGraceMs'], 'ValueStore');
    this.backend = options.backend;
    const base = parsePrefix(options.prefix ?? 'cas', options.backend.label).segments;
    this.#root = [...base, 'v'];
    this.#aliasRoot = [...base, 'keys'];
    this.#digests = new DigestIndex(options.backend, this.#root, 'value');
    this.#aliases = new DigestIndex(options.backend, this.#aliasRoot, 'value key');
    this.#threshold = options.inlineThreshold ?? 256;
    this.#destructure = options.destructure ?? true;
    this.#graceMs = options.gcGraceMs ?? 60_000;
    if (!(this.#graceMs >= 0)) {
      throw new OperationError('gcGraceMs must be a non-negative number of milliseconds', {
        backend: options.backend.label,
      });
    }
  }

  /** The digest a value would be stored under, without storing it. */
  digest(value: unknown): string {
    try {
      return digestOf(value);
    } catch (error) {
      throw new SerializationError(`Cannot digest value: ${(error as Error).message}`, {
        codec: 'msgpack',
        cause: error,
      });
    }
  }

  /**
   * Stores a value; resolves its digest (or the `key` given). Storing the same value
   * again writes nothing new.
   */
  async put(value: unknown, options: ValuePutOptions = {}): Promise<string> {
    rejectUnknownOptions(options, ['key'], 'ValueStore.put', { backend: this.backend.label });
    if (options.key !== undefined && !DigestIndex.isFull(options.key)) {
      throw new OperationError(`A value key must be 64 lower-case hex characters, got '${options.key}'`, {
        backend: this.backend.label,
      });
    }
    const nodes = new Map<string, StoredNode>();
    let digest: string;
    try {
      digest = this.#build(value, nodes, true).digest;
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      throw new SerializationError(`Cannot encode value: ${(error as Error).message}`, {
        codec: 'msgpack',
        backend: this.backend.label,
        cause: error,
      });
    }
    const digests = [...nodes.keys()];
    const found = await Promise.all(digests.map((d) => this.backend.stat(this.#key(d))));
    // A reused node past half the grace is written again, so gc (in any process) sees it
    // young, or sees its ETag change under its conditional delete, and keeps it.
    const now = Date.now();
    const fresh = digests.filter((_, i) => {
      const meta = found[i];
      return meta === undefined || now - meta.modifiedAt > this.#graceMs / 2;
    });
    // A node past the backend's chunk size (a large typed array) is written in chunks.
    const limit = chunkBytesOf(this.backend.capabilities);
    const nodeOf = (d: string) => nodes.get(d) as StoredNode;
    const large = fresh.filter((d) => nodeOf(d).bytes.byteLength > limit);
    const small = fresh.filter((d) => nodeOf(d).bytes.byteLength <= limit);
    await this.backend.putMany(
      small.map((d) => ({ key: this.#key(d), value: nodeOf(d).bytes, attrs: nodeOf(d).attrs })),
    );
    for (const d of large) await this.backend.putStream(this.#key(d), [nodeOf(d).bytes], { attrs: nodeOf(d).attrs });
    if (options.key === undefined || options.key === digest) return digest;
    // The alias is written after the nodes it names, so it never points at nothing.
    await this.backend.put([...this.#aliasRoot, options.key], new TextEncoder().encode(digest));
    return options.key;
  }

  /** Rebuilds a stored value; throws `NotFoundError` when absent, `CorruptValueError` when a node fails verification. */
  async get(digest: string): Promise<unknown> {
    const full = DigestIndex.isFull(digest) ? digest : await this.#full(digest);
    // The common case, a digest, is one read; a key given to `put` is looked up only on a miss.
    const hit = await this.backend.get(this.#key(full));
    if (hit) return this.#rebuildNode(this.#decodeNode(hit, full));
    const target = await this.#target(full);
    if (target === undefined) {
      throw new NotFoundError(`No stored value with digest ${full}`, { backend: this.backend.label });
    }
    return this.#rebuild(target);
  }

  /** True when a digest or key (full or short, as `get` takes them) is stored. */
  async has(digest: string): Promise<boolean> {
    try {
      await this.#full(digest);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      if (error instanceof OperationError && !(error instanceof AmbiguousDigestError)) return false;
      throw error;
    }
  }

  /** Removes one node, or a key given to `put` (fleche's evict); children stay until {@link gc}. */
  async delete(digest: string): Promise<boolean> {
    const full = await this.#full(digest).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (full === undefined) return false;
    if (await this.backend.delete([...this.#aliasRoot, full])) return true;
    return this.backend.delete(this.#key(full));
  }

  /** Every stored digest, in order (keys given to `put` are listed by {@link listKeys}). */
  async *list(): AsyncIterable<string> {
    yield* this.#digests.list();
  }

  /** Every key given to `put`, in order. */
  async *listKeys(): AsyncIterable<string> {
    yield* this.#aliases.list();
  }

  /**
   * The one full digest (or key given to `put`) starting with `prefix`: `NotFoundError`
   * if none, `AmbiguousDigestError` (listing candidates) if several. A range read on the
   * backend's ordered index, not a scan.
   */
  async expand(prefix: string): Promise<string> {
    const [digests, keys] = await Promise.all([
      this.#digests.candidates(prefix, 10),
      this.#aliases.candidates(prefix, 10),
    ]);
    const candidates = [...new Set([...digests, ...keys])].sort();
    if (candidates.length === 0)
      throw new NotFoundError(`No stored digest starts with '${prefix}'`, { backend: this.backend.label });
    if (candidates.length > 1) {
      throw new AmbiguousDigestError(
        `Digest prefix '${prefix}' is ambiguous (${candidates.length > 9 ? '10 or more' : candidates.length} matches)`,
        candidates.slice(0, 10),
        { backend: this.backend.label },
      );
    }
    return candidates[0] as string;
  }

  /** The shortest prefix (at least 4 characters) that {@link expand} resolves to `digest`. */
  async shrink(digest: string): Promise<string> {
    const d = await this.#full(digest);
    for (let n = 4; n < 64; n++) {
      const [digests, keys] = await Promise.all([
        this.#digests.candidates(d.slice(0, n), 2),
        this.#aliases.candidates(d.slice(0, n), 2),
      ]);
      if (new Set([...digests, ...keys]).size === 1) return d.slice(0, n);
    }
    return d;
  }

  /** Digests a stored node refers to directly (its stored children, not inline ones). */
  async children(digest: string): Promise<string[]> {
    return childRefs(await this.#node(await this.#full(digest)));
  }

  /** How many stored nodes refer to `digest` (shared children count more than once). */
  async reuses(digest: string): Promise<number> {
    const d = await this.#full(digest);
    let count = 0;
    for await (const refs of this.#allRefs()) for (const r of refs) if (r === d) count++;
    return count;
  }

  /** Reference counts of every referenced digest. */
  async countReuses(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for await (const refs of this.#allRefs()) for (const r of refs) counts.set(r, (counts.get(r) ?? 0) + 1);
    return counts;
  }

  /**
   * Removes every node not reachable from `roots` and older than the grace
   * (`gcGraceMs`, overridable per call with `graceMs`); with `dryRun` only reports. Safe
   * beside concurrent `put`s in other processes: a node a `put` reused is young, and each
   * removal is conditional on the ETag the listing saw.
   *
   * Pass roots that take time to find (a query of call records) as an async iterable:
   * they are read after the grace clock starts, so a record saved while they are read
   * names nodes that are either among the roots or younger than the grace.
   */
  async gc(options: {
    roots: Iterable<string> | AsyncIterable<string>;
    dryRun?: boolean;
    graceMs?: number;
  }): Promise<GcReport> {
    const graceMs = options.graceMs ?? this.#graceMs;
    const started = Date.now();
    const live = new Set<string>();
    const stack: string[] = [];
    for await (const root of options.roots) stack.push(root);
    // What a key given to `put` names is a root too.
    for await (const key of this.#aliases.list()) {
      const target = await this.#target(key);
      if (target !== undefined) stack.push(target);
    }
    while (stack.length) {
      const d = stack.pop() as string;
      if (live.has(d)) continue;
      live.add(d);
      const hit = await this.backend.get(this.#key(d));
      // A typed leaf has no children: its bytes need not be hashed again here.
      if (hit && !isTypedNode(hit.meta.attrs)) stack.push(...childRefs(this.#decodeNode(hit, d)));
    }
    const doomed: { digest: string; etag: string; size: number }[] = [];
    let kept = 0;
    for await (const { key, meta } of this.backend.list(this.#root, { recursive: false })) {
      const d = key[key.length - 1] as string;
      if (live.has(d) || started - meta.modifiedAt < graceMs) kept++;
      else doomed.push({ digest: d, etag: meta.etag, size: meta.size });
    }
    let removed = 0;
    let bytesFreed = 0;
    for (const node of doomed) {
      if (!options.dryRun) {
        const condition = this.backend.capabilities.atomicConditionalWrite ? { ifMatch: node.etag } : {};
        const gone = await this.backend.delete(this.#key(node.digest), condition).catch((e: unknown) => {
          if (e instanceof ConditionFailedError) return false; // reused (rewritten) since the listing
          throw e;
        });
        if (!gone) {
          kept++;
          continue;
        }
      }
      removed++;
      bytesFreed += node.size;
    }
    return { removed, bytesFreed, kept, dryRun: options.dryRun ?? false };
  }

  #key(digest: string): Key {
    return [...this.#root, digest];
  }

  // A full digest or key: given whole, or expanded from a short one. A full one that is
  // stored neither as a node nor as a key is NotFound here, so `has` sees it.
  async #full(digest: string): Promise<string> {
    if (typeof digest !== 'string' || !/^[0-9a-f]{1,64}$/.test(digest)) {
      throw new OperationError(`Not a digest: '${String(digest)}' (lower-case hex expected)`, {
        backend: this.backend.label,
      });
    }
    if (digest.length < 64) return this.expand(digest);
    const [node, alias] = await Promise.all([
      this.backend.stat(this.#key(digest)),
      this.backend.stat([...this.#aliasRoot, digest]),
    ]);
    if (!node && !alias)
      throw new NotFoundError(`No stored value with digest ${digest}`, { backend: this.backend.label });
    return digest;
  }

  // The digest a key given to `put` names.
  async #target(key: string): Promise<string | undefined> {
    const alias = await this.backend.get([...this.#aliasRoot, key]);
    return alias ? new TextDecoder().decode(alias.value) : undefined;
  }

  #build(value: unknown, nodes: Map<string, StoredNode>, root: boolean): { digest: string; child: Child } {
    const tag = kindOf(value);
    if (tag === 'L' || (!this.#destructure && !root)) {
      if (tag !== 'L') {
        const digest = digestOf(value);
        return { digest, child: ['i', value] };
      }
      // A large typed array is hashed from its own memory (see leafPieces).
      const pieces = leafPieces(value);
      const digest = sha256OfPieces(pieces);
      if (!root && byteLengthOf(pieces) < this.#threshold) return { digest, child: ['i', value] };
      // A typed array is stored as its own bytes, its class in the entry's `elementType`
      // (so the hdf5 backend keeps it as a dataset of numbers); its digest is the same.
      const typed = typedLeafOf(value);
      nodes.set(
        digest,
        typed ? { bytes: typed.data, attrs: { elementType: typed.elementType } } : { bytes: leafBytesOf(pieces) },
      );
      return { digest, child: ['d', digest] };
    }
    const kind = CONTAINER_KINDS[tag];
    const { labels, items } = kind.split(value);
    const built = items.map((item) => this.#build(item, nodes, false));
    const digests = built.map((b) => b.digest);
    const children = built.map((b) => b.child);
    const digest = containerDigest(tag, kind.parts(labels, digests));
    const bytes = packTuple([tag, kind.store(labels, children, digests)]);
    // A container is inlined only when all its children are: an inline copy of a stored child would duplicate it.
    if (!root && !children.some(isRef) && bytes.byteLength < this.#threshold) return { digest, child: ['i', value] };
    nodes.set(digest, { bytes });
    return { digest, child: ['d', digest] };
  }

  async #node(digest: string): Promise<ReadNode> {
    const hit = await this.backend.get(this.#key(digest));
    if (!hit) throw new NotFoundError(`No stored value with digest ${digest}`, { backend: this.backend.label });
    return this.#decodeNode(hit, digest);
  }

  #decodeNode({ value: bytes, meta }: StoredValue, digest: string): ReadNode {
    if (isTypedNode(meta.attrs)) return this.#decodeTypedLeaf(bytes, meta.attrs.elementType, digest);
    let node: ReadNode;
    try {
      node = readNode(unpackTuple(bytes));
    } catch (error) {
      throw new CorruptValueError(`Stored node ${digest} does not decode`, {
        backend: this.backend.label,
        cause: error,
      });
    }
    if (nodeDigest(node, bytes) !== digest) {
      throw new CorruptValueError(`Stored node does not match its digest ${digest}`, { backend: this.backend.label });
    }
    return node;
  }

  // A typed leaf is stored as the array's bytes; its digest is that of the packed leaf,
  // the header msgpackr writes followed by those bytes.
  #decodeTypedLeaf(bytes: Uint8Array, elementType: string, digest: string): ReadNode {
    const header = typedLeafHeader(elementType, bytes.byteLength);
    if (!header || sha256OfPieces([header, bytes]) !== digest) {
      throw new CorruptValueError(`Stored node does not match its digest ${digest}`, { backend: this.backend.label });
    }
    const value = typedArrayOf(elementType, bytes);
    if (!value) {
      throw new CorruptValueError(`Stored node ${digest} is not a whole ${elementType}`, {
        backend: this.backend.label,
      });
    }
    return { tag: 'L', value };
  }

  async #rebuild(digest: string): Promise<unknown> {
    return this.#rebuildNode(await this.#node(digest));
  }

  async #rebuildNode(node: ReadNode): Promise<unknown> {
    if (node.tag === 'L') return node.value;
    // Stored children are fetched together; inline ones are used as they are, without a
    // promise each (a node of 140 inline numbers would otherwise make 140). Each reference is
    // rebuilt on its own, so two equal children never come back as one shared object.
    const fetches: Promise<unknown>[] = [];
    for (const c of node.items) if (isRef(c)) fetches.push(this.#rebuild(c[1]));
    const fetched = await Promise.all(fetches);
    let next = 0;
    const values = node.items.map((c) => (c[0] === 'i' ? c[1] : fetched[next++]));
    return CONTAINER_KINDS[node.tag].rebuild(node.labels, values);
  }

  async *#allRefs(): AsyncIterable<string[]> {
    const batch: Key[] = [];
    const flush = async () => {
      const hits = await this.backend.getMany(batch.splice(0));
      return hits.map((h) => (h && !isTypedNode(h.meta.attrs) ? childRefs(readNode(unpackTuple(h.value))) : []));
    };
    for await (const { key, meta } of this.backend.list(this.#root, { recursive: false })) {
      // A typed leaf (a large array, often) has no children: it is never read here.
      if (isTypedNode(meta.attrs)) continue;
      batch.push(key);
      if (batch.length >= 200) yield* await flush();
    }
    if (batch.length) yield* await flush();
  }
}

/** A node to write: its bytes, and the entry attributes of a typed leaf. */
interface StoredNode {
  bytes: Uint8Array;
  attrs?: JsonObject;
}

function isTypedNode(attrs: JsonObject): attrs is JsonObject & { elementType: string } {
  return typeof attrs.elementType === 'string';
}

function byteLengthOf(pieces: readonly Uint8Array[]): number {
  let total = 0;
  for (const piece of pieces) total += piece.byteLength;
  return total;
}

// Leaves other than typed arrays are one piece: their packed bytes.
function leafBytesOf(pieces: readonly Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces);
}

function isRef(child: Child): child is ['d', string] {
  return child[0] === 'd';
}

function childRefs(node: ReadNode): string[] {
  return node.tag === 'L' ? [] : node.items.filter(isRef).map((c) => c[1]);
}

function readNode(packed: unknown): ReadNode {
  const [tag, stored] = packed as [NodeKind, unknown];
  if (tag === 'L') return { tag, value: stored };
  if (!Object.hasOwn(CONTAINER_KINDS, tag) || !Array.isArray(stored))
    throw new TypeError(`Not a node: tag '${String(tag)}'`);
  return { tag, ...CONTAINER_KINDS[tag].read(stored) };
}

// Recomputes a node's digest from its stored form (inline children are hashed here).
function nodeDigest(node: ReadNode, bytes: Uint8Array): string {
  if (node.tag === 'L') return sha256Hex(bytes);
  const digests = node.items.map((c) => (c[0] === 'd' ? c[1] : digestOf(c[1])));
  return containerDigest(node.tag, CONTAINER_KINDS[node.tag].parts(node.labels, digests));
}

markStoreObject(ValueStore);
