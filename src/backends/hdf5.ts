import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as H5 from 'h5wasm';
import type {
  BackendConfig,
  BackendInfo,
  Capabilities,
  DeleteOptions,
  ListedEntry,
  ListOptions,
  Meta,
  PutManyEntry,
  PutOptions,
  StoredValue,
} from '../core/backend.ts';
import { BaseBackend, copyAttrs } from '../core/backend-base.ts';
import { ConnectionError, OperationError } from '../core/errors.ts';
import { compareKeyPaths, type KeyInput, prefixRange } from '../core/keys.ts';
import { makeMeta, verifyValue } from '../core/meta.ts';
import { listSorted, lowerBound } from '../core/sorted-keys.ts';
import { parseLocalUrl } from '../core/url.ts';
import { loadDriver } from './kit/load-driver.ts';
import { acquireLockFile, type HeldLock, LockBusyError } from './kit/lock-file.ts';
import { SerialQueue } from './kit/serial-queue.ts';

/** Options of {@link Hdf5Backend}. */
export interface Hdf5BackendOptions {
  /** The HDF5 file; created (with its directory) if missing. */
  path: string;
  /**
   * HDF5 group holding the entries (default `stowage`), so one file can hold several
   * stores, or a store beside the user's own datasets.
   */
  group?: string | undefined;
}

const CAPABILITIES: Capabilities = {
  persistent: true,
  // Every check-then-write runs synchronously on the one open handle of this process,
  // and a lock file keeps other processes out, so nothing can interleave.
  atomicConditionalWrite: true,
  multiProcess: false,
  queryAttrs: false,
  atomicBatch: false,
};

/** Name of the string attribute holding an entry's metadata (JSON). */
export const HDF5_META_ATTRIBUTE = 'stowage';

const DEFAULT_GROUP = 'stowage';
const MAX_CHUNK = 1 << 20;
const MIN_CHUNK = 1 << 10;
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

type H5Module = typeof H5;

/*
 * Entry names inside the group: the `/`-joined key with `%` and `/` escaped, so every key
 * is one link name (HDF5 forbids `/` in names) and `h5ls` shows it readably.
 */
function linkName(path: string): string {
  return path.replaceAll('%', '%25').replaceAll('/', '%2F');
}

function pathOfLink(name: string): string {
  return name.replace(/%2F|%25/g, (m) => (m === '%2F' ? '/' : '%'));
}

/*
 * Every key has numbered slots: the dataset named after it (slot 0), then `%1`, `%s2`,
 * `%s3`, ... (an escaped key holds `%` only as `%25` or `%2F`, so no suffix is ambiguous).
 * A put writes a slot other than the newest, flushes, and only then gives it a metadata
 * attribute with a higher sequence number; a delete does the same with a tombstone. So a
 * write cut short (a killed process) leaves the previous state readable: HDF5 has no
 * journal and h5wasm cannot rename or unlink, but it can write one attribute after
 * flushing the data. The superseded slot is then emptied and reused by the next write.
 *
 * A slot a killed process was writing may hold a half-written chunk index, whose chunks
 * HDF5 would reuse or free on top of live data (seen in the SIGKILL test: a later value
 * landed inside another key's chunk). So after a crash (the lock file was left by a dead
 * process) every slot that is not its key's newest is abandoned: never written, resized
 * or emptied again, and listed in `<file>.abandoned` so later opens keep away from it
 * too, until compact() rewrites the file without any of them.
 */
function slotName(path: string, slot: number): string {
  const link = linkName(path);
  return slot === 0 ? link : slot === 1 ? `${link}%1` : `${link}%s${slot}`;
}

function parseSlotName(name: string): { path: string; slot: number } {
  if (name.endsWith('%1')) return { path: pathOfLink(name.slice(0, -2)), slot: 1 };
  const numbered = /%s(\d+)$/.exec(name);
  if (numbered) return { path: pathOfLink(name.slice(0, numbered.index)), slot: Number(numbered[1]) };
  return { path: pathOfLink(name), slot: 0 };
}

