import { renameSync, rmSync, statSync } from 'node:fs';
import type * as H5 from 'h5wasm';
import { OperationError } from '../../core/errors.ts';
import { bytesOf, elementTypeFor } from './element-types.ts';
import { type AbandonedDatasets, emptyDatasets, type GroupState } from './group-state.ts';
import { type H5Module, openH5File } from './h5wasm.ts';
import { abandonedFileOf, slotName } from './names.ts';
import { createDataset, type KeySlots, rewrittenKeySlots, setMeta } from './slots.ts';

/**
 * Writes a new file at `temp` holding only the current value of every key of `groups`,
 * each in slot 0 with sequence number 1 and an empty spare slot 1 (see rewrittenKeySlots).
 */
export function writeLiveCopy(
  h5: H5Module,
  source: H5.File,
  temp: string,
  groups: ReadonlyMap<string, GroupState>,
): void {
  const target = new h5.File(temp, 'w');
  try {
    for (const [group, state] of groups) {
      const from = source.get(group) as H5.Group;
      const out = target.create_group(group);
      for (const [path, meta] of state.live) {
        const slots = state.slots.get(path) as KeySlots;
        const value = bytesOf((from.get(slotName(path, slots.active as number)) as H5.Dataset).value, meta.size);
        const type = elementTypeFor(meta.attrs, value.byteLength);
        createDataset(out, slotName(path, 0), value, type);
        setMeta(out.get(slotName(path, 0)) as H5.Dataset, meta, 1);
        createDataset(out, slotName(path, 1), new Uint8Array(), type);
      }
    }
  } finally {
    target.close();
  }
}

/** What {@link Hdf5Backend.compact} did to the file. */
export interface Hdf5CompactReport {
  /** Emptied datasets dropped from the file. */
  removed: number;
  /** File size before compaction. */
  bytesBefore: number;
  /** File size after compaction. */
  bytesAfter: number;
}

/** The parts of an open file that compaction replaces. */
export interface CompactableFile {
  readonly h5: H5Module;
  file: H5.File;
  abandoned: AbandonedDatasets;
  readonly groups: ReadonlyMap<string, GroupState>;
}

/**
 * Rewrites the file at `path` with only the live entries of the groups open in `open`,
 * then reopens it into `open.file` (also when the rewrite fails after closing it). Other
 * top-level objects cannot be copied (h5wasm has no H5Ocopy), so a file with any is refused.
 */
export function compactFile(open: CompactableFile, path: string, label: string): Hdf5CompactReport {
  const foreign = open.file.keys().filter((name) => !open.groups.has(name));
  if (foreign.length) {
    throw new OperationError(`compact would drop objects it does not own: ${foreign.join(', ')}`, { backend: label });
  }
  const bytesBefore = statSync(path).size;
  let removed = 0;
  let closed = false;
  const temp = `${path}.compact-${process.pid}`;
  try {
    for (const state of open.groups.values()) removed += emptyDatasets(state);
    writeLiveCopy(open.h5, open.file, temp, open.groups);
    open.file.close();
    closed = true;
    // The rename is atomic: a crash leaves either the old file or the compacted one.
    renameSync(temp, path);
    // The new file has no abandoned datasets.
    open.abandoned = {};
    rmSync(abandonedFileOf(path), { force: true });
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    if (closed) open.file = openH5File(open.h5, path, label);
  }
  for (const state of open.groups.values()) {
    for (const key of [...state.slots.keys()]) {
      if (state.live.has(key)) state.slots.set(key, rewrittenKeySlots());
      else state.slots.delete(key);
    }
  }
  return { removed, bytesBefore, bytesAfter: statSync(path).size };
}
