import type * as H5 from 'h5wasm';
import type { Meta } from '../../core/backend.ts';
import type { H5Module } from './h5wasm.ts';
import { parseSlotName } from './names.ts';
import { HDF5_META_ATTRIBUTE, type KeySlots, newKeySlots, type SlotState } from './slots.ts';

/** Per group, the datasets that must never be written again (see recovery.ts). */
export type AbandonedDatasets = Record<string, string[]>;

/** The entries of one group, kept in memory so `stat` and `list` never touch the file. */
export interface GroupState {
  readonly live: Map<string, Meta>;
  readonly slots: Map<string, KeySlots>;
  /** The live keys in key order; `undefined` until asked for again after a key came or went. */
  sorted: string[] | undefined;
}

/** The slots of `path`, recorded as new when the group has none yet. */
export function slotsFor(state: GroupState, path: string): KeySlots {
  let slots = state.slots.get(path);
  if (!slots) {
    slots = newKeySlots();
    state.slots.set(path, slots);
  }
  return slots;
}

/** How many datasets of the group hold no current value (emptied, tombstones, spares). */
export function emptyDatasets(state: GroupState): number {
  let n = 0;
  for (const slots of state.slots.values()) for (const slot of slots.slots.keys()) if (slot !== slots.active) n++;
  return n;
}

/**
 * Reads a group's keys and slots from their attributes. After a crash (`recovering`),
 * every slot but each key's newest is unclean; `abandoned` are those abandoned before.
 */
export function scanGroup(
  h5: H5Module,
  group: H5.Group,
  abandoned: readonly string[],
  recovering: boolean,
): GroupState {
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
