// Issue 14: no module-level mutable state. Memo and interning tables belong to
// an object made per run (createSimulator, createEvaluator, contextOf,
// Schemas, Compilation); at module level only constant lookup tables may
// remain, and their type says so (ReadonlyMap / ReadonlySet, never a WeakMap,
// which only ever serves as a cache). Covers the folders issue 14's
// simulator/evaluator/verify part cleaned up; the rest of src/ joins as it is.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const COVERED = ["src/simulate", "src/semantics", "src/verify", "src/frontend/schema.ts"];

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  // Sorted for determinism.
  return readdirSync(full).sort().flatMap((n) => sources(join(path, n))).filter((p) => p.endsWith(".ts"));
}

/** Whether a top-level line declares state: any `let`/`var`, or a collection not typed as a constant table. */
function flagged(line: string): boolean {
  if (/^(export )?(let|var) /.test(line)) return true;
  const m = /^(export )?const [A-Za-z_]\w*(: ([^=]+))? = new (WeakMap|WeakSet|Map|Set)\b/.exec(line);
  return m !== null && (m[4]!.startsWith("Weak") || !/^Readonly(Map|Set)</.test(m[3] ?? ""));
}

/** Module-level declarations that hold or could hold run-time state, as `file:line: text`. */
function mutableModuleState(file: string): string[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  return lines.flatMap((line, i) => (flagged(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe("module-level state (issue 14)", () => {
  it("only constant lookup tables, typed ReadonlyMap/ReadonlySet, at module level", () => {
    expect(COVERED.flatMap(sources).flatMap(mutableModuleState)).toEqual([]);
  });

  it("the scan tells a cache from a constant table", () => {
    const caches = ["const cache = new WeakMap<A, B>();", "let hits = 0;", "export const seen = new Set<string>();", "const T: Map<string, number> = new Map();"];
    const tables = ['const NAMES: ReadonlySet<string> = new Set(["a"]);', "export const BY: ReadonlyMap<string, number> = new Map([]);", "const x = 1;"];
    expect(caches.filter(flagged)).toEqual(caches);
    expect(tables.filter(flagged)).toEqual([]);
  });
});
