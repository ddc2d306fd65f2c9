import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { type DecodedHeader, MAGIC, MAGIC_WORD, PREFIX_BYTES, parseHeader } from '../kit/entry-record.ts';

export { type DecodedHeader, decodeEntry, encodeEntry, MalformedEntryError } from '../kit/entry-record.ts';

const FIRST_READ = 4096;

/** Reads only the header of an entry file; `undefined` if the file does not exist. */
export async function readHeader(file: string): Promise<DecodedHeader | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    let buffer = Buffer.alloc(FIRST_READ);
    let { bytesRead } = await handle.read(buffer, 0, FIRST_READ, 0);
    if (bytesRead >= PREFIX_BYTES && buffer.subarray(0, 4).equals(MAGIC)) {
      const needed = PREFIX_BYTES + buffer.readUInt32LE(4);
      // A damaged length field can claim up to 4 GB: never read (or allocate) past the file.
      if (needed > bytesRead && needed <= (await handle.stat()).size) {
        buffer = Buffer.alloc(needed);
        ({ bytesRead } = await handle.read(buffer, 0, needed, 0));
      }
    }
    return parseHeader(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

// The first read of every synchronous header read goes into this one buffer, parsed before
// the next read can reuse it: a fresh 4 KB buffer is too large for Buffer's pool, so each
// entry of a listing cost an ArrayBuffer of its own (10,000 entries: 40 MB of garbage).
const firstRead = Buffer.allocUnsafe(FIRST_READ);

/**
 * {@link readHeader} in one synchronous step: three system calls without three trips
 * through libuv's thread pool, for the small reads of puts and listings.
 */
export function readHeaderSync(file: string): DecodedHeader | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const bytesRead = readSync(fd, firstRead, 0, FIRST_READ, 0);
    if (bytesRead >= PREFIX_BYTES && firstRead.readUInt32LE(0) === MAGIC_WORD) {
      const needed = PREFIX_BYTES + firstRead.readUInt32LE(4);
      // A damaged length field can claim up to 4 GB: never read (or allocate) past the file.
      if (needed > bytesRead && needed <= fstatSync(fd).size) {
        const buffer = Buffer.allocUnsafe(needed);
        return parseHeader(buffer, readSync(fd, buffer, 0, needed, 0));
      }
    }
    return parseHeader(firstRead, bytesRead);
  } finally {
    closeSync(fd);
  }
}
