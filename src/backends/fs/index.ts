import { randomBytes } from 'node:crypto';
import {
  closeSync,
  type Dirent,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { matchesAttrs } from '../../core/attr-filter.ts';
import type * as contract from '../../core/backend.ts';
import { BaseBackend, copyAttrs, type ListPlan } from '../../core/backend-base.ts';
import {
  CapacityError,
  ConnectionError,
  CorruptValueError,
  OperationError,
  StoreNotFoundError,
  UnknownOutcomeError,
} from '../../core/errors.ts';
import { compareKeyPaths, joinPath, type Key, type KeyInput, splitPath } from '../../core/keys.ts';
import { inParallel, inParallelPerKey } from '../kit/in-parallel.ts';
import { LockBusyError, tryLockFileSync } from '../kit/lock-file.ts';
import { makeMeta, verifyValue } from '../kit/meta.ts';
import { checkKnownParams, checkOptions, type OptionRules, optionsFromConfig, requireString } from '../kit/options.ts';
import { boolParam, parseLocalUrl } from '../kit/store-url.ts';
import { decodeEntry, encodeEntry, MalformedEntryError, readHeader, readHeaderSync } from './entry-file.ts';
import { FileLocks } from './file-lock.ts';
import {
  classifyName,
  decodeStem,
  encodeSegment,
  isHashedStem,
  LOCK_SUFFIX,
  SEGMENT_FILE,
  TEMP_MARKER,
  VALUE_SUFFIX,
} from './file-names.ts';

/** Options of {@link FsBackend}. */
export interface FsBackendOptions {
  /** Root directory of the store; created if missing. */
  root: string;
  /** fsync files and directories on every write (default `true`): survives power loss, costs latency. */
  fsync?: boolean | undefined;
  /** A lock older than this is taken over (ms, default 30000). */
  lockLeaseMs?: number | undefined;
  /** Give up waiting for a key's lock after this long (ms, default 10000). */
  lockTimeoutMs?: number | undefined;
}

/** What {@link FsBackend.compact} removed. */
export interface FsCompactReport extends contract.CompactReport {
  /** All files and folders removed. */
  removed: number;
  /** Temporary files of interrupted writes removed. */
  tempFiles: number;
  /** Lock files of dead processes removed. */
  lockFiles: number;
  /** Empty folders removed. */
  directories: number;
}

const OPTIONS: OptionRules = {
  root: 'string',
  fsync: 'boolean',
  // Compared with clocks, never given to a timer, so Infinity (a lease that never expires)
  // is allowed; a lease of 0 would let every waiter take a held lock at once.
  lockLeaseMs: 'positive duration',
  lockTimeoutMs: 'duration',
};

const CAPABILITIES: contract.Capabilities = {
  persistent: true,
  atomicConditionalWrite: true,
  multiProcess: true,
  queryAttrs: false,
  atomicBatch: false,
};

interface DirItem {
  readonly sortKey: string;
  readonly kind: 'value' | 'dir';
  readonly name: string;
}

/** A directory being listed: its items in key order, and the next one to visit. */
interface WalkDir {
  readonly dir: string;
  readonly dirPath: string;
  readonly items: readonly DirItem[];
  next: number;
}

/**
 * One file per entry under a root directory. Every valid key maps to exactly one path
 * inside the root (see file-names.ts); a write goes to a unique temp file in the same
 * directory, is fsynced and renamed over the old file, so readers see the old or the
 * new value, never a mix, also after a crash. Writes to a key are serialised by a
 * lock file, so conditional writes are atomic across processes.
 *
 * @example
 * ```ts
 * const store = await FsBackend.open({ root: './data' });
 * await store.put('runs/a', new Uint8Array([1]));
 * ```
 */
export class FsBackend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #root: string;
  readonly #fsync: boolean;
  readonly #options: FsBackendOptions;
  readonly #locks: FileLocks;
  // Temp files of this instance's writes in flight: compact never takes them for leftovers,
  // whatever minAgeMs says (the synchronous put path finishes its temp file in one step).
  readonly #writing = new Set<string>();
  readonly #knownDirs = new Set<string>();

  private constructor(options: FsBackendOptions) {
    super();
    this.#root = resolve(options.root);
    this.#fsync = options.fsync ?? true;
    this.#options = options;
    this.label = `file:${this.#root}`;
    this.#locks = new FileLocks({ leaseMs: options.lockLeaseMs ?? 30_000, waitMs: options.lockTimeoutMs ?? 10_000 });
  }

  /**
   * Opens a store rooted at `options.root`, creating the folder if needed; with
   * `{ create: false }` the folder must exist already (`StoreNotFoundError`).
   */
  static async open(options: FsBackendOptions, openOptions: contract.OpenOptions = {}): Promise<FsBackend> {
    checkOptions(options, OPTIONS, 'fs');
    requireString(options.root, 'root', 'fs');
    const backend = new FsBackend(options);
    if (openOptions.create === false) {
      if (!isFolder(backend.#root)) {
        throw new StoreNotFoundError(
          `There is no folder ${backend.#root}, and create is false (it opens existing stores only)`,
          { backend: backend.label },
        );
      }
      return backend;
    }
    try {
      mkdirSync(backend.#root, { recursive: true });
    } catch (error) {
      throw new ConnectionError(`Cannot create store directory: ${(error as Error).message}`, {
        backend: backend.label,
        cause: error,
      });
    }
    return backend;
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { segments, path } = this.key(input);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#valueFile(segments));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.wrap(error, 'get', path);
    }
    const entry = this.#decode(() => decodeEntry(bytes), path);
    if (entry.path !== path) return undefined;
    verifyValue(entry.value, entry.meta, path, this.label);
    return { value: entry.value, meta: entry.meta };
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { segments, path } = this.key(input);
    const header = await this.#header(this.#valueFile(segments), path);
    return header?.path === path ? header.meta : undefined;
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
    const { segments, path } = this.checkPut(input, value, options);
    const file = this.#valueFile(segments);
    const attrs = copyAttrs(options.attrs);
    const quick = this.#putSync(segments, path, file, value, attrs, options);
    if (quick) return quick;
    return this.#locked(segments, path, 'put', async (stillHeld) => {
      const current = await this.#header(file, path);
      const currentEtag = current?.path === path ? current.meta.etag : undefined;
      if (options.ifAbsent && currentEtag !== undefined) throw this.conditionFailed(path, currentEtag, options);
      if (options.ifMatch !== undefined && currentEtag !== options.ifMatch) {
        throw this.conditionFailed(path, currentEtag, options);
      }
      const meta = makeMeta(value, attrs, current?.path === path ? current.meta.createdAt : undefined);
      const conditional = options.ifAbsent || options.ifMatch !== undefined;
      await this.#writeAtomically(file, encodeEntry(path, meta, value), async () => {
        // The lock is a lease: if it was taken over while we wrote, the condition we
        // checked may no longer hold, so do not commit.
        if (conditional && !(await stillHeld())) {
          throw new OperationError('Lost the key lock while writing; nothing was written', {
            key: path,
            backend: this.label,
          });
        }
      });
      await this.#syncCommitted(file, path);
      return meta;
    });
  }

  /**
   * The same put in one synchronous step, for a small value without fsync when the key's
   * lock is free and its directory known: the same lock file, header check, temp file
   * and rename, without some fifteen trips through libuv's thread pool (a profile of
   * fs set showed the event loop mostly waiting on them). `undefined` when any of that
   * does not hold, and the ordinary path runs (waiting for the lock, creating directories).
   */
  #putSync(
    segments: readonly string[],
    path: string,
    file: string,
    value: Uint8Array,
    attrs: ReturnType<typeof copyAttrs>,
    options: contract.PutOptions,
  ): contract.Meta | undefined {
    if (this.#fsync || value.byteLength > SYNC_PUT_BYTES) return undefined;
    if (segments.length > 1 && !this.#knownDirs.has(this.#dirOf(segments.slice(0, -1)))) return undefined;
    const lockFile = file.slice(0, -VALUE_SUFFIX.length) + LOCK_SUFFIX;
    if (!this.#locks.idle(lockFile)) return undefined;
    let lock: ReturnType<typeof tryLockFileSync>;
    try {
      lock = tryLockFileSync(lockFile);
    } catch (error) {
      throw this.wrap(error, 'put', path);
    }
    if (!lock) return undefined;
    try {
      let current: ReturnType<typeof readHeaderSync>;
      try {
        current = readHeaderSync(file);
      } catch (error) {
        if (error instanceof MalformedEntryError) {
          throw new CorruptValueError(`Entry file is damaged: ${error.message}`, { key: path, backend: this.label });
        }
        throw error;
      }
      const currentEtag = current?.path === path ? current.meta.etag : undefined;
      if (options.ifAbsent && currentEtag !== undefined) throw this.conditionFailed(path, currentEtag, options);
      if (options.ifMatch !== undefined && currentEtag !== options.ifMatch) {
        throw this.conditionFailed(path, currentEtag, options);
      }
      const meta = makeMeta(value, attrs, current?.path === path ? current.meta.createdAt : undefined);
      const temp = `${file}${TEMP_MARKER}${randomBytes(8).toString('hex')}`;
      let fd: number;
      try {
        fd = openSync(temp, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // The directory went away (compact, another process): the ordinary path recreates it.
        this.#knownDirs.clear();
        return undefined;
      }
      let committed = false;
      try {
        try {
          writeWholeSync(fd, encodeEntry(path, meta, value));
        } finally {
          closeSync(fd);
        }
        // The lock is a lease: if it was taken over meanwhile, the condition may no longer hold.
        if ((options.ifAbsent || options.ifMatch !== undefined) && !lock.stillHeld()) {
          throw new OperationError('Lost the key lock while writing; nothing was written', {
            key: path,
            backend: this.label,
          });
        }
        renameSync(temp, file);
        committed = true;
      } finally {
        if (!committed) {
          try {
            unlinkSync(temp);
          } catch {}
        }
      }
      return meta;
    } catch (error) {
      throw this.#diskFull(error, path) ?? this.wrap(error, 'put', path);
    } finally {
      lock.release();
    }
  }

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { segments, path } = this.key(input);
    const file = this.#valueFile(segments);
    const before = await this.#header(file, path);
    if (before?.path !== path) {
      if (options.ifMatch !== undefined) throw this.conditionFailed(path, undefined, options);
      return false;
    }
    return this.#locked(segments, path, 'delete', async () => {
      const current = await this.#header(file, path);
      const currentEtag = current?.path === path ? current.meta.etag : undefined;
      if (options.ifMatch !== undefined && currentEtag !== options.ifMatch) {
        throw this.conditionFailed(path, currentEtag, options);
      }
      if (currentEtag === undefined) return false;
      await unlink(file);
      await this.#syncCommitted(file, path);
      return true;
    });
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    if (plan.limit <= 0) return;
    let emitted = 0;
    // One generator walks the tree with a stack of directories: a recursive generator cost
    // every entry one more async hop per directory level (yield* forwards each of them).
    const top = this.#dirOf(plan.prefix.segments);
    const stack: WalkDir[] = [
      { dir: top, dirPath: plan.prefix.path, items: await this.#itemsOf(top, plan.prefix.path, plan), next: 0 },
    ];
    while (stack.length > 0) {
      const at = stack[stack.length - 1] as WalkDir;
      const item = at.items[at.next++];
      if (item === undefined) {
        stack.pop();
        continue;
      }
      // The joined path is needed only to compare with `after` (and to name a failing key).
      const after = plan.after;
      if (item.kind === 'value') {
        if (after !== undefined && compareKeyPaths(joinPath(at.dirPath, item.sortKey), after) <= 0) continue;
        // Read synchronously: three system calls each, instead of three thread-pool trips
        // (10,000 entries took 1.1 s through the pool).
        const header = this.#headerSync(`${at.dir}${sep}${item.name}`, at.dirPath, item.sortKey);
        // A damaged or vanished file is skipped in listings; get() reports it.
        if (!header || !matchesAttrs(header.meta.attrs, plan.where)) continue;
        yield { key: splitPath(header.path), meta: header.meta };
        if (++emitted >= plan.limit) return;
      } else if (plan.recursive) {
        const path = joinPath(at.dirPath, item.sortKey);
        if (after !== undefined && compareKeyPaths(`${path}0`, after) <= 0) continue;
        const dir = `${at.dir}${sep}${item.name}`;
        stack.push({ dir, dirPath: path, items: await this.#itemsOf(dir, path, plan), next: 0 });
      }
    }
  }

  /**
   * Keys from directory reads alone: no entry file is opened (but for segments too long
   * for a file name, whose name is a hash). Unlike `list`, a damaged entry is listed; `get`
   * reports it. With `where`, headers must be read, so this falls back to `list`.
   */
  override async *keys(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<Key> {
    const plan = this.planList(prefixInput, options);
    if (plan.where) {
      yield* super.keys(prefixInput, options);
      return;
    }
    yield* this.firstKeys(this.#walkKeys(this.#dirOf(plan.prefix.segments), plan.prefix.path, plan), plan.limit);
  }

  // Each key has its own lock, so distinct keys are written in parallel (libuv's pool does the I/O).
  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
    const paths = entries.map((e) => this.checkPut(e.key, e.value, { attrs: e.attrs }).path);
    return inParallelPerKey(entries, paths, PARALLEL_WRITES, (e) => this.put(e.key, e.value, { attrs: e.attrs }));
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    for (const key of keys) this.key(key);
    const removed = await inParallel([...new Set(keys.map((k) => this.key(k).path))], PARALLEL_WRITES, (path) =>
      this.delete(path),
    );
    return removed.filter(Boolean).length;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const prefix = this.prefix(prefixInput);
    let removed = 0;
    for await (const key of this.keys(prefix.segments)) {
      if (await this.delete(key)) removed++;
    }
    await this.#removeEmptyDirs(this.#dirOf(prefix.segments), prefix.segments.length > 0);
    return removed;
  }

  async info(): Promise<contract.BackendInfo> {
    const { entries, bytes } = await this.countByListing();
    return {
      type: 'fs',
      location: this.#root,
      entries,
      bytes,
      capabilities: this.capabilities,
      details: { fsync: this.#fsync },
    };
  }

  toConfig(): contract.BackendConfig {
    return {
      type: 'fs',
      root: this.#root,
      fsync: this.#fsync,
      lockLeaseMs: this.#options.lockLeaseMs,
      lockTimeoutMs: this.#options.lockTimeoutMs,
    };
  }

  /**
   * Removes what crashed writers leave behind: temp files and stale-lock leftovers
   * older than `minAgeMs` (default 60 s, so in-flight writes are untouched), locks of
   * dead holders, and empty directories.
   */
  async compact(options: { minAgeMs?: number } = {}): Promise<FsCompactReport> {
    this.prefix(undefined);
    const minAge = options.minAgeMs ?? 60_000;
    const report: FsCompactReport = { removed: 0, tempFiles: 0, lockFiles: 0, directories: 0 };
    this.#knownDirs.clear();
    const visit = async (dir: string, isRoot: boolean): Promise<boolean> => {
      let items: Dirent[];
      try {
        items = await readdir(dir, { withFileTypes: true });
      } catch {
        return false;
      }
      let remaining = items.length;
      for (const item of items) {
        const full = join(dir, item.name);
        const kind = classifyName(item.name, item.isDirectory());
        if (kind === 'dir') {
          if (await visit(full, false)) remaining--;
        } else if ((kind === 'temp' || kind === 'stale' || kind === 'lock') && !this.#inFlight(full, kind)) {
          // File times can be finer than Date.now() (multigrain timestamps on recent Linux), so a
          // file written this millisecond has a negative age; it counts as age 0.
          const age = Math.max(0, Date.now() - (await stat(full).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs);
          if (
            age >= minAge &&
            (await unlink(full).then(
              () => true,
              () => false,
            ))
          ) {
            remaining--;
            if (kind === 'lock') report.lockFiles++;
            else report.tempFiles++;
          }
        }
      }
      const onlySegmentFile = remaining === 1 && items.some((i) => i.name === SEGMENT_FILE);
      if (!isRoot && (remaining === 0 || onlySegmentFile)) {
        if (onlySegmentFile) await unlink(join(dir, SEGMENT_FILE)).catch(() => undefined);
        if (
          await rmdir(dir).then(
            () => true,
            () => false,
          )
        ) {
          report.directories++;
          return true;
        }
      }
      return false;
    };
    await visit(this.#root, true);
    report.removed = report.tempFiles + report.lockFiles + report.directories;
    return report;
  }

  protected async closeResources(): Promise<void> {}

  #dirOf(segments: readonly string[]): string {
    return segments.length === 0 ? this.#root : join(this.#root, ...segments.map(encodeSegment));
  }

  #valueFile(segments: readonly string[]): string {
    const stem = encodeSegment(segments[segments.length - 1] as string);
    return join(this.#dirOf(segments.slice(0, -1)), stem + VALUE_SUFFIX);
  }

  async #header(file: string, path: string) {
    try {
      return await readHeader(file);
    } catch (error) {
      if (error instanceof MalformedEntryError) {
        throw new CorruptValueError(`Entry file is damaged: ${error.message}`, { key: path, backend: this.label });
      }
      throw this.wrap(error, 'read', path);
    }
  }

  // A damaged header is `undefined` here: listings skip it, get() reports it.
  #headerSync(file: string, dirPath: string, segment: string) {
    try {
      return readHeaderSync(file);
    } catch (error) {
      if (error instanceof MalformedEntryError) return undefined;
      throw this.wrap(error, 'list', joinPath(dirPath, segment));
    }
  }

  #decode<T>(fn: () => T, path: string): T {
    try {
      return fn();
    } catch (error) {
      throw new CorruptValueError(`Entry file is damaged: ${(error as Error).message}`, {
        key: path,
        backend: this.label,
      });
    }
  }

  async #locked<T>(
    segments: readonly string[],
    path: string,
    what: string,
    fn: (stillHeld: () => Promise<boolean>) => Promise<T>,
  ): Promise<T> {
    const file = this.#valueFile(segments);
    try {
      await this.#ensureDirs(segments);
      return await this.#locks.withLock(file.slice(0, -VALUE_SUFFIX.length) + LOCK_SUFFIX, fn);
    } catch (error) {
      if (error instanceof LockBusyError) {
        throw new OperationError(`Timed out waiting for the key's lock: ${error.message}`, {
          key: path,
          backend: this.label,
        });
      }
      throw this.#diskFull(error, path) ?? this.wrap(error, what, path);
    }
  }

  #diskFull(error: unknown, path: string): CapacityError | undefined {
    const code = (error as NodeJS.ErrnoException)?.code ?? '';
    if (!DISK_FULL.has(code)) return undefined;
    return new CapacityError(`The disk is full (${code}); nothing was written, earlier values are intact`, {
      key: path,
      backend: this.label,
      cause: error,
    });
  }

  // Creates the key's parent directories, recording the real segment of any hashed name.
  // Directories made once are remembered; one removed since (compact, another process)
  // is recreated when the write into it fails.
  async #ensureDirs(segments: readonly string[]): Promise<void> {
    const parents = segments.slice(0, -1);
    if (parents.length === 0) return;
    const target = this.#dirOf(parents);
    if (this.#knownDirs.has(target)) return;
    await mkdir(target, { recursive: true });
    if (this.#knownDirs.size > 10_000) this.#knownDirs.clear();
    this.#knownDirs.add(target);
    let dir = this.#root;
    for (const segment of parents) {
      const stem = encodeSegment(segment);
      dir = join(dir, stem);
      if (
        isHashedStem(stem) &&
        !(await stat(join(dir, SEGMENT_FILE)).then(
          () => true,
          () => false,
        ))
      ) {
        await this.#writeAtomically(join(dir, SEGMENT_FILE), [Buffer.from(segment)]);
        if (this.#fsync) await this.#syncDir(join(dir, SEGMENT_FILE));
      }
    }
  }

  // A write of this instance in flight: its temp file, or the lock file it holds or waits for.
  #inFlight(file: string, kind: string): boolean {
    return this.#writing.has(file) || (kind === 'lock' && !this.#locks.idle(file));
  }

  async #writeAtomically(file: string, chunks: Buffer[], beforeCommit?: () => Promise<void>): Promise<void> {
    const temp = `${file}${TEMP_MARKER}${randomBytes(8).toString('hex')}`;
    // Marked before the file exists, so compact never sees it unmarked; unmarked in the
    // finally below whatever fails, the open included.
    this.#writing.add(temp);
    let committed = false;
    try {
      const handle = await open(temp, 'wx').catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        this.#knownDirs.clear();
        await mkdir(dirname(temp), { recursive: true });
        return open(temp, 'wx');
      });
      try {
        await writeWhole(handle, chunks);
        if (this.#fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await beforeCommit?.();
      await rename(temp, file);
      committed = true;
    } finally {
      if (!committed) await unlink(temp).catch(() => undefined);
      this.#writing.delete(temp);
    }
  }

  /**
   * fsyncs the directory of a change already made (a rename into place, an unlink). If that
   * fails, the change is visible but may not survive a crash: neither "written" nor "not
   * written" would be true, so the caller hears UnknownOutcomeError (on a full disk too).
   */
  async #syncCommitted(file: string, path: string): Promise<void> {
    if (!this.#fsync) return;
    try {
      await this.#syncDir(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code ?? 'error';
      throw new UnknownOutcomeError(
        `The change is in place, but syncing its directory failed (${code}): it may not survive a crash`,
        { key: path, backend: this.label, cause: error },
      );
    }
  }

  async #syncDir(file: string): Promise<void> {
    const handle = await open(file.slice(0, file.lastIndexOf('/')) || '/', 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  // The prefix's own directory is read with the startsWith filter; deeper ones whole.
  async #itemsOf(dir: string, dirPath: string, plan: ListPlan): Promise<DirItem[]> {
    const items = await this.#readDirSorted(dir);
    if (plan.startsWith === '' || dirPath !== plan.prefix.path) return items;
    return items.filter((item) => item.sortKey.startsWith(plan.startsWith));
  }

  async *#walkKeys(dir: string, dirPath: string, plan: ListPlan): AsyncGenerator<string> {
    for (const item of await this.#itemsOf(dir, dirPath, plan)) {
      const path = joinPath(dirPath, item.sortKey);
      if (item.kind === 'value') {
        if (plan.after === undefined || compareKeyPaths(path, plan.after) > 0) yield path;
      } else if (plan.recursive) {
        if (plan.after !== undefined && compareKeyPaths(`${path}0`, plan.after) <= 0) continue;
        yield* this.#walkKeys(join(dir, item.name), path, plan);
      }
    }
  }

  async #readDirSorted(dir: string): Promise<DirItem[]> {
    let names: Dirent[];
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        return [];
      }
      throw this.wrap(error, 'list');
    }
    const items: { sortKey: string; kind: 'value' | 'dir'; name: string; order: string }[] = [];
    for (const d of names) {
      const kind = classifyName(d.name, d.isDirectory());
      if (kind === 'value') {
        const stem = d.name.slice(0, -VALUE_SUFFIX.length);
        const segment = isHashedStem(stem) ? await this.#hashedValueSegment(join(dir, d.name)) : decodeStem(stem);
        if (segment !== undefined) items.push({ sortKey: segment, kind, name: d.name, order: segment });
      } else if (kind === 'dir') {
        const segment = isHashedStem(d.name)
          ? await readFile(join(dir, d.name, SEGMENT_FILE), 'utf8').catch(() => undefined)
          : decodeStem(d.name);
        // '/' sorts the children of segment s right after a value named s and before s + any higher char.
        if (segment !== undefined) items.push({ sortKey: segment, kind, name: d.name, order: `${segment}/` });
      }
    }
    return items.sort((a, b) => compareKeyPaths(a.order, b.order));
  }

  async #hashedValueSegment(file: string): Promise<string | undefined> {
    const header = await readHeader(file).catch(() => undefined);
    if (!header) return undefined;
    const segments = splitPath(header.path);
    return segments[segments.length - 1];
  }

  async #removeEmptyDirs(dir: string, includeSelf: boolean): Promise<void> {
    this.#knownDirs.clear();
    let items: Dirent[];
    try {
      items = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of items) {
      if (item.isDirectory() && classifyName(item.name, true) === 'dir') {
        await this.#removeEmptyDirs(join(dir, item.name), true);
      }
    }
    if (!includeSelf) return;
    const left = await readdir(dir).catch(() => ['?']);
    if (left.length === 1 && left[0] === SEGMENT_FILE) await unlink(join(dir, SEGMENT_FILE)).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
}

