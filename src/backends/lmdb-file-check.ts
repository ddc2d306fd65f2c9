import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CorruptValueError } from '../core/errors.ts';

/*
 * LMDB maps data.mdb into memory and follows page numbers without checking them against
 * the file's length: a truncated file kills the process with SIGBUS or SIGSEGV on the first
 * read, before any error can be thrown. So the two meta pages are checked here, before
 * lmdb-js maps the file. Offsets are those of the LMDB build inside lmdb-js 3 (a 24-byte
 * page header, then MDB_meta).
 */

const MAGIC = 0xbeefc0de;
const P_META = 0x08;
const META_FLAGS = 0x12;
const META_MAGIC = 0x18;
const META_VERSION = 0x1c;
const META_ADDRESS = 0x20;
const META_MAP_SIZE = 0x28;
const META_PAGE_SIZE = 0x30; // the free-page database's md_pad holds the page size
const DB_RECORDS = [0x30, 0x60]; // MDB_db of the free-page and the main database
const DB_DEPTH = 0x06;
const DB_PAGE_COUNTS = [0x08, 0x10, 0x18]; // branch, leaf and overflow pages
const DB_ROOT = 0x28;
const META_LAST_PAGE = 0x90;
const META_TXNID = 0x98;
const META_BYTES = 0xa0;
const NO_PAGE = 0xffffffffffffffffn;

interface MetaPage {
  pageSize: number;
  lastPage: bigint;
  txnid: bigint;
}

/** The meta page at `offset`, or why it is not a sound one. */
function readMeta(bytes: Buffer, offset: number, fileSize: number): MetaPage | string {
  if (bytes.length < offset + META_BYTES) return 'the file ends inside a meta page';
  if ((bytes.readUInt16LE(offset + META_FLAGS) & P_META) === 0) return 'a meta page without its flag';
  if (bytes.readUInt32LE(offset + META_MAGIC) !== MAGIC) return 'a meta page without the LMDB magic number';
  if (bytes.readUInt32LE(offset + META_VERSION) !== 2) return 'an unknown format version';
  if (bytes.readBigUInt64LE(offset + META_ADDRESS) !== 0n) return 'a fixed map address';
  const pageSize = bytes.readUInt32LE(offset + META_PAGE_SIZE);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `a page size of ${pageSize}`;
  const mapSize = bytes.readBigUInt64LE(offset + META_MAP_SIZE);
  if (mapSize % BigInt(pageSize) !== 0n || mapSize > 2n ** 48n) return `a map size of ${mapSize}`;
  const lastPage = bytes.readBigUInt64LE(offset + META_LAST_PAGE);
  const needed = (lastPage + 1n) * BigInt(pageSize);
  if (BigInt(fileSize) < needed) return `${fileSize} bytes, but a meta page records ${needed}`;
  for (const db of DB_RECORDS) {
    if (bytes.readUInt16LE(offset + db + DB_DEPTH) > 32) return 'a B-tree deeper than 32 levels';
    for (const count of DB_PAGE_COUNTS) {
      if (bytes.readBigUInt64LE(offset + db + count) > lastPage) return 'a page count past the last page';
    }
    const root = bytes.readBigUInt64LE(offset + db + DB_ROOT);
    if (root !== NO_PAGE && (root < 2n || root > lastPage)) return `a root page ${root} outside the file`;
  }
  return { pageSize, lastPage, txnid: bytes.readBigUInt64LE(offset + META_TXNID) };
}

/**
 * Throws {@link CorruptValueError} when either meta page of `file` (an existing data.mdb)
 * is unsound or records more pages than the file holds: the damage that would otherwise
 * crash the process when LMDB maps it.
 */
export function checkLmdbFile(file: string, backend: string): void {
  const fd = openSync(file, 'r');
  let size: number;
  const head = Buffer.alloc(2 * 65536);
  let read: number;
  try {
    size = fstatSync(fd).size;
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (size === 0) return; // a new environment that LMDB has not initialised yet
  const bytes = head.subarray(0, read);
  const damaged = (why: string) =>
    new CorruptValueError(`The LMDB data file ${file} is damaged (${why}); restore it from a backup`, { backend });
  // LMDB writes both meta pages when it creates a file and reads both at open: a page it
  // would trust with garbage in it is as dangerous as a truncated file.
  const first = readMeta(bytes, 0, size);
  if (typeof first === 'string') throw damaged(first);
  const second = readMeta(bytes, first.pageSize, size);
  if (typeof second === 'string') throw damaged(second);
  if (second.pageSize !== first.pageSize) throw damaged('meta pages that disagree on the page size');
}
