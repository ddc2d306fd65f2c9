import { OperationError } from '../errors.ts';
import { type Codec, typedCodec } from './codec.ts';
import { type Compression, withCompression } from './compression.ts';
import { jsonCodec } from './json.ts';
import { msgpackCodec } from './msgpack.ts';
import { rawCodec } from './raw.ts';
import { textCodec } from './text.ts';
import { v8Codec } from './v8.ts';

export { type ClassOf, type RegisteredClass, registerClass } from './class-registry.ts';
export { type Codec, type CodecContext, decodeValue, encodeValue, typedCodec } from './codec.ts';
export { type Compression, compressionAvailable, withCompression } from './compression.ts';
export { jsonCodec, msgpackCodec, rawCodec, textCodec, v8Codec };

/** Names of the built-in codecs. */
export type CodecName = 'json' | 'msgpack' | 'v8' | 'text' | 'raw';

// Codecs got by name throw typed errors (SerializationError / CorruptValueError) even
// when used on their own, outside a store.
const builtins: Record<CodecName, Codec> = {
  json: typedCodec(jsonCodec),
  msgpack: typedCodec(msgpackCodec),
  v8: typedCodec(v8Codec),
  text: typedCodec(textCodec as Codec),
  raw: typedCodec(rawCodec as Codec),
};

/**
 * Resolves a codec by name, with optional compression suffix: `json`, `msgpack+gzip`.
 *
 * @example
 * ```ts
 * const codec = getCodec('msgpack+brotli');
 * codec.decode(codec.encode(new Map([[1, 2]])));
 * ```
 */
export function getCodec(name: string): Codec {
  const [base, compression, extra] = name.split('+');
  const codec = builtins[base as CodecName];
  if (!codec || extra !== undefined) {
    throw new OperationError(
      `Unknown codec '${name}' (use ${Object.keys(builtins).join(', ')}, optionally +gzip/+brotli/+zstd)`,
    );
  }
  return compression ? withCompression(codec, compression as Compression) : codec;
}

/** A codec given by name or as an object. */
export type CodecInput = string | Codec;

/** Accepts a codec name or a codec object. */
export function resolveCodec(codec: CodecInput): Codec {
  return typeof codec === 'string' ? getCodec(codec) : codec;
}