/** One dataset of a key. */
interface SlotState {
  /** It carries a metadata attribute (a value or a tombstone). */
  valid: boolean;
  /** Safe to write: created or emptied by this process, or known untouched by a crash. */
  clean: boolean;
}

/** What the file holds for one key. */
interface KeySlots {
  /** Highest sequence number among the key's attributes (0 when none ever was). */
  seq: number;
  /** The slot with that sequence number (a value or a tombstone); never overwritten. */
  top: number | undefined;
  /** The slot holding the current value; `undefined` when the key is deleted. */
  active: number | undefined;
  readonly slots: Map<number, SlotState>;
}

const newKeySlots = (): KeySlots => ({ seq: 0, top: undefined, active: undefined, slots: new Map() });

/** The slots of a key as a file rewritten by writeLiveCopy holds them. */
const rewrittenKeySlots = (): KeySlots => ({
  seq: 1,
  top: 0,
  active: 0,
  slots: new Map([
    [0, { valid: true, clean: true }],
    [1, { valid: false, clean: true }],
  ]),
});

/** The entries of one group, kept in memory so `stat` and `list` never touch the file. */
interface GroupState {
  readonly live: Map<string, Meta>;
  readonly slots: Map<string, KeySlots>;
  sorted: string[] | undefined;
}

function slotsFor(state: GroupState, path: string): KeySlots {
  let slots = state.slots.get(path);
  if (!slots) {
    slots = newKeySlots();
    state.slots.set(path, slots);
  }
  return slots;
}

/**
 * One open file per path and process. HDF5 keeps caches per handle, so two stores on the
 * same file must share the handle (and the index) to see each other's writes.
 */
interface OpenFile {
  readonly h5: H5Module;
  file: H5.File;
  readonly lock: HeldLock;
  /** Datasets per group that must never be written again (see slotName). */
  abandoned: Record<string, string[]>;
  readonly groups: Map<string, GroupState>;
  refs: number;
}

const openFiles = new Map<string, OpenFile>();
// Opens and closes run one at a time, so an open never meets the lock file of a close of
// this process that is still releasing it.
const openings = new SerialQueue();

/**
 * An HDF5 file holding many entries (fleche's BagOfHolding), through h5wasm. Each entry
 * is a one-dimensional `uint8` dataset named after its key, with its metadata in a string
 * attribute, so the file opens in `h5ls`, h5py or HDFView. Every write is flushed to the
 * file before it resolves.
 *
 * One process at a time: HDF5 has no concurrent writers, so opening takes a lock file
 * (`<path>.lock`, broken when its holder has died). HDF5 cannot unlink datasets through
 * h5wasm, so superseded and deleted values leave emptied datasets that later puts reuse;
 * {@link Hdf5Backend.compact} rewrites the file without them and returns the free space.
 *
 * @example
 * ```ts
 * const store = await Hdf5Backend.open({ path: './.stowage/results.h5' });
 * ```
 */
export class Hdf5Backend extends BaseBackend {
  readonly capabilities = CAPABILITIES;
  readonly label: string;
  readonly #path: string;
  readonly #group: string;
  readonly #open: OpenFile;
  readonly #state: GroupState;

  private constructor(path: string, group: string, open: OpenFile) {
    super();
    this.#path = path;
    this.#group = group;
    this.#open = open;
    this.label = `hdf5:${path}#${group}`;
    this.#state = this.#loadGroup();
  }

