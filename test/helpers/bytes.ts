const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export const bytes = (text: string): Uint8Array => encoder.encode(text);
/** A string from UTF-8 bytes. */
export const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : decoder.decode(value);
