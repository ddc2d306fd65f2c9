/** Passed to `set`: leave the current value as it is (persidict's KEEP_CURRENT). */
export const KEEP_CURRENT: unique symbol = Symbol.for('stowage.KEEP_CURRENT');
/** Passed to `set`: delete the current value if there is one (persidict's DELETE_CURRENT). */
export const DELETE_CURRENT: unique symbol = Symbol.for('stowage.DELETE_CURRENT');

/** A joker: an instruction instead of a value. */
export type Joker = typeof KEEP_CURRENT | typeof DELETE_CURRENT;

/** True for {@link KEEP_CURRENT} and {@link DELETE_CURRENT}. */
export function isJoker(value: unknown): value is Joker {
  return value === KEEP_CURRENT || value === DELETE_CURRENT;
}