  /** Opens (and creates if needed) the file at `options.path`. */
  static async open(options: Hdf5BackendOptions): Promise<Hdf5Backend> {
    const path = resolve(options.path);
    const group = options.group ?? DEFAULT_GROUP;
    const label = `hdf5:${path}#${group}`;
    if (!GROUP_NAME.test(group)) {
      throw new OperationError(`An HDF5 group name must match ${GROUP_NAME}, got '${group}'`, { backend: label });
    }
    const imported = await loadDriver<H5Module & { default?: H5Module }>('h5wasm/node', 'hdf5');
    const h5 = imported.default ?? imported;
    // HDF5 errors then throw (with HDF5's error stack) instead of printing to stderr.
    (await h5.ready).activate_throwing_error_handler();
    const open = await acquireFile(h5, path, label);
    try {
      return new Hdf5Backend(path, group, open);
    } catch (error) {
      await releaseFile(path, open);
      throw error;
    }
  }

  async get(input: KeyInput): Promise<StoredValue | undefined> {
    const { path } = this.key(input);
    return this.#read(path);
  }

  async stat(input: KeyInput): Promise<Meta | undefined> {
    const { path } = this.key(input);
    return this.#state.live.get(path);
  }

  async put(input: KeyInput, value: Uint8Array, options: PutOptions = {}): Promise<Meta> {
    const { path } = this.checkPut(input, value, options);
    const current = this.#state.live.get(path);
    if (options.ifAbsent && current) throw this.conditionFailed(path, current.etag, options);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw this.conditionFailed(path, current?.etag, options);
    }
    const meta = makeMeta(value, copyAttrs(options.attrs), current?.createdAt);
    this.#mutate('put', path, () => this.#write(path, value, meta));
    return meta;
  }

  async delete(input: KeyInput, options: DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const current = this.#state.live.get(path);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw this.conditionFailed(path, current?.etag, options);
    }
    if (!current) return false;
    this.#mutate('delete', path, () => this.#empty(path));
    return true;
  }

  async *list(prefixInput?: KeyInput, options: ListOptions = {}): AsyncIterable<ListedEntry> {
    const plan = this.planList(prefixInput, options);
    // The snapshot may be older than a delete made while the caller was consuming it.
    yield* listSorted(this.#sorted(), plan, (path) => this.#state.live.get(path));
  }

  override async putMany(entries: readonly PutManyEntry[]): Promise<Meta[]> {
    const prepared = entries.map((e) => {
      const { path } = this.checkPut(e.key, e.value, { attrs: e.attrs });
      return { path, value: e.value, attrs: copyAttrs(e.attrs) };
    });
    return this.#mutate('putMany', undefined, () =>
      prepared.map(({ path, value, attrs }) => {
        const meta = makeMeta(value, attrs, this.#state.live.get(path)?.createdAt);
        this.#write(path, value, meta);
        return meta;
      }),
    );
  }

  override async deleteMany(keys: readonly KeyInput[]): Promise<number> {
    const paths = [...new Set(keys.map((k) => this.key(k).path))].filter((p) => this.#state.live.has(p));
    this.#mutate('deleteMany', undefined, () => {
      for (const path of paths) this.#empty(path);
    });
    return paths.length;
  }

  async clear(prefixInput?: KeyInput): Promise<number> {
    const { lower, upper } = prefixRange(this.prefix(prefixInput).path);
    const sorted = this.#sorted();
    const doomed: string[] = [];
    for (let i = lowerBound(sorted, lower); i < sorted.length; i++) {
      const path = sorted[i] as string;
      if (upper !== undefined && compareKeyPaths(path, upper) >= 0) break;
      doomed.push(path);
    }
    this.#mutate('clear', undefined, () => {
      for (const path of doomed) this.#empty(path);
    });
    return doomed.length;
  }

  async info(): Promise<BackendInfo> {
    this.prefix(undefined);
    let bytes = 0;
    for (const meta of this.#state.live.values()) bytes += meta.size;
    return {
      type: 'hdf5',
      location: this.#path,
      entries: this.#state.live.size,
      bytes,
      capabilities: this.capabilities,
      details: { group: this.#group, fileBytes: statSync(this.#path).size, emptyDatasets: emptyDatasets(this.#state) },
    };
  }

  /**
   * Rewrites the file with only the live entries of every group this process has open,
   * dropping emptied datasets and the free space HDF5 keeps inside the file. Other
   * top-level objects of the file are not copied, so it refuses to run on a file that has any.
   */
  async compact(): Promise<{ removed: number; bytesBefore: number; bytesAfter: number }> {
    this.prefix(undefined);
    const open = this.#open;
    const foreign = open.file.keys().filter((name) => !open.groups.has(name));
    if (foreign.length) {
      throw new OperationError(`compact would drop objects it does not own: ${foreign.join(', ')}`, {
        backend: this.label,
      });
    }
    const bytesBefore = statSync(this.#path).size;
    let removed = 0;
    let closed = false;
    const temp = `${this.#path}.compact-${process.pid}`;
    try {
      for (const state of open.groups.values()) removed += emptyDatasets(state);
      writeLiveCopy(open.h5, open.file, temp, open.groups);
      open.file.close();
      closed = true;
      // The rename is atomic: a crash leaves either the old file or the compacted one.
      renameSync(temp, this.#path);
      // The new file has no abandoned datasets.
      open.abandoned = {};
      rmSync(abandonedFile(this.#path), { force: true });
    } catch (error) {
      rmSync(temp, { force: true });
      throw this.wrap(hdf5Error(error), 'compact');
    } finally {
      if (closed) open.file = reopen(open.h5, this.#path, this.label);
    }
    for (const state of open.groups.values()) {
      for (const path of [...state.slots.keys()]) {
        if (state.live.has(path)) state.slots.set(path, rewrittenKeySlots());
        else state.slots.delete(path);
      }
    }
    return { removed, bytesBefore, bytesAfter: statSync(this.#path).size };
  }

  toConfig(): BackendConfig {
    return this.#group === DEFAULT_GROUP
      ? { type: 'hdf5', path: this.#path }
      : { type: 'hdf5', path: this.#path, group: this.#group };
  }

  protected async closeResources(): Promise<void> {
    await releaseFile(this.#path, this.#open);
  }

  #loadGroup(): GroupState {
    const existing = this.#open.groups.get(this.#group);
    if (existing) return existing;
    const file = this.#open.file;
    let state: GroupState;
    try {
      if (!file.keys().includes(this.#group)) file.create_group(this.#group);
      state = scanGroup(this.#open.h5, this.#h5Group(), this.#open.abandoned[this.#group] ?? [], false);
      file.flush();
    } catch (error) {
      throw new ConnectionError(`Cannot read the HDF5 group '${this.#group}': ${hdf5Error(error).message}`, {
        backend: this.label,
        cause: error,
      });
    }
    this.#open.groups.set(this.#group, state);
    return state;
  }

  #h5Group(): H5.Group {
    return this.#open.file.get(this.#group) as H5.Group;
  }

  #read(path: string): StoredValue | undefined {
    const meta = this.#state.live.get(path);
    if (!meta) return undefined;
    let value: Uint8Array;
    try {
      const slot = this.#state.slots.get(path)?.active ?? 0;
      const dataset = this.#h5Group().get(slotName(path, slot)) as H5.Dataset;
      const raw = dataset.value;
      value = raw instanceof Uint8Array ? new Uint8Array(raw) : new Uint8Array(0);
    } catch (error) {
      throw this.wrap(hdf5Error(error), 'get', path);
    }
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  // Writes a slot other than the newest, flushes, and only then marks it valid: until that
  // last attribute reaches the file, the previous value stays the one read after a crash.
  #write(path: string, value: Uint8Array, meta: Meta): void {
    const slots = slotsFor(this.#state, path);
    const target = this.#commit(path, slots, value, JSON.stringify({ ...meta, seq: slots.seq + 1 }));
    slots.active = target;
    if (!this.#state.live.has(path)) this.#state.sorted = undefined;
    this.#state.live.set(path, meta);
  }

  // A delete writes a tombstone the same way, so no older value can come back after a crash.
  #empty(path: string): void {
    const slots = this.#state.slots.get(path);
    if (!slots || slots.active === undefined) return;
    this.#commit(path, slots, new Uint8Array(), JSON.stringify({ deleted: true, seq: slots.seq + 1 }));
    slots.active = undefined;
    this.#state.live.delete(path);
    this.#state.sorted = undefined;
  }

  // Writes `value` into a clean slot that is not the newest, then gives it `attribute` (with
  // the next sequence number); the superseded newest slot is emptied for reuse.
  #commit(path: string, slots: KeySlots, value: Uint8Array, attribute: string): number {
    const group = this.#h5Group();
    let target: number | undefined;
    for (const [n, slot] of slots.slots)
      if (slot.clean && n !== slots.top && (target === undefined || n < target)) target = n;
    if (target === undefined) {
      target = 0;
      while (slots.slots.has(target)) target++;
    }
    const name = slotName(path, target);
    const slot = slots.slots.get(target);
    if (slot) {
      const dataset = resetSlot(group.get(name) as H5.Dataset, slot, value.byteLength);
      if (value.byteLength > 0) dataset.write_slice([[0, value.byteLength]], value);
    } else {
      // A key's first write also creates its second slot, so later writes never add links
      // to the group: a kill while HDF5 rewrites a group's link index can leave the whole
      // file unreadable, while one inside a dataset only loses that (unused) dataset.
      const spare = slots.slots.size === 0 ? target + 1 : undefined;
      try {
        createDataset(group, name, value);
        if (spare !== undefined) createDataset(group, slotName(path, spare), new Uint8Array());
      } catch (error) {
        // A failed create may leave the dataset behind; it is not trusted with data again.
        const names = group.keys();
        if (names.includes(name)) slots.slots.set(target, { valid: false, clean: false });
        if (spare !== undefined && names.includes(slotName(path, spare)))
          slots.slots.set(spare, { valid: false, clean: false });
        throw error;
      }
      slots.slots.set(target, { valid: false, clean: true });
      if (spare !== undefined) slots.slots.set(spare, { valid: false, clean: true });
    }
    this.#open.file.flush();
    writeAttribute(group.get(name) as H5.Dataset, attribute);
    this.#open.file.flush();
    const previous = slots.top;
    slots.seq++;
    slots.top = target;
    (slots.slots.get(target) as SlotState).valid = true;
    // The previous newest slot was whole (its attribute came after its data), so it can be
    // emptied, returning its space to HDF5, and reused.
    if (previous !== undefined) this.#emptySlot(group, path, slots, previous);
    return target;
  }

  #emptySlot(group: H5.Group, path: string, slots: KeySlots, n: number): void {
    const slot = slots.slots.get(n);
    if (!slot) return;
    resetSlot(group.get(slotName(path, n)) as H5.Dataset, slot, 0);
    slot.clean = true;
  }

  #mutate<T>(what: string, key: string | undefined, fn: () => T): T {
    try {
      const result = fn();
      this.#open.file.flush();
      return result;
    } catch (error) {
      throw this.wrap(hdf5Error(error), what, key);
    }
  }

  #sorted(): string[] {
    this.#state.sorted ??= [...this.#state.live.keys()].sort(compareKeyPaths);
    return this.#state.sorted;
  }
}

/** Drops a slot's metadata attribute (it no longer holds a committed value) and resizes it. */
function resetSlot(dataset: H5.Dataset, slot: SlotState, length: number): H5.Dataset {
  if (slot.valid) {
    dataset.delete_attribute(HDF5_META_ATTRIBUTE);
    slot.valid = false;
  }
  dataset.resize([length]);
  return dataset;
}

function createDataset(group: H5.Group, name: string, value: Uint8Array): void {
  // Chunked with an unlimited extent, so the dataset can later be resized in place.
  const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, value.byteLength));
  group.create_dataset({
    name,
    data: value,
    shape: [value.byteLength],
    maxshape: [null],
    chunks: [chunk],
    dtype: '<B',
  });
}

function setMeta(dataset: H5.Dataset, meta: Meta, seq: number): void {
  writeAttribute(dataset, JSON.stringify({ ...meta, seq }));
}

// A fixed-length string lives in the dataset's own object header; a variable-length one
// lives in the file's global heap, shared with other datasets' attributes, so a write cut
// short there could damage the metadata of keys that were not being written. Metadata too
// large for an object header message still goes to the heap.
const INLINE_ATTRIBUTE_BYTES = 16 * 1024;

function writeAttribute(dataset: H5.Dataset, json: string): void {
  const size = Buffer.byteLength(json);
  if (size > 0 && size <= INLINE_ATTRIBUTE_BYTES) dataset.create_attribute(HDF5_META_ATTRIBUTE, json, null, `S${size}`);
  else dataset.create_attribute(HDF5_META_ATTRIBUTE, json);
}

function emptyDatasets(state: GroupState): number {
  let n = 0;
  for (const slots of state.slots.values()) for (const slot of slots.slots.keys()) if (slot !== slots.active) n++;
  return n;
}

/** The side file listing abandoned datasets (see slotName). */
function abandonedFile(path: string): string {
  return `${path}.abandoned`;
}

/**
 * Reads a group's keys and slots from their attributes. After a crash (`recovering`),
 * every slot but each key's newest is abandoned; `abandoned` are those abandoned before.
 */
function scanGroup(h5: H5Module, group: H5.Group, abandoned: readonly string[], recovering: boolean): GroupState {
  const state: GroupState = { live: new Map(), slots: new Map(), sorted: undefined };
  const untrusted = new Set(abandoned);
  const values = new Map<string, Map<number, Meta>>();
  for (const name of group.keys()) {
    const { path, slot: n } = parseSlotName(name);
    // An abandoned dataset is not even opened: a crash may have left its header torn too.
    if (untrusted.has(name)) {
      slotsFor(state, path).slots.set(n, { valid: false, clean: false });
      continue;
    }
    let raw: unknown;
    try {
      const entity = group.get(name);
      if (!(entity instanceof h5.Dataset)) continue;
      raw = entity.attrs[HDF5_META_ATTRIBUTE]?.value;
    } catch {
      // Unreadable: only a crash mid-write leaves that; the dataset is abandoned.
      slotsFor(state, path).slots.set(n, { valid: false, clean: false });
      continue;
    }
    const slots = slotsFor(state, path);
    const slot: SlotState = { valid: false, clean: true };
    slots.slots.set(n, slot);
    if (typeof raw !== 'string') continue;
    let parsed: (Meta & { seq?: unknown; deleted?: unknown }) | undefined;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // A torn attribute: the write it belonged to never completed.
    }
    if (!parsed || typeof parsed.seq !== 'number') continue;
    slot.valid = true;
    const { seq, deleted, ...meta } = parsed;
    if (!deleted) {
      const byKey = values.get(path) ?? new Map<number, Meta>();
      values.set(path, byKey);
      byKey.set(n, meta);
    }
    if (seq > slots.seq) {
      slots.seq = seq;
      slots.top = n;
    }
  }
  for (const [path, slots] of state.slots) {
    if (recovering) for (const [n, slot] of slots.slots) if (n !== slots.top) slot.clean = false;
    const meta = slots.top === undefined ? undefined : values.get(path)?.get(slots.top);
    if (meta) {
      slots.active = slots.top;
      state.live.set(path, meta);
    }
  }
  return state;
}

/**
 * Writes a new file at `temp` holding only the current value of every key of `groups`,
 * each in slot 0 with sequence number 1 and an empty spare slot 1 (see rewrittenKeySlots).
 */
function writeLiveCopy(h5: H5Module, source: H5.File, temp: string, groups: ReadonlyMap<string, GroupState>): void {
  const target = new h5.File(temp, 'w');
  try {
    for (const [group, state] of groups) {
      const from = source.get(group) as H5.Group;
      const out = target.create_group(group);
      for (const [path, meta] of state.live) {
        const slots = state.slots.get(path) as KeySlots;
        const value = (from.get(slotName(path, slots.active as number)) as H5.Dataset).value as Uint8Array;
        createDataset(out, slotName(path, 0), value);
        setMeta(out.get(slotName(path, 0)) as H5.Dataset, meta, 1);
        createDataset(out, slotName(path, 1), new Uint8Array());
      }
    }
  } finally {
    target.close();
  }
}

/**
 * The groups of a file, when every top-level object is a stowage group (empty, or with
 * at least one entry); `undefined` when the file also holds objects of its own.
 */
function stowageGroups(
  h5: H5Module,
  file: H5.File,
  abandoned: Record<string, string[]>,
): Map<string, GroupState> | undefined {
  const groups = new Map<string, GroupState>();
  for (const name of file.keys()) {
    const group = file.get(name);
    if (!(group instanceof h5.Group)) return undefined;
    const state = scanGroup(h5, group, abandoned[name] ?? [], true);
    const ours = state.slots.size === 0 || [...state.slots.values()].some((k) => k.top !== undefined);
    if (!ours) return undefined;
    groups.set(name, state);
  }
  return groups;
}

/** Datasets of every group that are not their key's newest: those a crash may have torn. */
function abandonAfterCrash(h5: H5Module, file: H5.File, known: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of file.keys()) {
    const group = file.get(name);
    if (!(group instanceof h5.Group)) continue;
    const state = scanGroup(h5, group, known[name] ?? [], true);
    const names = new Set(known[name] ?? []);
    for (const [path, slots] of state.slots)
      for (const [n, slot] of slots.slots) if (!slot.clean) names.add(slotName(path, n));
    if (names.size) out[name] = [...names].sort();
  }
  return out;
}

/**
 * HDF5's errors carry its whole error stack; the innermost frame says what went wrong
 * (`file signature not found (Not an HDF5 file)`), the rest is library internals.
 */
function hdf5Error(error: unknown): Error {
  const message = (error as Error)?.message ?? String(error);
  const frames = [...message.matchAll(/#\d+: .* in [\w]+\(\): (.*)\n\s*major: .*\n\s*minor: (.*)/g)];
  const last = frames.at(-1);
  if (!last) return error instanceof Error ? error : new Error(message);
  return new Error(`${last[1]?.trim()} (${last[2]?.trim()})`, { cause: error });
}

function reopen(h5: H5Module, path: string, label: string): H5.File {
  try {
    return new h5.File(path, existsSync(path) ? 'a' : 'w');
  } catch (error) {
    throw new ConnectionError(`Cannot open the HDF5 file: ${hdf5Error(error).message}`, {
      backend: label,
      cause: error,
    });
  }
}

/**
 * HDF5 records the file's end in the superblock when it allocates space, before it writes
 * what goes there; a process killed in between leaves a file shorter than recorded, which
 * HDF5 refuses to open. Padding it back to the recorded length with zeros lets it open; the
 * space the dead process allocated held nothing committed (commits flush before they are
 * recorded), and the recovery that follows copies each value with its checksum, so a value
 * damaged all the same still reads as CorruptValueError.
 */
function reopenAfterCrash(h5: H5Module, path: string, label: string): H5.File {
  try {
    return reopen(h5, path, label);
  } catch (error) {
    const truncated = /truncated file: eof = (\d+),.*stored_eof = (\d+)/.exec((error as Error).message);
    const [actual, recorded] = [Number(truncated?.[1]), Number(truncated?.[2])];
    if (!truncated || !(recorded > actual) || statSync(path).size !== actual) throw error;
    truncateSync(path, recorded);
    return reopen(h5, path, label);
  }
}

/*
 * HDF5 has no concurrent writers, so the file's lock is held as long as this process has
 * the file open: no lease, and a live holder makes the open fail at once, naming it.
 */
const WHOLE_FILE_LOCK = { leaseMs: Number.POSITIVE_INFINITY, waitMs: 0 };

async function takeLock(path: string, label: string): Promise<HeldLock> {
  const file = `${path}.lock`;
  try {
    return await acquireLockFile(file, WHOLE_FILE_LOCK);
  } catch (error) {
    const message =
      error instanceof LockBusyError
        ? `Cannot open the HDF5 file: ${error.message}`
        : `Cannot take the lock file ${file}: ${(error as Error).message}`;
    throw new ConnectionError(message, { backend: label, cause: error });
  }
}

async function openFile(h5: H5Module, path: string, label: string): Promise<OpenFile> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = await takeLock(path, label);
  try {
    let file = lock.tookOver ? reopenAfterCrash(h5, path, label) : reopen(h5, path, label);
    let abandoned = readAbandoned(path, label);
    if (lock.tookOver) {
      const groups = stowageGroups(h5, file, abandoned);
      if (groups) {
        // The file holds nothing but stowage groups: rewrite it with the current values only,
        // so no dataset the dead process was writing survives (the rename is atomic).
        const temp = `${path}.recover-${process.pid}`;
        try {
          writeLiveCopy(h5, file, temp, groups);
        } catch (error) {
          rmSync(temp, { force: true });
          file.close();
          throw error;
        }
        file.close();
        renameSync(temp, path);
        rmSync(abandonedFile(path), { force: true });
        abandoned = {};
        file = reopen(h5, path, label);
      } else {
        // Objects of the user's own cannot be copied (h5wasm has no H5Ocopy): keep the file
        // and record the suspect datasets, before the first write so a second crash cannot lose the list.
        abandoned = abandonAfterCrash(h5, file, abandoned);
        if (Object.keys(abandoned).length) {
          const temp = `${abandonedFile(path)}.${process.pid}`;
          writeFileSync(temp, JSON.stringify(abandoned));
          renameSync(temp, abandonedFile(path));
        }
      }
    }
    return { h5, file, lock, abandoned, groups: new Map(), refs: 0 };
  } catch (error) {
    await lock.release();
    throw error instanceof ConnectionError
      ? error
      : new ConnectionError(`Cannot open the HDF5 file: ${hdf5Error(error).message}`, { backend: label, cause: error });
  }
}

function readAbandoned(path: string, label: string): Record<string, string[]> {
  let text: string;
  try {
    text = readFileSync(abandonedFile(path), 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as Record<string, string[]>;
  } catch (error) {
    throw new ConnectionError(`Cannot read ${abandonedFile(path)}; compact() rebuilds the file without it`, {
      backend: label,
      cause: error,
    });
  }
}

/** The open file at `path`, opened (and locked) by the first store on it in this process. */
function acquireFile(h5: H5Module, path: string, label: string): Promise<OpenFile> {
  return openings.run(async () => {
    let open = openFiles.get(path);
    if (!open) {
      open = await openFile(h5, path, label);
      openFiles.set(path, open);
    }
    open.refs++;
    return open;
  });
}

/** Drops one store's use of `open`; the last one closes the file and releases its lock. */
function releaseFile(path: string, open: OpenFile): Promise<void> {
  return openings.run(async () => {
    open.refs--;
    if (open.refs > 0) return;
    openFiles.delete(path);
    try {
      open.file.close();
    } finally {
      await open.lock.release();
    }
  });
}

/** Parses `hdf5:///abs/file.h5?group=name` or `hdf5:./rel.h5`. */
export function configFromUrl(url: string): BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new OperationError(`An hdf5 URL needs a file path: ${url}`);
  const group = params.get('group');
  return group === null ? { type: 'hdf5', path: resolve(path) } : { type: 'hdf5', path: resolve(path), group };
}

/** Opens an HDF5 store from its config. */
export async function openFromConfig(config: BackendConfig): Promise<Hdf5Backend> {
  return Hdf5Backend.open({
    path: String(config.path),
    group: config.group === undefined ? undefined : String(config.group),
  });
}
