import { readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import type * as H5 from 'h5wasm';
import { ConnectionError } from '../../core/errors.ts';
import { writeLiveCopy } from './compaction.ts';
import { type AbandonedDatasets, type GroupState, scanGroup } from './group-state.ts';
import { type H5Module, openH5File } from './h5wasm.ts';
import { abandonedFileOf, slotName } from './names.ts';

/*
 * What opening a file whose lock was left by a dead process does. HDF5 would reuse the
 * torn chunk index of a slot the dead process was writing and write over live data, so
 * no such slot may be written again. When the file holds nothing but stowage groups, it
 * is rewritten with the current values only (temp file, then an atomic rename). A file
 * that also holds objects of the user's own cannot be rewritten (h5wasm cannot copy them):
 * there every slot that is not its key's newest is abandoned, listed in `<file>.abandoned`
 * so later opens keep away from it too, until compact() rewrites the file without them.
 */

/**
 * HDF5 records the file's end in the superblock when it allocates space, before it writes
 * what goes there; a process killed in between leaves a file shorter than recorded, which
 * HDF5 refuses to open. Padding it back to the recorded length with zeros lets it open; the
 * space the dead process allocated held nothing committed (commits flush before they are
 * recorded), and the recovery that follows copies each value with its checksum, so a value
 * damaged all the same still reads as CorruptValueError.
 */
function openAfterCrash(h5: H5Module, path: string, label: string): H5.File {
  try {
    return openH5File(h5, path, label);
  } catch (error) {
    const truncated = /truncated file: eof = (\d+),.*stored_eof = (\d+)/.exec((error as Error).message);
    const [actual, recorded] = [Number(truncated?.[1]), Number(truncated?.[2])];
    if (!truncated || !(recorded > actual) || statSync(path).size !== actual) throw error;
    truncateSync(path, recorded);
    return openH5File(h5, path, label);
  }
}

/**
 * The groups of a file, when every top-level object is a stowage group (empty, or with
 * at least one entry); `undefined` when the file also holds objects of its own.
 */
function stowageGroups(h5: H5Module, file: H5.File, abandoned: AbandonedDatasets): Map<string, GroupState> | undefined {
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
function abandonAfterCrash(h5: H5Module, file: H5.File, known: AbandonedDatasets): AbandonedDatasets {
  const out: AbandonedDatasets = {};
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

/** The datasets abandoned by earlier recoveries of the file at `path`. */
export function readAbandoned(path: string, label: string): AbandonedDatasets {
  let text: string;
  try {
    text = readFileSync(abandonedFileOf(path), 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as AbandonedDatasets;
  } catch (error) {
    throw new ConnectionError(`Cannot read ${abandonedFileOf(path)}; compact() rebuilds the file without it`, {
      backend: label,
      cause: error,
    });
  }
}

/**
 * Opens the file at `path` after its last holder died, leaving no dataset that holder may
 * have been writing where a write could reach it. Returns the open file and the datasets
 * abandoned in it.
 */
export function openRecovered(
  h5: H5Module,
  path: string,
  label: string,
): { file: H5.File; abandoned: AbandonedDatasets } {
  const file = openAfterCrash(h5, path, label);
  const temp = `${path}.recover-${process.pid}`;
  let rewritten = false;
  let abandoned: AbandonedDatasets = {};
  try {
    const known = readAbandoned(path, label);
    const groups = stowageGroups(h5, file, known);
    if (groups) {
      writeLiveCopy(h5, file, temp, groups);
      rewritten = true;
    } else {
      // Recorded before the first write, so a second crash cannot lose the list.
      abandoned = abandonAfterCrash(h5, file, known);
      if (Object.keys(abandoned).length) {
        const listTemp = `${abandonedFileOf(path)}.${process.pid}`;
        writeFileSync(listTemp, JSON.stringify(abandoned));
        renameSync(listTemp, abandonedFileOf(path));
      }
    }
  } catch (error) {
    rmSync(temp, { force: true });
    file.close();
    throw error;
  }
  if (!rewritten) return { file, abandoned };
  file.close();
  // The rename is atomic: a crash leaves the old file or the rewritten one.
  renameSync(temp, path);
  rmSync(abandonedFileOf(path), { force: true });
  return { file: openH5File(h5, path, label), abandoned: {} };
}
