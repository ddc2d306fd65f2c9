/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Like {@link inParallel}, but items with the same key (`keys[i]` for `items[i]`) run one
 * after the other in their given order (distinct keys still run in parallel): a batch that
 * names a key twice ends with its last entry, as a loop of single calls would.
 */
export async function inParallelPerKey<T, R>(
  items: readonly T[],
  keys: readonly string[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const groups = new Map<string, number[]>();
  items.forEach((_, i) => {
    const key = keys[i] as string;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const results: R[] = new Array(items.length);
  await inParallel([...groups.values()], limit, async (indexes) => {
    for (const i of indexes) results[i] = await fn(items[i] as T);
  });
  return results;
}
