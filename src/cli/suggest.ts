// "did you mean …?": the candidate nearest to what was typed, by
// Damerau–Levenshtein distance (a swapped pair of letters costs one edit, as
// in `--ouptut`), when it is near enough to be a slip rather than a guess.

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The nearest candidate within a third of the typed word's length (at least
 * one edit, at most three), or one the typed word is a prefix of; ties go to
 * the first candidate, so the answer is stable.
 */
export function nearest(typed: string, candidates: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: { c: string; d: number } | null = null;
  for (const c of candidates) {
    const d = editDistance(typed, c);
    if (d <= limit && (!best || d < best.d)) best = { c, d };
  }
  if (best) return best.c;
  const prefixed = candidates.filter((c) => typed.length >= 3 && c.startsWith(typed));
  return prefixed.length === 1 ? prefixed[0]! : null;
}

/** ` (did you mean --output?)`, or nothing. */
export function didYouMean(typed: string, candidates: readonly string[], prefix = ""): string {
  const n = nearest(typed, candidates);
  return n === null ? "" : ` (did you mean ${prefix}${n}?)`;
}
