import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { byteProgress, countedPieces, countedStream } from '../../src/cli/byte-progress.ts';

// A terminal as cli-progress sees one: a writable with isTTY and a width.
function terminal(): { stream: PassThrough & { isTTY: boolean; columns: number }; text(): string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let out = '';
  stream.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { stream, text: () => out };
}

async function* piecesOf(pieces: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* pieces;
}

async function drain(pieces: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const p of pieces) n += p.byteLength;
  return n;
}

describe('byte progress (stowage put FILE, put -, get)', () => {
  it('draws bytes of a known total on a terminal, passing every piece through unchanged', async () => {
    const tty = terminal();
    const bar = byteProgress('put', 3 * 2048, tty.stream);
    const pieces = [new Uint8Array(2048), new Uint8Array(2048), new Uint8Array(2048)];
    expect(await drain(countedPieces(piecesOf(pieces), bar))).toBe(6144);
    bar.stop();
    expect(tty.text()).toContain('put');
    expect(tty.text()).toContain('of 6.0 KB');
  });

  it('shows bytes without a total for a pipe of unknown length, and counts a web stream', async () => {
    const tty = terminal();
    const bar = byteProgress('get', undefined, tty.stream);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(1024));
        controller.enqueue(new Uint8Array(1024));
        controller.close();
      },
    });
    expect(await drain(countedStream(stream, bar))).toBe(2048);
    bar.stop();
    expect(tty.text()).toMatch(/get .*B/);
    expect(tty.text()).not.toContain('%');
  });

  it('stays silent where stderr is not a terminal (pipes, scripts, CI)', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (d: Buffer) => {
      written += d.toString();
    });
    const bar = byteProgress('put', 10, out);
    expect(await drain(countedPieces(piecesOf([new Uint8Array(10)]), bar))).toBe(10);
    bar.stop();
    expect(written).toBe('');
  });
});
