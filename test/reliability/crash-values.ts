/** A value whose bytes prove it was written whole: generation, length, then a pattern of both. */
export function makeValue(gen: number, length: number): Uint8Array {
  const bytes = new Uint8Array(8 + length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, gen);
  view.setUint32(4, length);
  for (let i = 0; i < length; i++) bytes[8 + i] = (gen * 31 + i * 7) & 0xff;
  return bytes;
}

/** The generation of a whole value, or an error describing how it is torn. */
export function checkValue(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gen = view.getUint32(0);
  const length = view.getUint32(4);
  if (bytes.byteLength !== 8 + length) throw new Error(`torn: ${bytes.byteLength} bytes for a ${length}-byte value`);
  for (let i = 0; i < length; i++)
    if (bytes[8 + i] !== ((gen * 31 + i * 7) & 0xff)) throw new Error(`torn at byte ${i}`);
  return gen;
}
