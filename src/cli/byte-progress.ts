import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { formatBytes } from '../ui/byte-count.ts';

/** Bytes moved so far, drawn as a progress bar on a terminal. */
export interface ByteProgress {
  /** Counts `bytes` more. */
  add(bytes: number): void;
  /** Removes the bar (the command's own output follows). */
  stop(): void;
}

const SILENT: ByteProgress = { add() {}, stop() {} };

/**
 * A progress bar of bytes on `stream` (stderr) when it is a terminal, silent otherwise, so
 * pipes and scripts see only the command's output. Without a `total` (a pipe of unknown
 * length) it shows the bytes and the rate.
 */
export function byteProgress(
  label: string,
  total: number | undefined,
  stream: Writable & { isTTY?: boolean } = process.stderr,
): ByteProgress {
  if (!stream.isTTY) return SILENT;
  const format =
    total === undefined
      ? ` ${label} {size} | {rate}/s`
      : ` ${label} {bar} {percentage}% | {size} of {totalSize} | {rate}/s`;
  const bar = new SingleBar({ stream, format, hideCursor: true, clearOnComplete: true, fps: 5 });
  const started = Date.now();
  let done = 0;
  bar.start(total ?? 1, 0, { size: '0 B', totalSize: formatBytes(total ?? 0), rate: '0 B' });
  return {
    add(bytes) {
      done += bytes;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(total === undefined ? 0 : done, {
        size: formatBytes(done),
        rate: formatBytes(Math.round(done / seconds)),
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/** `source` unchanged, each piece counted on `progress`. */
export async function* countedPieces(
  source: AsyncIterable<Uint8Array>,
  progress: ByteProgress,
): AsyncIterable<Uint8Array> {
  for await (const piece of source) {
    progress.add(piece.byteLength);
    yield piece;
  }
}

/** `stream` unchanged, each chunk counted on `progress`. */
export function countedStream(stream: ReadableStream<Uint8Array>, progress: ByteProgress): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.add(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}