const PARALLEL_WRITES = 16;

// Values up to this size are written synchronously when fsync is off (see #putSync).
const SYNC_PUT_BYTES = 64 * 1024;

/** Parses `file:///abs/dir` or `file:./rel/dir` (`?fsync=false` to skip fsync). */
export function configFromUrl(url: string): contract.BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new OperationError(`A file URL needs a directory: ${url}`);
  checkKnownParams(params, ['fsync'], 'fs');
  return { type: 'fs', root: resolve(path), fsync: boolParam(params, 'fsync', 'fs') };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Opens a filesystem store from its config. */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<FsBackend> {
  return FsBackend.open(optionsFromConfig<FsBackendOptions>(config), options);
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

// writev may write less than asked (a nearly full disk, a signal) and report it only in its
// count: the rest is written here, so a short write is never renamed into place as a value.
// The synchronous put of small values does the same as writeWhole.
function writeWholeSync(fd: number, chunks: Buffer[]): void {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const written = writevSync(fd, chunks);
  if (written === total) return;
  const rest = Buffer.concat(chunks).subarray(written);
  let offset = 0;
  while (offset < rest.byteLength) {
    const bytesWritten = writeSync(fd, rest, offset, rest.byteLength - offset);
    if (bytesWritten === 0) throw Object.assign(new Error('no byte written'), { code: 'ENOSPC' });
    offset += bytesWritten;
  }
}

async function writeWhole(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const written = (await handle.writev(chunks)).bytesWritten;
  if (written === total) return;
  const rest = Buffer.concat(chunks).subarray(written);
  let offset = 0;
  while (offset < rest.byteLength) {
    const { bytesWritten } = await handle.write(rest, offset, rest.byteLength - offset);
    if (bytesWritten === 0) throw Object.assign(new Error('no byte written'), { code: 'ENOSPC' });
    offset += bytesWritten;
  }
}
