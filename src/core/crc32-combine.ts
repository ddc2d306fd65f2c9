// The CRC-32 of two byte runs joined, from the CRC-32 of each and the second's length
// (zlib's crc32_combine, which node:zlib does not expose). Large values are written in
// chunks whose CRC-32 the backend computes anyway; combining them gives the whole value's
// CRC-32 without reading the bytes a second time.

// The reflected CRC-32 polynomial, as zlib's crc32 uses it.
const POLY = 0xedb88320;

// a * b modulo the polynomial, both reflected (bit 31 is x^0).
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let factor = b;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if (a & bit) product ^= factor;
    factor = factor & 1 ? (factor >>> 1) ^ POLY : factor >>> 1;
  }
  return product >>> 0;
}

// POWERS[k] = x^(2^k) modulo the polynomial.
const POWERS = new Uint32Array(32);
POWERS[0] = 0x40000000; // x^1
for (let k = 1; k < 32; k++) POWERS[k] = multiplyModP(POWERS[k - 1] as number, POWERS[k - 1] as number);

// x^(8 * bytes) modulo the polynomial: appending that many zero bits.
function shiftOf(bytes: number): number {
  let result = 0x80000000; // x^0
  let k = 3; // 8 = 2^3 bits a byte
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) result = multiplyModP(POWERS[k % 32] as number, result);
  }
  return result;
}

/** The CRC-32 of `first` followed by `second`, given `crc32(first)`, `crc32(second)` and `second`'s length. */
export function crc32Combine(first: number, second: number, secondLength: number): number {
  return (multiplyModP(shiftOf(secondLength), first) ^ second) >>> 0;
}
