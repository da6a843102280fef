// The shared work queue of src/frontend/threads.ts, with small worker scripts
// (test/fixtures/threads): every position is done exactly once, results are
// keyed by position, and a worker that fails is given up on at once, leaving
// its positions to the caller.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";

type Threads = typeof import("../../src/frontend/threads.js");
const { runQueue } = (await import(join(import.meta.dirname, "..", "..", "dist", "src", "frontend", "threads.js"))) as Threads;
const fixture = (name: string) => pathToFileURL(join(import.meta.dirname, "..", "fixtures", "threads", name));

function run(name: string, length: number, workers: number, local: boolean) {
  const results = new Map<number, unknown>();
  const here: number[] = [];
  const t0 = performance.now();
  const done = runQueue<unknown>({
    length, url: fixture(name), workers, data: { factor: 2 },
    local: local ? (q) => here.push(q) : null,
    take: (q, r) => {
      expect(results.has(q)).toBe(false);
      results.set(q, r);
    },
  });
  return { done, results, here, ms: performance.now() - t0 };
}

describe("shared work queue", () => {
  test("workers alone do every position, each once, results by position", () => {
    const { done, results } = run("double.mjs", 40, 2, false);
    expect(done.every(Boolean)).toBe(true);
    expect([...results].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 40 }, (_, q) => [q, q * 2]));
  });

  test("with this thread taking part, every position is done exactly once, here or there", () => {
    const { done, results, here } = run("double.mjs", 200, 1, true);
    expect(done.every(Boolean)).toBe(true);
    const all = [...here, ...results.keys()].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 200 }, (_, q) => q));
    for (const [q, r] of results) expect(r).toBe(q * 2);
  });

  test("a worker that throws is given up on at once; what it did not deliver is left undone", () => {
    const { done, results, ms } = run("throws.mjs", 10, 1, false);
    expect(done).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect([...results.keys()]).toEqual([0, 1, 2]);
    expect(ms).toBeLessThan(10_000);
  });

  test("a worker whose module does not load says so at once", () => {
    const { done, ms } = run("broken.mjs", 5, 1, false);
    expect(done.some(Boolean)).toBe(false);
    expect(ms).toBeLessThan(10_000);
  });
});
