import type { ValueNode } from './api-types.ts';

/** How much of a value a preview shows. */
export interface PreviewLimits {
  /** Items shown per array, object, map or set. */
  readonly items: number;
  /** Characters shown per string. */
  readonly chars: number;
  /** Nesting shown. */
  readonly depth: number;
  /** Nodes shown in all. */
  readonly nodes: number;
}

/** Limits for the entry page's value tree. */
export const ENTRY_PREVIEW: PreviewLimits = { items: 500, chars: 20_000, depth: 40, nodes: 50_000 };
/** Limits for argument and result previews in a table. */
export const CELL_PREVIEW: PreviewLimits = { items: 20, chars: 200, depth: 6, nodes: 200 };

const TYPED_ARRAYS = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
];

function hexOf(bytes: Uint8Array, max: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, max)).toString('hex');
}

function numberValue(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

/**
 * Turns a decoded value (JSON, msgpack: typed arrays, Map, Set, Date, BigInt,
 * undefined) into a tagged tree the browser renders as text, cut to `limits`.
 * Tags keep what JSON would lose (a Map is not an object, NaN is not null).
 */
export function toValueNode(value: unknown, limits: PreviewLimits): ValueNode {
  let budget = limits.nodes;
  const walk = (v: unknown, depth: number): ValueNode => {
    budget--;
    if (v === null) return { t: 'null' };
    if (v === undefined) return { t: 'undefined' };
    if (typeof v === 'boolean') return { t: 'boolean', v };
    if (typeof v === 'number') return { t: 'number', v: numberValue(v) };
    if (typeof v === 'bigint') return { t: 'bigint', v: String(v) };
    if (typeof v === 'string') return { t: 'string', v: v.slice(0, limits.chars), total: v.length };
    if (v instanceof Date) return { t: 'date', v: Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString() };
    if (v instanceof Uint8Array) return { t: 'bytes', hex: hexOf(v, limits.items * 8), total: v.byteLength };
    if (TYPED_ARRAYS.some((T) => v instanceof T)) {
      const typed = v as ArrayLike<number | bigint>;
      const items: (number | string)[] = [];
      for (let i = 0; i < Math.min(typed.length, limits.items); i++) {
        const item = typed[i] as number | bigint;
        items.push(typeof item === 'bigint' ? String(item) : numberValue(item));
      }
      return { t: 'typed', type: (v as object).constructor.name, items, total: typed.length };
    }
    if (depth >= limits.depth || budget <= 0) return { t: 'other', v: '…' };
    if (Array.isArray(v)) {
      return { t: 'array', items: v.slice(0, limits.items).map((item) => walk(item, depth + 1)), total: v.length };
    }
    if (v instanceof Map) {
      const entries: [ValueNode, ValueNode][] = [];
      for (const [k, item] of v) {
        if (entries.length >= limits.items) break;
        entries.push([walk(k, depth + 1), walk(item, depth + 1)]);
      }
      return { t: 'map', entries, total: v.size };
    }
    if (v instanceof Set) {
      const items: ValueNode[] = [];
      for (const item of v) {
        if (items.length >= limits.items) break;
        items.push(walk(item, depth + 1));
      }
      return { t: 'set', items, total: v.size };
    }
    if (v instanceof Error) return { t: 'other', v: `${v.name}: ${v.message}` };
    if (v instanceof RegExp) return { t: 'other', v: String(v) };
    if (typeof v === 'object') {
      const keys = Object.keys(v);
      const entries: [string, ValueNode][] = keys
        .slice(0, limits.items)
        .map((k) => [k, walk((v as Record<string, unknown>)[k], depth + 1)]);
      return { t: 'object', entries, total: keys.length };
    }
    return { t: 'other', v: String(v) };
  };
  return walk(value, 0);
}
