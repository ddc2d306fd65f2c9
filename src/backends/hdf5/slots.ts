import type * as H5 from 'h5wasm';
import type { Meta } from '../../core/backend.ts';
import { asElements, type ElementType, elementCount, elementTypeFor, elementTypeOf } from './element-types.ts';
import { slotName } from './names.ts';

/*
 * Every key has two or more datasets, its slots (named in names.ts). A put writes a slot
 * other than the newest, flushes, and only then gives it a metadata attribute with a
 * higher sequence number; a delete does the same with a tombstone. So a write cut short
 * (a killed process) leaves the previous state readable: HDF5 has no journal and h5wasm
 * cannot rename or unlink, but it can write one attribute after flushing the data. The
 * superseded slot is then emptied and reused by the next write.
 *
 * A slot a killed process was writing may hold a half-written chunk index, whose chunks
 * HDF5 would reuse or free on top of live data (seen in the SIGKILL test: a later value
 * landed inside another key's chunk). So after a crash every slot that is not its key's
 * newest is unclean: never written, resized or emptied again (see recovery.ts).
 */

/** Name of the string attribute holding an entry's metadata (JSON). */
export const HDF5_META_ATTRIBUTE = 'stowage';

const MAX_CHUNK = 1 << 20;
const MIN_CHUNK = 1 << 10;

// A fixed-length string lives in the dataset's own object header; a variable-length one
// lives in the file's global heap, shared with other datasets' attributes, so a write cut
// short there could damage the metadata of keys that were not being written. Metadata too
// large for an object header message still goes to the heap.
const INLINE_ATTRIBUTE_BYTES = 16 * 1024;

/** One dataset of a key. */
export interface SlotState {
  /** It carries a metadata attribute (a value or a tombstone). */
  valid: boolean;
  /** Safe to write: created or emptied by this process, or known untouched by a crash. */
  clean: boolean;
}

/** What the file holds for one key. */
export interface KeySlots {
  /** Highest sequence number among the key's attributes (0 when none ever was). */
  seq: number;
  /** The slot with that sequence number (a value or a tombstone); never overwritten. */
  top: number | undefined;
  /** The slot holding the current value; `undefined` when the key is deleted. */
  active: number | undefined;
  readonly slots: Map<number, SlotState>;
}

/** The slots of a key the file does not hold yet. */
export const newKeySlots = (): KeySlots => ({ seq: 0, top: undefined, active: undefined, slots: new Map() });

/** The slots of a key as a file rewritten by `writeLiveCopy` (compaction.ts) holds them. */
export const rewrittenKeySlots = (): KeySlots => ({
  seq: 1,
  top: 0,
  active: 0,
  slots: new Map([
    [0, { valid: true, clean: true }],
    [1, { valid: false, clean: true }],
  ]),
});

/**
 * Creates a dataset holding `value` as elements of `type` (bytes by default), resizable
 * in place later (chunked, unlimited extent).
 */
export function createDataset(group: H5.Group, name: string, value: Uint8Array, type?: ElementType): void {
  const elements = type ?? elementTypeFor({}, 0);
  const count = elementCount(value.byteLength, elements);
  const chunk = Math.max(
    1,
    Math.floor(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, value.byteLength)) / elements.Array.BYTES_PER_ELEMENT),
  );
  group.create_dataset({
    name,
    data: asElements(value, elements) as Uint8Array,
    shape: [count],
    maxshape: [null],
    chunks: [chunk],
    dtype: elements.dtype,
  });
}

function writeAttribute(dataset: H5.Dataset, json: string): void {
  const size = Buffer.byteLength(json);
  if (size > 0 && size <= INLINE_ATTRIBUTE_BYTES) dataset.create_attribute(HDF5_META_ATTRIBUTE, json, null, `S${size}`);
  else dataset.create_attribute(HDF5_META_ATTRIBUTE, json);
}

/** Marks a dataset as holding the value described by `meta`, with sequence number `seq`. */
export function setMeta(dataset: H5.Dataset, meta: Meta, seq: number): void {
  writeAttribute(dataset, JSON.stringify({ ...meta, seq }));
}

/** Drops a slot's metadata attribute (it no longer holds a committed value) and resizes it to `bytes`. */
function resetSlot(dataset: H5.Dataset, slot: SlotState, bytes: number): H5.Dataset {
  if (slot.valid) {
    dataset.delete_attribute(HDF5_META_ATTRIBUTE);
    slot.valid = false;
  }
  dataset.resize([elementCount(bytes, elementTypeOf(dataset))]);
  return dataset;
}

/** Empties slot `n` of a key, returning its space to HDF5, so a later write can reuse it. */
function emptySlot(group: H5.Group, path: string, slots: KeySlots, n: number): void {
  const slot = slots.slots.get(n);
  if (!slot) return;
  resetSlot(group.get(slotName(path, n)) as H5.Dataset, slot, 0);
  slot.clean = true;
}

/**
 * Writes `value` into a clean slot of `path` that is not the newest, flushes, then gives it
 * `attribute` (which carries the next sequence number) and flushes again; the superseded
 * newest slot is emptied for reuse. A key's slots get `type` when they are created (its
 * first write) and keep it. Returns the slot written.
 */
export function commitSlot(
  file: H5.File,
  group: H5.Group,
  path: string,
  slots: KeySlots,
  value: Uint8Array,
  attribute: string,
  type?: ElementType,
): number {
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
    const elements = elementTypeOf(dataset);
    const count = elementCount(value.byteLength, elements);
    if (count > 0) dataset.write_slice([[0, count]], asElements(value, elements));
  } else {
    // A key's first write also creates its second slot, so later writes never add links
    // to the group: a kill while HDF5 rewrites a group's link index can leave the whole
    // file unreadable, while one inside a dataset only loses that (unused) dataset.
    const spare = slots.slots.size === 0 ? target + 1 : undefined;
    try {
      createDataset(group, name, value, type);
      if (spare !== undefined) createDataset(group, slotName(path, spare), new Uint8Array(), type);
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
  file.flush();
  writeAttribute(group.get(name) as H5.Dataset, attribute);
  file.flush();
  const previous = slots.top;
  slots.seq++;
  slots.top = target;
  (slots.slots.get(target) as SlotState).valid = true;
  // The previous newest slot was whole (its attribute came after its data), so it can be
  // emptied, returning its space to HDF5, and reused.
  if (previous !== undefined) emptySlot(group, path, slots, previous);
  return target;
}
