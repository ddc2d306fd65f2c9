// The memory backend and the tiered cache hand out copies, so a caller writing into a
// value never changes what the next reader gets. A fresh ArrayBuffer per small copy costs
// more than the copying itself (about 1 µs for 1 KB, most of a cache hit), so small copies
// are cut from a shared slab instead, as Node's Buffer pool does. A value's `buffer` may
// then hold other values' bytes too; `byteOffset` and `byteLength` say where its own are.

const SLAB_BYTES = 16 * 1024;
// Larger copies get their own buffer: a long-lived small value keeps its whole slab alive.
const SMALL_BYTES = 2 * 1024;

let slab = new Uint8Array(0);
let used = 0;

/** A plain `Uint8Array` copy of `bytes`, starting at a multiple of 8 within its buffer. */
export function copyOut(bytes: Uint8Array): Uint8Array {
  const length = bytes.byteLength;
  if (length > SMALL_BYTES) return new Uint8Array(bytes);
  if (used + length > slab.byteLength) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + length);
  copy.set(bytes);
  // Each copy starts 8-aligned, so a Float64Array over a value's own bytes stays possible.
  used += (length + 7) & ~7;
  return copy;
}
