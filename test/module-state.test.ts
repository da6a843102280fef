// Issue 14: no module-level mutable state. Memo and interning tables belong to
// an object made per run (createSimulator, createEvaluator, contextOf,
// Schemas, Compilation, Renderer); at module level only constant lookup
// tables may remain, and their type says so (ReadonlyMap / ReadonlySet, never
// a WeakMap, which only ever serves as a cache). Covers all of src/ but ajv's
// generated standalone validators, whose column-0 `let`s are function locals.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const COVERED = ["src"];
/** Generated code (scripts/gen-validators.ts): ajv writes function bodies unindented. */
const GENERATED = new Set(["src/frontend/validators.generated.ts"]);

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  // Sorted for determinism.
  return readdirSync(full).sort().flatMap((n) => sources(join(path, n))).filter((p) => p.endsWith(".ts") && !GENERATED.has(p));
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

const BACKEND_INTERNAL = /from "(\.\.?\/)+(\w+\/)*backends\/[a-z-]+\//;

/** `from "…/backends/<name>/…"` in a file outside src/backends: a reach into one backend's internals. */
function backendInternalImports(file: string): string[] {
  if (file.startsWith("src/backends/")) return [];
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  return lines.flatMap((line, i) => (BACKEND_INTERNAL.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe("the backend interface (issue 14)", () => {
  it("nothing outside src/backends imports a file inside a backend's folder", () => {
    expect(COVERED.flatMap(sources).flatMap(backendInternalImports)).toEqual([]);
  });

  it("the scan recognises such an import", () => {
    const hit = (line: string): boolean => BACKEND_INTERNAL.test(line);
    expect(hit('import { DEVICE } from "../backends/calico/names.js";')).toBe(true);
    expect(hit('import { NAMES } from "../backends/index.js";')).toBe(false);
  });
});
