import { ReadableStream } from 'node:stream/web';
import type { Backend, Capabilities, Meta, PutOptions } from './backend.ts';
import { CapacityError, OperationError } from './errors.ts';
import type { KeyInput } from './key-format.ts';

/**
 * Bytes to store with {@link Backend.putStream}: a web `ReadableStream`, a Node `Readable`
 * (without an encoding set) or any (async) iterable of `Uint8Array` pieces of any size.
 */
export type ByteSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | NodeJS.ReadableStream;

/** Options of {@link Backend.putStream}. */
export interface PutStreamOptions extends PutOptions {
  /**
   * Size of the chunks a large value is stored in, and the threshold below which a value
   * stays one entry (default: the backend's `capabilities.chunkBytes`, else 4 MiB). A
   * whole number from 1 to the backend's `maxValueBytes`. Changing it never affects
   * values already stored: each value records its own chunk size.
   */
  chunkBytes?: number | undefined;
}

/** A value being read by {@link Backend.getStream}: its bytes as a stream, and its metadata. */
export interface StreamedValue {
  /**
   * The bytes, pulled chunk by chunk as the consumer reads (a web stream, also
   * `for await`-able; `Readable.fromWeb(stream)` gives a Node stream). Each chunk is
   * checked against its checksum as it is read; a mismatch errors the stream with
   * `CorruptValueError`. Cancel it to stop reading early.
   */
  readonly stream: ReadableStream<Uint8Array>;
  /** Metadata of the value (the full size, not the size of a chunk). */
  readonly meta: Meta;
}

/** The default chunk size of `putStream` where a backend states none. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The chunk size of a backend: `capabilities.chunkBytes`, else 4 MiB or its `maxValueBytes`
 * if smaller. Values up to it are one entry; layers write larger ones with `putStream`.
 */
export function chunkBytesOf(capabilities: Capabilities): number {
  const { chunkBytes, maxValueBytes } = capabilities;
  return chunkBytes ?? Math.min(DEFAULT_CHUNK_BYTES, maxValueBytes ?? DEFAULT_CHUNK_BYTES);
}

/**
 * Writes bytes already in memory: with `put` up to the backend's chunk size, with
 * `putStream` past it, so a layer's large value is chunked (and can pass an engine's
 * single-value limit, such as MariaDB's packet size) like a streamed one.
 */
export function putBytes(backend: Backend, key: KeyInput, bytes: Uint8Array, options?: PutOptions): Promise<Meta> {
  if (bytes.byteLength <= chunkBytesOf(backend.capabilities)) return backend.put(key, bytes, options);
  return backend.putStream(key, [bytes], options);
}

/** A stream of one value already in memory (empty values give an empty stream). */
export function streamOfBytes(value: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (value.byteLength > 0) controller.enqueue(value);
      controller.close();
    },
  });
}

function isWebStream(source: object): source is ReadableStream<Uint8Array> {
  return typeof (source as { getReader?: unknown }).getReader === 'function';
}

/**
 * The pieces of a source as an async iterator; `return()` releases the source (cancels a
 * web stream, destroys a Node stream) when the reader stops early.
 */
function piecesOf(source: ByteSource, context: { key: string; backend: string }): AsyncIterator<unknown> {
  if (source === null || typeof source !== 'object') {
    throw new OperationError('putStream needs a ReadableStream, a Node Readable or an iterable of Uint8Array', context);
  }
  if (isWebStream(source)) {
    const reader = source.getReader();
    return {
      async next() {
        const { done, value } = await reader.read();
        return done ? { done: true, value: undefined } : { done: false, value };
      },
      async return() {
        await reader.cancel().catch(() => undefined);
        return { done: true, value: undefined };
      },
    };
  }
  const asyncIterable = source as Partial<AsyncIterable<unknown>>;
  if (typeof asyncIterable[Symbol.asyncIterator] === 'function') {
    return (asyncIterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }
  const iterable = source as Partial<Iterable<unknown>>;
  if (typeof iterable[Symbol.iterator] === 'function') {
    const iterator = (iterable as Iterable<unknown>)[Symbol.iterator]();
    return {
      next: async () => iterator.next(),
      return: async () => iterator.return?.() ?? { done: true, value: undefined },
    };
  }
  throw new OperationError('putStream needs a ReadableStream, a Node Readable or an iterable of Uint8Array', context);
}

/**
 * Reads all of `source` into one `Uint8Array`, refusing it with `CapacityError` once it
 * passes `limit` bytes (for stores that keep values whole).
 */
export async function bytesOf(
  source: ByteSource,
  limit: number,
  context: { key: string; backend: string },
): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunksOf(source, 1024 * 1024, context)) {
    total += chunk.byteLength;
    if (total > limit) {
      throw new CapacityError(`The streamed value passes the store's limit of ${limit} bytes`, context);
    }
    pieces.push(chunk);
  }
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  const whole = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    whole.set(piece, offset);
    offset += piece.byteLength;
  }
  return whole;
}

/**
 * Reads `source` as consecutive chunks of exactly `chunkBytes` bytes (the last one may be
 * shorter; an empty source gives no chunk). Holds at most one chunk at a time: the memory
 * of a put stays flat whatever the size of the value.
 */
export async function* chunksOf(
  source: ByteSource,
  chunkBytes: number,
  context: { key: string; backend: string },
): AsyncGenerator<Uint8Array> {
  const pieces = piecesOf(source, context);
  let finished = false;
  try {
    // Allocated when bytes are first copied into it: whole chunks of large pieces never are.
    let chunk: Uint8Array | undefined;
    let filled = 0;
    for (;;) {
      const step = await pieces.next();
      if (step.done) {
        finished = true;
        break;
      }
      const piece = step.value;
      if (!(piece instanceof Uint8Array)) {
        throw new OperationError(
          `putStream reads bytes, got a piece of type ${typeof piece === 'string' ? 'string (a stream with an encoding set)' : typeof piece}`,
          context,
        );
      }
      let at = 0;
      // Whole chunks of a large piece are passed on as views, not copied: each chunk is
      // written before the caller's putStream resolves, so the bytes cannot change under it.
      while (at < piece.byteLength) {
        if (filled === 0 && piece.byteLength - at >= chunkBytes) {
          yield piece.subarray(at, at + chunkBytes);
          at += chunkBytes;
          continue;
        }
        const take = Math.min(chunkBytes - filled, piece.byteLength - at);
        chunk ??= new Uint8Array(chunkBytes);
        chunk.set(piece.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === chunkBytes) {
          yield chunk;
          chunk = undefined;
          filled = 0;
        }
      }
    }
    if (chunk && filled > 0) yield chunk.subarray(0, filled);
  } finally {
    if (!finished) await pieces.return?.();
  }
}
