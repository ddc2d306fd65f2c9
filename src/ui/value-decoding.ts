import { getCodec, type Key } from '../index.ts';
import type { ApiDecoded } from './api-types.ts';
import { ENTRY_PREVIEW, toValueNode } from './value-view.ts';

/** Codecs the entry page offers. `v8` is not among them: decoding v8 bytes is safe only for trusted stores. */
export const DECODE_CHOICES = ['auto', 'json', 'msgpack', 'text', 'hex'] as const;
/** How the entry page reads compressed values. */
export const COMPRESSION_CHOICES = ['auto', 'none', 'gzip', 'brotli', 'zstd'] as const;

/** A codec choice of the entry page. */
export type DecodeChoice = (typeof DECODE_CHOICES)[number];
/** A compression choice of the entry page. */
export type CompressionChoice = (typeof COMPRESSION_CHOICES)[number];

type BaseCodec = 'json' | 'msgpack' | 'text';
type Compression = 'gzip' | 'brotli' | 'zstd';

const HEX_BYTES = 64 * 1024;
const TEXT_CHARS = 1_000_000;
/** Larger values are shown as hex only; their download still works. */
export const MAX_DECODE_BYTES = 32 * 1024 * 1024;

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexView(bytes: Uint8Array, error?: string): ApiDecoded {
  return {
    codec: 'hex',
    guessed: false,
    hex: Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEX_BYTES)).toString('hex'),
    truncated: bytes.byteLength > HEX_BYTES,
    ...(error ? { error } : {}),
  };
}

function decompress(bytes: Uint8Array, compression: Compression | undefined): Uint8Array {
  return compression ? (getCodec(`raw+${compression}`).decode(bytes) as Uint8Array) : bytes;
}

/** Decodes already decompressed bytes with a base codec; throws when they do not decode. */
function decodeWith(base: BaseCodec, bytes: Uint8Array, compression: Compression | undefined, guessed: boolean) {
  const codec = compression ? `${base}+${compression}` : base;
  const value = getCodec(base).decode(bytes);
  if (base === 'text') {
    const text = value as string;
    return { codec, guessed, text: text.slice(0, TEXT_CHARS), truncated: text.length > TEXT_CHARS };
  }
  return { codec, guessed, tree: toValueNode(value, ENTRY_PREVIEW), truncated: false };
}

/** The codec a key names by its suffix, as PersiDict stores values (`a/b.json`, `c.msgpack+gzip`). */
function codecNamedByKey(key: Key): { base: BaseCodec; compression: Compression | undefined } | undefined {
  const last = key[key.length - 1] ?? '';
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const [base, compression, extra] = last.slice(dot + 1).split('+');
  if (base !== 'json' && base !== 'msgpack' && base !== 'text') return undefined;
  if (extra !== undefined || (compression !== undefined && !['gzip', 'brotli', 'zstd'].includes(compression))) {
    return undefined;
  }
  return { base, compression: compression as Compression | undefined };
}

function looksLikeText(bytes: Uint8Array): boolean {
  try {
    return !CONTROL.test(utf8.decode(bytes));
  } catch {
    return false;
  }
}

function magicCompression(bytes: Uint8Array): Compression | undefined {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) return 'zstd';
  return undefined;
}

/** Guesses the codec of decompressed bytes: JSON, then text, then msgpack (the whole buffer), else hex. */
function guess(bytes: Uint8Array, compression: Compression | undefined): ApiDecoded | undefined {
  const candidates: BaseCodec[] = looksLikeText(bytes) ? ['json', 'text'] : ['msgpack'];
  for (const base of candidates) {
    try {
      return decodeWith(base, bytes, compression, true);
    } catch {
      // Try the next candidate.
    }
  }
  return undefined;
}

function sniff(bytes: Uint8Array): ApiDecoded {
  const compression = magicCompression(bytes);
  if (compression) {
    try {
      const found = guess(decompress(bytes, compression), compression);
      if (found) return found;
    } catch {
      // Magic bytes by chance: read the bytes as they are.
    }
  }
  return guess(bytes, undefined) ?? { ...hexView(bytes), guessed: true };
}

/**
 * Decodes a stored value for display. `auto` uses the codec the key names (as
 * PersiDict suffixes), else a guess from the bytes; an explicit choice that fails says
 * why and shows hex instead.
 */
export function decodeForDisplay(
  key: Key,
  bytes: Uint8Array,
  choice: DecodeChoice,
  compressionChoice: CompressionChoice,
): ApiDecoded {
  if (choice === 'hex') return hexView(bytes);
  if (bytes.byteLength > MAX_DECODE_BYTES) {
    return hexView(
      bytes,
      `The value has ${bytes.byteLength} bytes, more than the ${MAX_DECODE_BYTES} the explorer decodes; download it instead`,
    );
  }
  const named = choice === 'auto' && compressionChoice === 'auto' ? codecNamedByKey(key) : undefined;
  if (choice === 'auto' && compressionChoice === 'auto' && !named) return sniff(bytes);
  const compression = named
    ? named.compression
    : compressionChoice === 'auto' || compressionChoice === 'none'
      ? undefined
      : compressionChoice;
  let plain: Uint8Array;
  try {
    plain = decompress(bytes, compression);
  } catch (error) {
    return hexView(bytes, `The bytes are not ${compression}: ${(error as Error).message}`);
  }
  if (choice === 'auto' && !named) return guess(plain, compression) ?? hexView(bytes, 'No codec decodes these bytes');
  const base = named ? named.base : (choice as BaseCodec);
  try {
    return decodeWith(base, plain, compression, false);
  } catch (error) {
    const codec = compression ? `${base}+${compression}` : base;
    return hexView(bytes, `The bytes do not decode with ${codec}: ${(error as Error).message}`);
  }
}
