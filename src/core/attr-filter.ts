import type { AttrFilter } from './backend.ts';
import { OperationError } from './errors.ts';
import type { JsonObject } from './json.ts';

/** True when `attrs` satisfies every condition of `where` (JavaScript evaluation). */
export function matchesAttrs(attrs: JsonObject, where: AttrFilter | undefined): boolean {
  if (!where) return true;
  for (const [name, expected] of Object.entries(where)) {
    if (!Object.hasOwn(attrs, name) || attrs[name] !== expected) return false;
  }
  return true;
}

/** Rejects filters that are not name -> JSON primitive. */
export function validateAttrFilter(where: AttrFilter | undefined, backend: string): void {
  if (!where) return;
  for (const [name, value] of Object.entries(where)) {
    const t = typeof value;
    if (!(value === null || t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(value)))) {
      throw new OperationError(`Attribute filter '${name}' must be a string, finite number, boolean or null`, {
        backend,
      });
    }
  }
}
