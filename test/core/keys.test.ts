import { describe, expect, it } from 'vitest';
import { compareKeyPaths, isDirectChild, isUnder, parseKey, parsePrefix, prefixRange } from '../../src/core/keys.ts';
import { InvalidKeyError, keyToString } from '../../src/index.ts';

describe('keys', () => {
  it('accepts arrays and strings', () => {
    expect(parseKey('a/b').segments).toEqual(['a', 'b']);
    expect(parseKey(['a', 'b c']).path).toBe('a/b c');
    expect(keyToString(['x', 'y'])).toBe('x/y');
    expect(parsePrefix('').segments).toEqual([]);
    expect(parsePrefix([]).path).toBe('');
  });

  it('enforces the 255-byte segment limit in UTF-8 bytes', () => {
    expect(() => parseKey(`${'\u00e9'.repeat(127)}x`)).not.toThrow();
    expect(() => parseKey('\u00e9'.repeat(128))).toThrow(InvalidKeyError);
    expect(() => parseKey(`${'\u{1F600}'.repeat(63)}abc`)).not.toThrow();
    expect(() => parseKey('\u{1F600}'.repeat(64))).toThrow(InvalidKeyError);
  });

  it('names the offending key and the backend', () => {
    try {
      parseKey('a//b', 'sqlite:/tmp/x');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect((error as InvalidKeyError).message).toContain('"a//b"');
      expect((error as InvalidKeyError).backend).toBe('sqlite:/tmp/x');
      expect((error as InvalidKeyError).code).toBe('INVALID_KEY');
    }
  });

  it('orders by UTF-8 bytes, unlike UTF-16 comparison', () => {
    const astral = '\u{1F600}';
    const bmpHigh = '\uFFFD';
    expect(astral < bmpHigh).toBe(true);
    expect(compareKeyPaths(astral, bmpHigh)).toBeGreaterThan(0);
    expect(compareKeyPaths('a', 'a/b')).toBeLessThan(0);
    expect(compareKeyPaths('a!', 'a/b')).toBeLessThan(0);
  });

  it('computes prefix ranges that exclude siblings', () => {
    expect(prefixRange('a/b')).toEqual({ lower: 'a/b/', upper: 'a/b0' });
    expect(isUnder('a/b/c', 'a/b')).toBe(true);
    expect(isUnder('a/bc', 'a/b')).toBe(false);
    expect(isUnder('a/b', 'a/b')).toBe(false);
    expect(isDirectChild('a/b/c', 'a/b')).toBe(true);
    expect(isDirectChild('a/b/c/d', 'a/b')).toBe(false);
    expect(isDirectChild('x', '')).toBe(true);
  });
});
