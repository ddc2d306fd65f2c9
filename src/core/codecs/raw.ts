import type { Codec } from './codec.ts';

/** Bytes as they are (copied, so callers cannot change stored data). */
export const rawCodec: Codec<Uint8Array> = {
  name: 'raw',
  encode(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError('raw codec needs a Uint8Array');
    return new Uint8Array(value);
  },
  decode(bytes) {
    return new Uint8Array(bytes);
  },
};
