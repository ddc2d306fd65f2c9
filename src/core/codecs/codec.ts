import { CorruptValueError, SerializationError } from '../errors.ts';
import type { KeyInput } from '../key-format.ts';

/**
 * Turns values into bytes and back. Layers choose a codec; backends never see values.
 */
export interface Codec<T = unknown> {
  /** Name used in configs and as a namespace, e.g. `json`, `msgpack+gzip`. */
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Where an encode/decode happens, for error messages. */
export interface CodecContext {
  key?: KeyInput | undefined;
  backend?: string | undefined;
}

/** Encodes with `codec`, turning any failure into a {@link SerializationError} naming key and codec. */
export function encodeValue<T>(codec: Codec<T>, value: T, context: CodecContext = {}): Uint8Array {
  try {
    return codec.encode(value);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    throw new SerializationError(`Cannot encode value: ${(error as Error).message}`, {
      ...context,
      codec: codec.name,
      cause: error,
    });
  }
}

/** Decodes with `codec`, turning any failure into a {@link CorruptValueError} naming the key. */
export function decodeValue<T>(codec: Codec<T>, bytes: Uint8Array, context: CodecContext = {}): T {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw new CorruptValueError(`Stored bytes do not decode with codec ${codec.name}: ${(error as Error).message}`, {
      ...context,
      cause: error,
    });
  }
}
