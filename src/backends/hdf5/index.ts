import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as H5 from 'h5wasm';
import type * as contract from '../../core/backend.ts';
import { BaseBackend, copyAttrs } from '../../core/backend-base.ts';
import { ConnectionError, OperationError, StoreNotFoundError } from '../../core/errors.ts';
import { compareKeyPaths, type KeyInput, prefixRange } from '../../core/keys.ts';
import { makeMeta, verifyValue } from '../kit/meta.ts';
import { checkKnownParams, checkOptions, optionsFromConfig, requireString } from '../kit/options.ts';
import { listSorted, lowerBound } from '../kit/sorted-keys.ts';
import { parseLocalUrl } from '../kit/store-url.ts';
import { compactFile, type Hdf5CompactReport } from './compaction.ts';
import { bytesOf, elementTypeFor } from './element-types.ts';
import { emptyDatasets, type GroupState, scanGroup, slotsFor } from './group-state.ts';
import { hdf5Error, loadH5 } from './h5wasm.ts';
import { checkGroupName, DEFAULT_GROUP, slotName } from './names.ts';
import { acquireFile, type OpenFile, releaseFile } from './open-files.ts';
import { commitSlot } from './slots.ts';

export { HDF5_META_ATTRIBUTE } from './slots.ts';
export type { Hdf5CompactReport };

/*
 * The hdf5 backend, one concern a file: names.ts (dataset and side-file names), slots.ts
 * (the crash-safe write protocol of one key), group-state.ts (a group's index, read back
 * from the slots), h5wasm.ts (loading the driver, its errors, opening a file),
 * open-files.ts (one handle and one lock per file and process), recovery.ts (opening
 * after a crash), compaction.ts (rewriting with live values only).
 */

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

