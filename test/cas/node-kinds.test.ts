import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory.ts';
import { digestOf, ValueStore } from '../../src/entries/cas.ts';

// Children above the inline threshold are stored as nodes of their own, so every kind's
// split, store, read and rebuild runs (the small values of cas-suite stay inline).
const big = (i: number) => ({ i, text: 'y'.repeat(300 + i) });
// Against the canonical order, so that an unsorted stored form would show.
const byDigestDescending = <T>(items: T[], digestKey: (item: T) => unknown = (x) => x) =>
  [...items].sort((a, b) => (digestOf(digestKey(a)) < digestOf(digestKey(b)) ? 1 : -1));

describe('ValueStore node kinds', () => {
  it('stores and rebuilds arrays, objects, Maps and Sets whose children are stored apart', async () => {
    const values = new ValueStore({ backend: new MemoryBackend() });
    const value = {
      list: [big(1), 2, big(2)],
      map: new Map<unknown, unknown>(
        byDigestDescending<[unknown, unknown]>(
          [
            [big(3), 'object key'],
            ['z', big(4)],
            ['a', 1],
          ],
          ([k]) => k,
        ),
      ),
      set: new Set<unknown>(byDigestDescending<unknown>([big(5), 'q', 7])),
    };
    const digest = await values.put(value);
    expect(digest).toBe(digestOf(value));
    const back = (await values.get(digest)) as typeof value;
    expect(back).toEqual(value);
    // Map entries and Set items are stored, and come back, in the order of their (key) digests.
    expect([...back.map.keys()]).toEqual([...value.map.keys()].reverse());
    expect([...back.set]).toEqual([...value.set].reverse());
    const reordered = {
      set: new Set([...value.set].reverse()),
      map: new Map([...value.map].reverse()),
      list: value.list,
    };
    expect(await values.put(reordered)).toBe(digest);
    const children = await values.children(digest);
    expect(children).toHaveLength(3);
    const nested = (await Promise.all(children.map((c) => values.children(c)))).flat();
    expect(nested).toHaveLength(5);
  });
});
