import type { Backend } from '../core/backend.ts';
import {
  AmbiguousDigestError,
  CorruptValueError,
  NotFoundError,
  OperationError,
  SerializationError,
} from '../core/errors.ts';
import { type Key, type KeyInput, parsePrefix } from '../core/keys.ts';
import { containerDigest, digestOf, leafBytes, packTuple, sha256Hex, unpackTuple } from './digest.ts';
import { type Child, type Children, CONTAINER_KINDS, type ContainerTag, kindOf, type NodeKind } from './node-kinds.ts';

/** A stored node as read: a leaf's value, or a container's children. */
type ReadNode = { tag: 'L'; value: unknown } | ({ tag: ContainerTag } & Children<Child>);

/** Options of {@link ValueStore}. */
export interface ValueStoreOptions {
  backend: Backend;
  /** Backend prefix (default `cas`). */
  prefix?: KeyInput | undefined;
  /** Children whose encoding is smaller than this many bytes stay inline in their parent (default 256). */
  inlineThreshold?: number | undefined;
  /** Split arrays, objects, Maps and Sets into shared child nodes (default true). */
  destructure?: boolean | undefined;
}

/** What {@link ValueStore.gc} removed (or would remove, in a dry run). */
export interface GcReport {
  removed: number;
  bytesFreed: number;
  kept: number;
  dryRun: boolean;
}

