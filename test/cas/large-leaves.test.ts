import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { leafBytes, leafPieces, sha256Hex, sha256OfPieces } from '../../src/cas/digest.ts';
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
