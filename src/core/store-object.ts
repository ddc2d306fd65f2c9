const STORE_OBJECT = Symbol.for('stowage.store-object');

/**
 * Marks a class whose instances hold a store (backends, dicts, the layers' stores). Such
 * an object is a handle to live state, not data: storing it as a value fails with
 * `ValueTypeError`, as persidict refuses to store a dict in a dict.
 */
export function markStoreObject(Class: abstract new (...args: never[]) => unknown): void {
  Object.defineProperty(Class.prototype, STORE_OBJECT, { value: true });
}

/** True for instances of a class marked by {@link markStoreObject}. */
export function isStoreObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [STORE_OBJECT]?: true })[STORE_OBJECT] === true;
}
