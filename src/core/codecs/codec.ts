import { CorruptValueError, SerializationError, StorageError, ValueTypeError } from '../errors.ts';
import type { KeyInput } from '../key-format.ts';
import { isStoreObject } from '../store-object.ts';

/**
 * Turns values into bytes and back. Layers choose a codec; backends never see values.
 */
export interface Codec<T = unknown> {
  /** Name used in configs and as a namespace, e.g. `json`, `msgpack+gzip`. */
  readonly name: string;
  /** Turns a value into bytes. */
  encode(value: T): Uint8Array;
  /** Turns bytes made by {@link Codec.encode} back into the value. */
  decode(bytes: Uint8Array): T;
}

/** Where an encode/decode happens, for error messages. */
export interface CodecContext {
  /** The key whose value is encoded or decoded. */
  key?: KeyInput | undefined;
  /** The label of the backend the value comes from or goes to. */
  backend?: string | undefined;
}

/**
 * A codec whose failures are typed: encoding throws {@link SerializationError} and
 * decoding {@link CorruptValueError}, both naming the codec, whatever the encoder threw
 * (a `TypeError` for a cycle or a BigInt in JSON, for instance).
 */
export function typedCodec<T>(codec: Codec<T>): Codec<T> {
  return {
    name: codec.name,
    encode(value) {
      try {
        return codec.encode(value);
      } catch (error) {
        if (error instanceof StorageError) throw error;
        throw new SerializationError(`Cannot encode value: ${messageOf(error)}`, { codec: codec.name, cause: error });
      }
    },
    decode(bytes) {
      try {
        return codec.decode(bytes);
      } catch (error) {
        if (error instanceof StorageError) throw error;
        throw new CorruptValueError(`Stored bytes do not decode with codec ${codec.name}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The error a typed codec threw, again with the key and backend of the call.
function withContext(error: StorageError, context: CodecContext): StorageError {
  if (error.key !== undefined || (context.key === undefined && context.backend === undefined)) return error;
  const cause = error.cause ?? error;
  return error instanceof SerializationError
    ? new SerializationError(`Cannot encode value: ${messageOf(cause)}`, { ...context, codec: error.codec, cause })
    : new CorruptValueError(error.message, { ...context, cause });
}

/**
 * Encodes with `codec`, turning any failure into a {@link SerializationError} naming key
 * and codec. A store object (see `markStoreObject`) is refused with a {@link ValueTypeError}.
 */
export function encodeValue<T>(codec: Codec<T>, value: T, context: CodecContext = {}): Uint8Array {
  if (isStoreObject(value)) {
    throw new ValueTypeError(
      'A store (a backend, a dict or a layer over one) is a live handle and cannot be stored as a value',
      context,
    );
  }
  try {
    return codec.encode(value);
  } catch (error) {
    if (error instanceof StorageError) throw withContext(error, context);
    throw new SerializationError(`Cannot encode value: ${messageOf(error)}`, {
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
    if (error instanceof StorageError) throw withContext(error, context);
    throw new CorruptValueError(`Stored bytes do not decode with codec ${codec.name}: ${messageOf(error)}`, {
      ...context,
      cause: error,
    });
  }
}
