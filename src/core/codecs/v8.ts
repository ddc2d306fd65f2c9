import { deserialize, serialize } from 'node:v8';
import type { Codec } from './codec.ts';

/**
 * Node's structured-clone serialisation. Decoding runs code paths the bytes choose:
 * use it only for stores you trust (checksums are verified before decoding).
 */
export const v8Codec: Codec = {
  name: 'v8',
  encode(value) {
    return serialize(value);
  },
  decode(bytes) {
    return deserialize(bytes);
  },
};
