/** Whether smaller or larger is better along an axis. */
export type Sense = 'minimize' | 'maximize';

function usable(point: readonly (number | null)[]): point is number[] {
  return point.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** True when `a` is at least as good as `b` everywhere and better somewhere (all axes minimised). */
function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) > (b[i] as number)) return false;
    if ((a[i] as number) < (b[i] as number)) better = true;
  }
  return better;
}

/**
 * Marks the non-dominated points for the given directions. Points with a missing or
 * non-finite value are never non-dominated; equal points do not dominate each other.
 * Two axes: sort and sweep (n log n); more: pairwise.
 */
export function nonDominated(points: readonly (readonly (number | null)[])[], senses: readonly Sense[]): boolean[] {
  const flags = points.map(() => false);
  const candidates: { row: number; p: number[] }[] = [];
  for (const [row, point] of points.entries()) {
    if (!usable(point)) continue;
    candidates.push({ row, p: point.map((v, i) => (senses[i] === 'maximize' ? -v : v)) });
  }
  if (senses.length === 2) {
    candidates.sort((a, b) => (a.p[0] as number) - (b.p[0] as number) || (a.p[1] as number) - (b.p[1] as number));
    let bestBefore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < candidates.length; ) {
      const x = (candidates[i] as { p: number[] }).p[0];
      let j = i;
      while (j < candidates.length && (candidates[j] as { p: number[] }).p[0] === x) j++;
      // Within one x, the smallest y is first (sorted); a point is kept if it has that y and beats every smaller x.
      const minY = (candidates[i] as { p: number[] }).p[1] as number;
      if (minY < bestBefore) {
        for (let k = i; k < j && (candidates[k] as { p: number[] }).p[1] === minY; k++) {
          flags[(candidates[k] as { row: number }).row] = true;
        }
      }
      bestBefore = Math.min(bestBefore, minY);
      i = j;
    }
    return flags;
  }
  for (const a of candidates) {
    flags[a.row] = !candidates.some((b) => b !== a && dominates(b.p, a.p));
  }
  return flags;
}