const HEX = /^[0-9a-f]{1,64}$/;

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
  readonly backend: Backend;
  readonly #root: Key;
  readonly #threshold: number;
  readonly #destructure: boolean;

  constructor(options: ValueStoreOptions) {
    this.backend = options.backend;
    this.#root = [...parsePrefix(options.prefix ?? 'cas', options.backend.label).segments, 'v'];
    this.#threshold = options.inlineThreshold ?? 256;
    this.#destructure = options.destructure ?? true;
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

  /** Stores a value; resolves its digest. Storing the same value again writes nothing new. */
  async put(value: unknown): Promise<string> {
    const nodes = new Map<string, Uint8Array>();
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
    const existing = new Set<string>();
    for (let i = 0; i < digests.length; i += 500) {
      const chunk = digests.slice(i, i + 500);
      const found = await Promise.all(chunk.map((d) => this.backend.stat(this.#key(d))));
      for (const [j, meta] of found.entries()) if (meta) existing.add(chunk[j] as string);
    }
    const fresh = digests.filter((d) => !existing.has(d));
    for (let i = 0; i < fresh.length; i += 500) {
      await this.backend.putMany(
        fresh.slice(i, i + 500).map((d) => ({ key: this.#key(d), value: nodes.get(d) as Uint8Array })),
      );
    }
    return digest;
  }

  /** Rebuilds a stored value; throws `NotFoundError` when absent, `CorruptValueError` when a node fails verification. */
  async get(digest: string): Promise<unknown> {
    const d = await this.#full(digest);
    return this.#rebuild(d);
  }

  /** True when the digest is stored. */
  async has(digest: string): Promise<boolean> {
    return HEX.test(digest) && digest.length === 64 && (await this.backend.stat(this.#key(digest))) !== undefined;
  }

  /** Removes one node (fleche's evict); children stay until {@link gc}. */
  async delete(digest: string): Promise<boolean> {
    return this.backend.delete(this.#key(await this.#full(digest)));
  }

  /** Every stored digest, in order. */
  async *list(): AsyncIterable<string> {
    for await (const { key } of this.backend.list(this.#root, { recursive: false }))
      yield key[key.length - 1] as string;
  }

  /**
   * The one full digest starting with `prefix`: `NotFoundError` if none,
   * `AmbiguousDigestError` (listing candidates) if several. A range read on the backend's
   * ordered index, not a scan.
   */
  async expand(prefix: string): Promise<string> {
    const candidates = await this.#candidates(prefix, 10);
    if (candidates.length === 0)
      throw new NotFoundError(`No stored digest starts with '${prefix}'`, { backend: this.backend.label });
    if (candidates.length > 1) {
      throw new AmbiguousDigestError(
        `Digest prefix '${prefix}' is ambiguous (${candidates.length > 9 ? '10 or more' : candidates.length} matches)`,
        candidates,
        {
          backend: this.backend.label,
        },
      );
    }
    return candidates[0] as string;
  }

  /** The shortest prefix (at least 4 characters) that {@link expand} resolves to `digest`. */
  async shrink(digest: string): Promise<string> {
    const d = await this.#full(digest);
    for (let n = 4; n < 64; n++) {
      if ((await this.#candidates(d.slice(0, n), 2)).length === 1) return d.slice(0, n);
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

  /** Removes every node not reachable from `roots`; with `dryRun` only reports. */
  async gc(options: { roots: Iterable<string>; dryRun?: boolean }): Promise<GcReport> {
    const live = new Set<string>();
    const stack = [...options.roots];
    while (stack.length) {
      const d = stack.pop() as string;
      if (live.has(d)) continue;
      live.add(d);
      const hit = await this.backend.get(this.#key(d));
      if (hit) stack.push(...childRefs(this.#decodeNode(hit.value, d)));
    }
    const doomed: string[] = [];
    let bytesFreed = 0;
    let kept = 0;
    for await (const { key, meta } of this.backend.list(this.#root, { recursive: false })) {
      const d = key[key.length - 1] as string;
      if (live.has(d)) kept++;
      else {
        doomed.push(d);
        bytesFreed += meta.size;
      }
    }
    if (!options.dryRun) {
      for (let i = 0; i < doomed.length; i += 500)
        await this.backend.deleteMany(doomed.slice(i, i + 500).map((d) => this.#key(d)));
    }
    return { removed: doomed.length, bytesFreed, kept, dryRun: options.dryRun ?? false };
  }

  #key(digest: string): Key {
    return [...this.#root, digest];
  }

  async #full(digest: string): Promise<string> {
    if (typeof digest !== 'string' || !HEX.test(digest)) {
      throw new OperationError(`Not a digest: '${String(digest)}' (lower-case hex expected)`, {
        backend: this.backend.label,
      });
    }
    return digest.length === 64 ? digest : this.expand(digest);
  }

  async #candidates(prefix: string, limit: number): Promise<string[]> {
    if (!HEX.test(prefix))
      throw new OperationError(`Not a digest prefix: '${prefix}'`, { backend: this.backend.label });
    const out: string[] = [];
    // Keys after the prefix itself, in order: the matches come first.
    for await (const { key } of this.backend.list(this.#root, { recursive: false, after: this.#key(prefix), limit })) {
      const d = key[key.length - 1] as string;
      if (!d.startsWith(prefix)) break;
      out.push(d);
    }
    return out;
  }

  #build(value: unknown, nodes: Map<string, Uint8Array>, root: boolean): { digest: string; child: Child } {
    const tag = kindOf(value);
    if (tag === 'L' || (!this.#destructure && !root)) {
      if (tag !== 'L') {
        const digest = digestOf(value);
        return { digest, child: ['i', value] };
      }
      const bytes = leafBytes(value);
      const digest = sha256Hex(bytes);
      if (!root && bytes.byteLength < this.#threshold) return { digest, child: ['i', value] };
      nodes.set(digest, bytes);
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
    nodes.set(digest, bytes);
    return { digest, child: ['d', digest] };
  }

  async #node(digest: string): Promise<ReadNode> {
    const hit = await this.backend.get(this.#key(digest));
    if (!hit) throw new NotFoundError(`No stored value with digest ${digest}`, { backend: this.backend.label });
    return this.#decodeNode(hit.value, digest);
  }

  #decodeNode(bytes: Uint8Array, digest: string): ReadNode {
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

  async #rebuild(digest: string): Promise<unknown> {
    const node = await this.#node(digest);
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
      return hits.map((h) => (h ? childRefs(readNode(unpackTuple(h.value))) : []));
    };
    for await (const { key } of this.backend.list(this.#root, { recursive: false })) {
      batch.push(key);
      if (batch.length >= 200) yield* await flush();
    }
    if (batch.length) yield* await flush();
  }
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
