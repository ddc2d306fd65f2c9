import { open, readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { OperationError } from '../core/errors.ts';

// The CLI's own files (an input to put, an output of get or export) fail with a typed
// error saying which file and why, like everything else stowage reports, not with
// Node's bare ENOENT / EISDIR.
function fileError(action: 'read' | 'write', file: string, error: unknown): OperationError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? action === 'read'
        ? 'no such file'
        : 'its folder does not exist'
      : code === 'EISDIR'
        ? 'it is a folder'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (error as Error).message;
  return new OperationError(`Cannot ${action} ${file}: ${why}`, { cause: error });
}

/** The bytes of a local file the user named. */
export async function readLocalFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw fileError('read', file, error);
  }
}

/** Writes a local file the user named. */
export async function writeLocalFile(file: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (error) {
    throw fileError('write', file, error);
  }
}

/** A local file the user named, read as a stream; errors about the file are typed, also midway. */
export async function readLocalFileStream(file: string): Promise<AsyncIterable<Uint8Array>> {
  let stream: Readable;
  try {
    const handle = await open(file, 'r');
    // Opening a folder succeeds on Linux; reading it fails. Said before anything is written.
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    }
    stream = handle.createReadStream();
  } catch (error) {
    throw fileError('read', file, error);
  }
  return (async function* () {
    try {
      for await (const piece of stream) yield piece as Buffer;
    } catch (error) {
      throw fileError('read', file, error);
    }
  })();
}

/** Streams `stream` into a local file the user named, or to stdout when `file` is undefined. */
export async function writeLocalStream(file: string | undefined, stream: ReadableStream<Uint8Array>): Promise<void> {
  const source = Readable.fromWeb(stream);
  if (file === undefined) {
    // stdout stays open after the value: other output may follow, and Node owns it.
    await pipeline(source, process.stdout, { end: false });
    return;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'w');
  } catch (error) {
    source.destroy();
    throw fileError('write', file, error);
  }
  await pipeline(source, handle.createWriteStream());
}