const CAPABILITIES: contract.Capabilities = {
  persistent: true,
  // Every check-then-write runs synchronously on the one open handle of this process,
  // and a lock file keeps other processes out, so nothing can interleave.
  atomicConditionalWrite: true,
  multiProcess: false,
  queryAttrs: false,
  atomicBatch: false,
};

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

  private constructor(path: string, group: string, open: OpenFile, create: boolean) {
    super();
    this.#path = path;
    this.#group = group;
    this.#open = open;
    this.label = `hdf5:${path}#${group}`;
    this.#state = this.#loadGroup(create);
  }

  /**
   * Opens the file at `options.path`, creating it and its group if needed; with
   * `{ create: false }` both must exist already (`StoreNotFoundError`).
   */
  static async open(options: Hdf5BackendOptions, openOptions: contract.OpenOptions = {}): Promise<Hdf5Backend> {
    checkOptions(options, { path: 'string', group: 'string' }, 'hdf5');
    const path = resolve(requireString(options.path, 'path', 'hdf5'));
    const group = options.group ?? DEFAULT_GROUP;
    const label = `hdf5:${path}#${group}`;
    checkGroupName(group, label);
    const create = openOptions.create ?? true;
    if (!create && !existsSync(path)) {
      throw new StoreNotFoundError(
        `There is no HDF5 file at ${path}, and create is false (it opens existing stores only)`,
        {
          backend: label,
        },
      );
    }
    const open = await acquireFile(await loadH5(), path, label);
    try {
      return new Hdf5Backend(path, group, open, create);
    } catch (error) {
      // The open's own error is the one to report; a close of a damaged file may fail too.
      await releaseFile(path, open, label).catch(() => undefined);
      throw error;
    }
  }

  async get(input: KeyInput): Promise<contract.StoredValue | undefined> {
    const { path } = this.key(input);
    return this.#read(path);
  }

  async stat(input: KeyInput): Promise<contract.Meta | undefined> {
    const { path } = this.key(input);
    return this.#state.live.get(path);
  }

  async put(input: KeyInput, value: Uint8Array, options: contract.PutOptions = {}): Promise<contract.Meta> {
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

  async delete(input: KeyInput, options: contract.DeleteOptions = {}): Promise<boolean> {
    const { path } = this.key(input);
    const current = this.#state.live.get(path);
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw this.conditionFailed(path, current?.etag, options);
    }
    if (!current) return false;
    this.#mutate('delete', path, () => this.#empty(path));
    return true;
  }

  async *list(prefixInput?: KeyInput, options: contract.ListOptions = {}): AsyncIterable<contract.ListedEntry> {
    const plan = this.planList(prefixInput, options);
    // The snapshot may be older than a delete made while the caller was consuming it.
    yield* listSorted(this.#sorted(), plan, (path) => this.#state.live.get(path));
  }

  override async putMany(entries: readonly contract.PutManyEntry[]): Promise<contract.Meta[]> {
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

  async info(): Promise<contract.BackendInfo> {
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
  async compact(): Promise<Hdf5CompactReport> {
    this.prefix(undefined);
    try {
      return compactFile(this.#open, this.#path, this.label);
    } catch (error) {
      throw this.wrap(hdf5Error(error), 'compact');
    }
  }

  toConfig(): contract.BackendConfig {
    return this.#group === DEFAULT_GROUP
      ? { type: 'hdf5', path: this.#path }
      : { type: 'hdf5', path: this.#path, group: this.#group };
  }

  protected async closeResources(): Promise<void> {
    await releaseFile(this.#path, this.#open, this.label);
  }

  #loadGroup(create: boolean): GroupState {
    const existing = this.#open.groups.get(this.#group);
    if (existing) return existing;
    const file = this.#open.file;
    let state: GroupState;
    try {
      // Listing the root group reads the file's own structures: damaged, it throws too.
      if (!file.keys().includes(this.#group)) {
        if (!create) {
          throw new StoreNotFoundError(
            `The HDF5 file has no group '${this.#group}', and create is false (it opens existing stores only)`,
            { backend: this.label },
          );
        }
        file.create_group(this.#group);
      }
      state = scanGroup(this.#open.h5, this.#h5Group(), this.#open.abandoned[this.#group] ?? [], false);
      file.flush();
    } catch (error) {
      if (error instanceof StoreNotFoundError) throw error;
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

  #read(path: string): contract.StoredValue | undefined {
    const meta = this.#state.live.get(path);
    if (!meta) return undefined;
    let value: Uint8Array;
    try {
      const slot = this.#state.slots.get(path)?.active ?? 0;
      const dataset = this.#h5Group().get(slotName(path, slot)) as H5.Dataset;
      value = bytesOf(dataset.value, meta.size);
    } catch (error) {
      throw this.wrap(hdf5Error(error), 'get', path);
    }
    verifyValue(value, meta, path, this.label);
    return { value, meta };
  }

  // Writes a slot other than the newest, flushes, and only then marks it valid: until that
  // last attribute reaches the file, the previous value stays the one read after a crash.
  #write(path: string, value: Uint8Array, meta: contract.Meta): void {
    const slots = slotsFor(this.#state, path);
    const target = commitSlot(
      this.#open.file,
      this.#h5Group(),
      path,
      slots,
      value,
      JSON.stringify({ ...meta, seq: slots.seq + 1 }),
      elementTypeFor(meta.attrs, value.byteLength),
    );
    slots.active = target;
    if (!this.#state.live.has(path)) this.#state.sorted = undefined;
    this.#state.live.set(path, meta);
  }

  // A delete writes a tombstone the same way, so no older value can come back after a crash.
  #empty(path: string): void {
    const slots = this.#state.slots.get(path);
    if (!slots || slots.active === undefined) return;
    commitSlot(
      this.#open.file,
      this.#h5Group(),
      path,
      slots,
      new Uint8Array(),
      JSON.stringify({ deleted: true, seq: slots.seq + 1 }),
    );
    slots.active = undefined;
    this.#state.live.delete(path);
    this.#state.sorted = undefined;
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

/** Parses `hdf5:///abs/file.h5?group=name` or `hdf5:./rel.h5`. */
export function configFromUrl(url: string): contract.BackendConfig {
  const { path, params } = parseLocalUrl(url);
  if (path === '') throw new OperationError(`An hdf5 URL needs a file path: ${url}`);
  checkKnownParams(params, ['group'], 'hdf5');
  const group = params.get('group');
  return group === null ? { type: 'hdf5', path: resolve(path) } : { type: 'hdf5', path: resolve(path), group };
}

/** Opens an HDF5 store from its config. */
export async function openFromConfig(
  config: contract.BackendConfig,
  options?: contract.OpenOptions,
): Promise<Hdf5Backend> {
  return Hdf5Backend.open(optionsFromConfig<Hdf5BackendOptions>(config), options);
}
