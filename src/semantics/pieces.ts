// Pieces of the IPv4 address space: cut at a set of edges (the first address
// of each range and the address after its last), every address of one piece
// is inside exactly the same ranges. Class verify works out per piece what
// would otherwise be asked per pod (semantics/signature.ts, verify/classes.ts).

/** The piece holding an address: the index of the last edge at or below it (edges must include 0). */
export function pieceFinder(edges: Iterable<number>): (n: number) => number {
  const sorted = Float64Array.from(new Set(edges)).sort();
  return (n) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo + 1 < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= n) lo = mid;
      else hi = mid;
    }
    return lo;
  };
}

/** The index of the first number of `sorted` (ascending) that is at least `x`; its length when none is. */
export function firstAtLeast(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
