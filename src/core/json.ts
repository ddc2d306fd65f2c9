/** A JSON primitive. */
export type JsonPrimitive = string | number | boolean | null;
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, used for user attributes and configurations. */
export type JsonObject = { [key: string]: JsonValue };

/** True for plain objects (not arrays, class instances or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when two JSON values are equal, whatever the order of object keys (stores may
 * return attributes in another order than they were written, e.g. PostgreSQL `jsonb`).
 */
export function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/**
 * Where `value` stops being JSON that every store keeps as it is, as a path
 * (`attrs.when`) and what was found there, or `undefined` when it is all JSON. Refused:
 * `undefined`, functions, symbols, BigInt, NaN and ±Infinity, class instances (Date
 * included: JSON would turn it into a string on some stores and keep it on others), and
 * cycles.
 */
export function nonJsonPart(value: unknown, path: string): { path: string; found: string } | undefined {
  return findNonJson(value, path, undefined);
}

// `seen` is made on the first nested object, so flat attributes (the common case) cost
// one pass and no allocation.
function findNonJson(
  value: unknown,
  path: string,
  seen: Set<object> | undefined,
): { path: string; found: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, found: String(value) };
  if (typeof value !== 'object')
    return { path, found: typeof value === 'undefined' ? 'undefined' : `a ${typeof value}` };
  if (seen?.has(value)) return { path, found: 'a cycle' };
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return { path, found: `a ${value.constructor?.name ?? 'class'} instance` };
  const inner = seen ?? new Set<object>();
  inner.add(value);
  if (isArray) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'string' || typeof item === 'boolean' || item === null) continue;
      const bad = findNonJson(item, `${path}[${i}]`, inner);
      if (bad) return bad;
    }
  } else {
    for (const name in value) {
      const item = (value as Record<string, unknown>)[name];
      if (typeof item === 'string' || typeof item === 'boolean' || item === null) continue;
      if (typeof item === 'number' && Number.isFinite(item)) continue;
      const bad = findNonJson(item, `${path}.${name}`, inner);
      if (bad) return bad;
    }
  }
  inner.delete(value);
  return undefined;
}
