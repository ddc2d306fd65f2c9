import { registrationNamed, registrationOf, unregisteredClassError } from './class-registry.ts';
import type { Codec } from './codec.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// A registered class instance is written as {"$class": name, "$data": ...}. A plain
// object that has such a key itself gets one more '$' on it ($class -> $$class) on the
// way in and loses it on the way out, so no user object is ever read as a class.
const CLASS_KEY = '$class';
const ESCAPED_CLASS_KEY = /^\$+class$/;

function escapeClassKeys(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[ESCAPED_CLASS_KEY.test(key) ? `$${key}` : key] = item;
  return copy;
}

// JSON.stringify has already called toJSON (Date becomes its ISO string) when this runs.
function replacer(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    for (const key in value) if (ESCAPED_CLASS_KEY.test(key)) return escapeClassKeys(value as Record<string, unknown>);
    return value;
  }
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return value.valueOf();
  const registration = registrationOf(value);
  if (registration) return { [CLASS_KEY]: registration.name, $data: registration.encode(value) };
  throw unregisteredClassError(value);
}

// True when `value` holds anything the replacer must see: a class instance, or a key
// that needs escaping. Walking first and stringifying without a replacer is about three
// times faster than a replacer on plain data, the common case. Deep nesting (or a
// cycle) gives up and lets the replacer, and JSON's own cycle check, do the work.
function needsReplacer(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > 64) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (needsReplacer(item, depth + 1)) return true;
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  for (const key in value) {
    if (key.charCodeAt(0) === 36 /* $ */ && ESCAPED_CLASS_KEY.test(key)) return true;
    if (needsReplacer((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, CLASS_KEY)) return registrationNamed(record[CLASS_KEY]).decode(record.$data);
  for (const key in record) {
    if (ESCAPED_CLASS_KEY.test(key)) {
      const copy: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(record)) copy[ESCAPED_CLASS_KEY.test(k) ? k.slice(1) : k] = item;
      return copy;
    }
  }
  return value;
}

/**
 * JSON text in UTF-8. Rejects values JSON cannot represent instead of silently dropping
 * them or changing their type: `undefined`, functions, symbols, BigInt, cycles, and
 * instances of classes (Map, Set, typed arrays, your own) unless registered with
 * {@link registerClass}, which brings them back as instances. Objects with a `toJSON`
 * method (Date among them) are stored as what it returns.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode(value) {
    const text = needsReplacer(value, 0) ? JSON.stringify(value, replacer) : JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} is not representable in JSON`);
    return encoder.encode(text);
  },
  decode(bytes) {
    const text = decoder.decode(bytes);
    // Only text that can hold a class tag pays for the reviver.
    return text.includes('class"') ? JSON.parse(text, reviver) : JSON.parse(text);
  },
};
