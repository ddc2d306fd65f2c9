import { matchesAttrs } from '../../core/attr-filter.ts';
import type { ListedEntry, Meta } from '../../core/backend.ts';
import type { ListPlan } from '../../core/backend-base.ts';
import { compareKeyPaths, inRange, isDirectChild, splitPath } from '../../core/keys.ts';

/** The index of the first path in `sorted` (key order) that is not before `target`. */
export function lowerBound(sorted: readonly string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeyPaths(sorted[mid] as string, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A `list` over key paths kept sorted in memory: starts at the prefix (or after the
 * cursor), stops past it, and asks `metaOf` for each candidate, which may return
 * undefined for an entry removed since the array was sorted.
 */
export function* listSorted(
  sorted: readonly string[],
  plan: ListPlan,
  metaOf: (path: string) => Meta | undefined,
): Generator<ListedEntry> {
  const { lower } = plan.range;
  const from = plan.after !== undefined && compareKeyPaths(plan.after, lower) >= 0 ? plan.after : lower;
  let emitted = 0;
  for (let i = lowerBound(sorted, from); i < sorted.length && emitted < plan.limit; i++) {
    const path = sorted[i] as string;
    if (plan.after !== undefined && compareKeyPaths(path, plan.after) <= 0) continue;
    if (!inRange(path, plan.range)) return;
    if (!plan.recursive && !isDirectChild(path, plan.prefix.path)) continue;
    const meta = metaOf(path);
    if (!meta || !matchesAttrs(meta.attrs, plan.where)) continue;
    emitted++;
    yield { key: splitPath(path), meta };
  }
}
