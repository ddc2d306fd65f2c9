import type { Codec } from './codec.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strings as UTF-8. */
export const textCodec: Codec<string> = {
  name: 'text',
  encode(value) {
    if (typeof value !== 'string') throw new TypeError(`text codec needs a string, got ${typeof value}`);
    return encoder.encode(value);
  },
  decode(bytes) {
    return decoder.decode(bytes);
  },
};
