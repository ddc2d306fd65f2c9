import { addExtension, C1, Packr } from 'msgpackr';
import { isPlainObject } from '../json.ts';
import { onClassRegistered, registrationNamed, registrationOf, unregisteredClassError } from './class-registry.ts';
import type { Codec } from './codec.ts';

/*
 * Standard MessagePack maps decode as plain objects. msgpackr writes a `Map` as such a
 * map before it looks at extensions, so a Map would come back as an object. We swap
 * each Map for a TaggedMap (a subclass, which extensions do see) on the way in; the
 * walk copies nothing when a value holds no Map.
 */
class TaggedMap extends Map<unknown, unknown> {}

addExtension({
  Class: TaggedMap,
  type: 0x4d,
  write: (map: TaggedMap) => [...map],
  read: (pairs: [unknown, unknown][]) => new Map(pairs),
});

// Registered classes share one extension type: the payload names the class, so a
// reader finds it by name whatever order the classes were registered in.
const CLASS_EXTENSION = 0x43;
onClassRegistered((registration) =>
  addExtension({
    Class: registration.Class as new () => object,
    type: CLASS_EXTENSION,
    write: (instance: object) => [registration.name, tagMaps(registration.encode(instance))],
    read: ([name, data]: [unknown, unknown]) => registrationNamed(name).decode(data),
  }),
);

// Classes msgpackr itself writes and reads back as the same class (moreTypes).
function isNativelySupported(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof ArrayBuffer ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView))
  );
}

function tagMaps(value: unknown): unknown {
  if (value instanceof Map) {
    const tagged = new TaggedMap();
    for (const [k, v] of value) tagged.set(tagMaps(k), tagMaps(v));
    return tagged;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = tagMaps(value[i]);
      if (item !== value[i]) {
        copy ??= value.slice();
        copy[i] = item;
      }
    }
    return copy ?? value;
  }
  if (isPlainObject(value)) {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = tagMaps(value[key]);
      if (item !== value[key]) {
        copy ??= { ...value };
        copy[key] = item;
      }
    }
    return copy ?? value;
  }
  if (value instanceof Set) {
    const original = [...value];
    const items = original.map(tagMaps);
    return items.some((item, i) => item !== original[i]) ? new Set(items) : value;
  }
  if (value !== null && typeof value === 'object' && !isNativelySupported(value) && !registrationOf(value)) {
    throw unregisteredClassError(value);
  }
  return value;
}

// moreTypes: typed arrays, Set, Error, RegExp; useRecords false: every message decodes
// on its own (records would share structures between messages).
const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true });

/**
 * MessagePack (msgpackr): typed arrays, Date, Map, Set, RegExp, Error, BigInt, undefined
 * and classes registered with {@link registerClass} round-trip; instances of other
 * classes are refused rather than stored as plain objects.
 */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  encode(value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`${typeof value} cannot be encoded`);
    }
    return packr.pack(tagMaps(value));
  },
  decode(bytes) {
    const value = packr.unpack(bytes);
    // msgpackr returns a marker object for 0xc1, a byte MessagePack never uses, instead of
    // failing; such bytes are not a value. Only a message holding the byte can hold one.
    if (bytes.indexOf(0xc1) >= 0 && holdsNeverUsed(value, 0)) {
      throw new TypeError('the bytes hold 0xc1, which MessagePack never uses');
    }
    return value;
  },
};

function holdsNeverUsed(value: unknown, depth: number): boolean {
  if (value === C1) return true;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || depth > 256) return false;
  if (Array.isArray(value)) return value.some((item) => holdsNeverUsed(item, depth + 1));
  if (value instanceof Map) {
    for (const [k, v] of value) if (holdsNeverUsed(k, depth + 1) || holdsNeverUsed(v, depth + 1)) return true;
    return false;
  }
  if (value instanceof Set) {
    for (const item of value) if (holdsNeverUsed(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (holdsNeverUsed((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}
