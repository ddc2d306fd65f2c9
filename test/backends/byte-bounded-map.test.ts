import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBoundedMap, type EvictionPolicy } from '../../src/backends/kit/byte-bounded-map.ts';

type Op =
  | { kind: 'set'; key: string; size: number }
  | { kind: 'get'; key: string }
  | { kind: 'peek'; key: string }
  | { kind: 'delete'; key: string };

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, size: fc.integer({ min: 0, max: 6 }) }),
  ...(['get', 'peek', 'delete'] as const).map((kind) => fc.record({ kind: fc.constant(kind), key: keyArb })),
);

// The eviction order as a plain array (front: next to go), which is what the linked list
// inside ByteBoundedMap has to agree with after every operation.
function model(policy: EvictionPolicy, maxBytes: number) {
  let order: { key: string; size: number }[] = [];
  const evicted: string[] = [];
  const bytes = () => order.reduce((n, e) => n + e.size, 0);
  return {
    order: () => order.map((e) => e.key),
    bytes,
    evicted,
    apply(op: Op): number | undefined {
      const at = order.findIndex((e) => e.key === op.key);
      const entry = order[at];
      if (op.kind === 'peek') return entry?.size;
      if (op.kind === 'get') {
        if (entry && policy === 'lru') order = [...order.filter((e) => e !== entry), entry];
        return entry?.size;
      }
      if (op.kind === 'delete') {
        order = order.filter((e) => e !== entry);
        return undefined;
      }
      const added = { key: op.key, size: op.size };
      order = [...order.filter((e) => e !== entry), added];
      for (const e of [...order]) {
        if (bytes() <= maxBytes) break;
        if (e === added) continue;
        order = order.filter((o) => o !== e);
        evicted.push(e.key);
      }
      return undefined;
    },
  };
}

describe('ByteBoundedMap', () => {
  for (const policy of ['lru', 'fifo'] as const) {
    it(`keeps ${policy} eviction order, byte count and evictions like a plain list`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 0, max: 12 }), (ops, maxBytes) => {
          const evicted: string[] = [];
          const map = new ByteBoundedMap<number>({
            maxBytes,
            policy,
            sizeOf: (n) => n,
            onEvict: (key) => evicted.push(key),
          });
          const expected = model(policy, maxBytes);
          for (const op of ops) {
            const want = expected.apply(op);
            if (op.kind === 'set') map.set(op.key, op.size);
            else if (op.kind === 'delete') map.delete(op.key);
            else expect(op.kind === 'get' ? map.get(op.key) : map.peek(op.key)).toBe(want);
            expect([...map.keys()]).toEqual(expected.order());
            expect(map.bytes).toBe(expected.bytes());
            expect(map.size).toBe(expected.order().length);
          }
          expect(evicted).toEqual(expected.evicted);
        }),
        { numRuns: 500 },
      );
    });
  }

  it('walks on when the entry just listed is deleted, and is empty after clear', () => {
    const map = new ByteBoundedMap<number>({ sizeOf: () => 1 });
    for (const key of ['a', 'b', 'c']) map.set(key, 1);
    const seen: string[] = [];
    for (const [key] of map.entries()) {
      seen.push(key);
      map.delete(key);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(map.size).toBe(0);
    map.set('d', 1);
    map.clear();
    expect([...map.entries()]).toEqual([]);
    expect(map.bytes).toBe(0);
  });
});
