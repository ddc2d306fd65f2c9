import type { ValueNode } from '../api-types.ts';

/** A time as `2026-12-06 20:06:01` (local time). */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration in ms, e.g. `12.3 ms`, `4.1 s`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

/** A number for a table cell: up to 6 significant digits. */
export function formatNumber(value: number | string | null): string {
  if (value === null) return 'NaN';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

/** JSON on one line, cut to `max` characters. */
export function shortJson(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function more(shown: number, total: number): string {
  return total > shown ? `, …+${total - shown}` : '';
}

/** A value tree on one line, for table cells: `{x: 3, y: [1, 2, …+8]}`. */
export function nodeText(node: ValueNode, max = 160): string {
  const walk = (n: ValueNode): string => {
    switch (n.t) {
      case 'null':
      case 'undefined':
        return n.t;
      case 'boolean':
        return String(n.v);
      case 'number':
      case 'bigint':
        return n.t === 'bigint' ? `${n.v}n` : String(n.v);
      case 'string':
        return JSON.stringify(n.v) + (n.total > n.v.length ? '…' : '');
      case 'date':
        return n.v;
      case 'array':
      case 'set':
        return `${n.t === 'set' ? 'Set ' : ''}[${n.items.map(walk).join(', ')}${more(n.items.length, n.total)}]`;
      case 'typed':
        return `${n.type} [${n.items.join(', ')}${more(n.items.length, n.total)}]`;
      case 'object':
        return `{${n.entries.map(([k, v]) => `${k}: ${walk(v)}`).join(', ')}${more(n.entries.length, n.total)}}`;
      case 'map':
        return `Map {${n.entries.map(([k, v]) => `${walk(k)} => ${walk(v)}`).join(', ')}${more(n.entries.length, n.total)}}`;
      case 'bytes':
        return `bytes(${n.total}) ${n.hex.slice(0, 32)}${n.total > 16 ? '…' : ''}`;
      default:
        return n.v;
    }
  };
  const text = walk(node);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
