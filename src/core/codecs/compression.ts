import * as zlib from 'node:zlib';
import { CorruptValueError, OperationError, StorageError } from '../errors.ts';
import type { Codec } from './codec.ts';

/** Compression algorithms; `zstd` only where the running Node has it (22.15+). */
export type Compression = 'gzip' | 'brotli' | 'zstd';

interface Compressor {
  compress(bytes: Uint8Array): Uint8Array;
  decompress(bytes: Uint8Array): Uint8Array;
}

type ZstdZlib = {
  zstdCompressSync?: (b: Uint8Array) => Buffer;
  zstdDecompressSync?: (b: Uint8Array) => Buffer;
};

function compressor(kind: Compression): Compressor {
  switch (kind) {
    case 'gzip':
      return { compress: (b) => zlib.gzipSync(b), decompress: (b) => zlib.gunzipSync(b) };
    case 'brotli':
      return { compress: (b) => zlib.brotliCompressSync(b), decompress: (b) => zlib.brotliDecompressSync(b) };
    case 'zstd': {
      const z = zlib as unknown as ZstdZlib;
      const { zstdCompressSync: c, zstdDecompressSync: d } = z;
      if (!c || !d) throw new OperationError(`zstd compression needs Node 22.15 or later (running ${process.version})`);
      return { compress: (b) => c(b), decompress: (b) => d(b) };
    }
    default:
      throw new OperationError(`Unknown compression '${String(kind)}' (use gzip, brotli or zstd)`);
  }
}

/** True when the running Node supports `kind`. */
export function compressionAvailable(kind: Compression): boolean {
  try {
    compressor(kind);
    return true;
  } catch {
    return false;
  }
}

/** Wraps a codec so its bytes are compressed; the name becomes e.g. `json+gzip`. */
export function withCompression<T>(codec: Codec<T>, kind: Compression): Codec<T> {
  const c = compressor(kind);
  return {
    name: `${codec.name}+${kind}`,
    encode: (value) => c.compress(codec.encode(value)),
    decode: (bytes) => codec.decode(decompressed(c, kind, bytes)),
  };
}

// zlib throws bare errors (Z_DATA_ERROR, "unexpected end of file") on damaged input;
// stored bytes that do not decompress are corrupt like any that do not decode.
function decompressed(c: Compressor, kind: Compression, bytes: Uint8Array): Uint8Array {
  try {
    return c.decompress(bytes);
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new CorruptValueError(`Stored bytes do not decompress with ${kind}: ${(error as Error)?.message ?? error}`, {
      cause: error,
    });
  }
}
