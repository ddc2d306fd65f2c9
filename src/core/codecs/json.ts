import type { Codec } from './codec.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON text in UTF-8. Rejects values JSON cannot represent instead of silently dropping them. */
export const jsonCodec: Codec = {
  name: 'json',
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} is not representable in JSON`);
    return encoder.encode(text);
  },
  decode(bytes) {
    return JSON.parse(decoder.decode(bytes));
  },
};
