import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Combine } from '../../src/core/crc32-combine.ts';

describe('crc32Combine', () => {
  it('gives the CRC-32 of two runs joined, as zlib computes it over the joined bytes', () => {
    const lengths: [number, number][] = [
      [0, 0],
      [0, 7],
      [7, 0],
      [1, 1],
      [255, 256],
      [65_537, 3],
      [3, (4 << 20) + 5],
    ];
    for (const [a, b] of lengths) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      expect(crc32Combine(crc32(first), crc32(second), b), `${a} + ${b} bytes`).toBe(
        crc32(Buffer.concat([first, second])),
      );
    }
  });

  it('folds chunk after chunk into the CRC-32 of the whole value', () => {
    const whole = randomBytes(1_000_003);
    let combined = 0;
    for (let at = 0; at < whole.byteLength; at += 65_536) {
      const chunk = whole.subarray(at, at + 65_536);
      combined = crc32Combine(combined, crc32(chunk), chunk.byteLength);
    }
    expect(combined).toBe(crc32(whole));
  });
});
