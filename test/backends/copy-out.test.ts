import { describe, expect, it } from 'vitest';
import { copyOut } from '../../src/backends/kit/copy-out.ts';

describe('copyOut (copies handed out by the memory backend and the tiered cache)', () => {
  it('gives independent plain copies: writing into one changes neither the source nor another copy', () => {
    const source = new Uint8Array([1, 2, 3, 4, 5]);
    const a = copyOut(source);
    const b = copyOut(source);
    a[0] = 99;
    b.fill(7);
    expect([...source]).toEqual([1, 2, 3, 4, 5]);
    expect([...a]).toEqual([99, 2, 3, 4, 5]);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
  });

  it('starts every small copy 8-aligned, so typed-array views of its own bytes work', () => {
    const floats = new Float64Array([1.5, -2, 3e300]);
    for (const odd of [new Uint8Array(3), new Uint8Array(13)]) copyOut(odd);
    const copy = copyOut(new Uint8Array(floats.buffer));
    expect(copy.byteOffset % 8).toBe(0);
    expect([...new Float64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8)]).toEqual([1.5, -2, 3e300]);
  });

  it('gives large values a buffer of their own', () => {
    const copy = copyOut(new Uint8Array(100_000).fill(1));
    expect(copy.buffer.byteLength).toBe(100_000);
    expect(copyOut(new Uint8Array(0)).byteLength).toBe(0);
  });
});
