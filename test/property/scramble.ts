// Reproducible reordering of generated inputs, for the determinism
// properties: a seeded PRNG (so a shuffle replays from fast-check's seed),
// Fisher–Yates over it, and every mapping's keys shuffled (list order is
// semantic and kept).
import type { YamlValue } from "./yaml.js";

/** mulberry32: a tiny seeded PRNG, so a shuffle is reproducible from fast-check's seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Same document with every mapping's keys in a random order; lists keep their order (it is semantic). */
export function shuffleKeys(v: YamlValue, rnd: () => number): YamlValue {
  if (Array.isArray(v)) return (v as readonly YamlValue[]).map((x) => shuffleKeys(x, rnd));
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(shuffle(Object.entries(v), rnd).map(([k, x]) => [k, shuffleKeys(x, rnd)]));
}
