import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { leafBytes, leafPieces, sha256Hex, sha256OfPieces, typedLeafHeader } from '../../src/cas/digest.ts';
import { ValueStore } from '../../src/cas/value-store.ts';

// Large typed arrays are hashed and stored from their own memory instead of being packed
// (digest.ts, leafPieces). Digests are addresses: those pieces must be the very bytes the
// packed form has, or values stored before and after would get different digests.
const CLASSES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

function large(Class: (typeof CLASSES)[number], bytes: number, offsetElements = 0): ArrayBufferView {
  const size = Class.BYTES_PER_ELEMENT;
  const buffer = randomBytes(bytes + offsetElements * size).buffer;
  return new Class(buffer, offsetElements * size, bytes / size) as ArrayBufferView;
}

describe('large typed-array leaves', () => {
  it('are split into pieces whose bytes and digest are those of the packed leaf, for every class', () => {
    for (const Class of CLASSES) {
      for (const value of [large(Class, 80 * 1024), large(Class, 70_000 - (70_000 % 8), 3)]) {
        const pieces = leafPieces(value);
        expect(pieces.length, Class.name).toBe(2);
        expect(Buffer.concat(pieces).equals(leafBytes(value)), Class.name).toBe(true);
        expect(sha256OfPieces(pieces), Class.name).toBe(sha256Hex(leafBytes(value)));
      }
    }
  });

  it('have the header msgpackr writes, at every length form (ext 8, 16 and 32)', () => {
    for (const Class of CLASSES) {
      const size = Class.BYTES_PER_ELEMENT;
      for (const elements of [0, 1, 3, 254 / size, 256 / size, 65_528 / size, 65_536 / size, 70_000 / size]) {
        const n = Math.floor(elements);
        const value = new Class(n) as ArrayBufferView;
        const packed = leafBytes(value);
        const header = typedLeafHeader(Class.name, value.byteLength) as Uint8Array;
        expect(Buffer.from(packed.subarray(0, header.byteLength)).equals(header), `${Class.name} x ${n}`).toBe(true);
        expect(packed.byteLength - header.byteLength, `${Class.name} x ${n}`).toBe(value.byteLength);
      }
    }
    expect(typedLeafHeader('Buffer', 8)).toBeUndefined();
    expect(typedLeafHeader('NoSuchArray', 8)).toBeUndefined();
  });

  it('are stored as their own bytes, typed, and read back; nodes stored packed (before) still read', async () => {
    const backend = new MemoryBackend();
    const store = new ValueStore({ backend });
    try {
      const value = Float32Array.of(1.5, 2.5, -3);
      const digest = await store.put(value);
      const node = await backend.get(['cas', 'v', digest]);
      expect(node?.meta.attrs).toEqual({ elementType: 'Float32Array' });
      expect(node?.value.byteLength).toBe(12);
      expect(await store.get(digest)).toEqual(value);
      // A node as earlier versions wrote it: the packed leaf, no attributes.
      const old = Int16Array.of(4, 5, 6);
      await backend.put(['cas', 'v', sha256Hex(leafBytes(old))], leafBytes(old));
      expect(await store.get(sha256Hex(leafBytes(old)))).toEqual(old);
      // A typed node whose bytes were changed fails its digest.
      await backend.put(['cas', 'v', digest], new Uint8Array(12), { attrs: { elementType: 'Float32Array' } });
      await expect(store.get(digest)).rejects.toThrow(/does not match its digest/);
    } finally {
      await backend.close();
    }
  });

  it('leave small arrays, Buffers and DataViews to the packer', () => {
    expect(leafPieces(new Float64Array(10))).toHaveLength(1);
    expect(leafPieces(Buffer.alloc(100_000))).toHaveLength(1);
    // The packer decides about everything else: a DataView is refused as it always was.
    expect(() => leafPieces(new DataView(new ArrayBuffer(100_000)))).toThrow(/DataView/);
  });

  it('round-trip through a ValueStore under the digest digest() computes, chunked or whole', async () => {
    const store = new ValueStore({ backend: new MemoryBackend() });
    try {
      for (const value of [
        large(Float64Array, 9 << 20),
        large(Int16Array, 100_000, 1),
        Buffer.from(randomBytes(200_000)),
      ]) {
        const digest = await store.put(value);
        expect(digest).toBe(store.digest(value));
        const back = (await store.get(digest)) as ArrayBufferView;
        expect(
          Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(
            Buffer.from(value.buffer, value.byteOffset, value.byteLength),
          ),
        ).toBe(true);
      }
    } finally {
      await store.backend.close();
    }
  });
});
