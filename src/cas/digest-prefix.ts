import type { Backend } from '../core/backend.ts';
import { AmbiguousDigestError, NotFoundError, OperationError } from '../core/errors.ts';
import type { Key } from '../core/keys.ts';

const HEX = /^[0-9a-f]+$/;

/**
 * Short digests (fleche's expand / shrink) over entries stored as `root/<digest>`: a
 * range read on the backend's ordered key index, never a scan. Values and call records
 * both use it.
 */
export class DigestIndex {
  constructor(
    readonly backend: Backend,
    readonly root: Key,
    /** What the digests name, for messages: `value`, `call`. */
    readonly what: string,
  ) {}

  /** True for a full digest (64 lower-case hex characters). */
  static isFull(digest: string): boolean {
    return digest.length === 64 && HEX.test(digest);
  }

  /** The one full digest starting with `prefix`: `NotFoundError` if none, `AmbiguousDigestError` if several. */
  async expand(prefix: string): Promise<string> {
    const candidates = await this.candidates(prefix, 10);
    if (candidates.length === 0) {
      throw new NotFoundError(`No stored ${this.what} digest starts with '${prefix}'`, { backend: this.backend.label });
    }
    if (candidates.length > 1) {
      throw new AmbiguousDigestError(
        `${this.what[0]?.toUpperCase()}${this.what.slice(1)} digest prefix '${prefix}' is ambiguous (${candidates.length > 9 ? '10 or more' : candidates.length} matches)`,
        candidates,
        { backend: this.backend.label },
      );
    }
    return candidates[0] as string;
  }

  /** The shortest prefix (at least 4 characters) that {@link expand} resolves to the stored `digest`. */
  async shrink(digest: string): Promise<string> {
    const full = await this.full(digest);
    for (let n = 4; n < 64; n++) {
      if ((await this.candidates(full.slice(0, n), 2)).length === 1) return full.slice(0, n);
    }
    return full;
  }

  /** `digest` itself when full, else its expansion. */
  async full(digest: string): Promise<string> {
    if (typeof digest !== 'string' || !HEX.test(digest) || digest.length > 64) {
      throw new OperationError(`Not a ${this.what} digest: '${String(digest)}' (lower-case hex expected)`, {
        backend: this.backend.label,
      });
    }
    return digest.length === 64 ? digest : this.expand(digest);
  }

  /**
   * True when a full or short digest names a stored entry; a short one that names
   * several throws `AmbiguousDigestError`, as reading it would.
   */
  async has(digest: string): Promise<boolean> {
    if (typeof digest !== 'string' || !HEX.test(digest) || digest.length > 64) return false;
    if (digest.length === 64) return (await this.backend.stat([...this.root, digest])) !== undefined;
    try {
      await this.expand(digest);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /** Every stored digest, in order (keys only). */
  async *list(): AsyncIterable<string> {
    for await (const key of this.backend.keys(this.root, { recursive: false })) yield key[key.length - 1] as string;
  }

  /** Up to `limit` stored digests starting with `prefix`, in order. */
  async candidates(prefix: string, limit: number): Promise<string[]> {
    if (!HEX.test(prefix)) {
      throw new OperationError(`Not a ${this.what} digest prefix: '${prefix}'`, { backend: this.backend.label });
    }
    const out: string[] = [];
    // Keys after the prefix itself, in order: the matches come first.
    for await (const key of this.backend.keys(this.root, { recursive: false, after: [...this.root, prefix], limit })) {
      const digest = key[key.length - 1] as string;
      if (!digest.startsWith(prefix)) break;
      out.push(digest);
    }
    return out;
  }
}
