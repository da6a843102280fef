// How a golden case is read, in one place for every test that walks golden/:
// its *.yaml / *.yml / *.json files outside expected/ (or the paths listed in
// an `inputs` file, relative to the case), and compile flags from `args`.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InputFile } from "../../src/frontend/index.js";
import { byteCompare } from "../../src/rules/writer.js";

export const GOLDEN_ROOT = join(import.meta.dirname, "..", "..", "golden");

/** Every case directory, sorted. */
export function goldenCaseNames(): string[] {
  if (!existsSync(GOLDEN_ROOT)) return [];
  return readdirSync(GOLDEN_ROOT).filter((d) => statSync(join(GOLDEN_ROOT, d)).isDirectory()).sort(byteCompare);
}

/** Input files under `dir` (recursive, expected/ excluded), paths relative to `dir`, sorted. */
export function inputsOf(dir: string, sub = ""): InputFile[] {
  const out: InputFile[] = [];
  for (const name of readdirSync(join(dir, sub)).sort(byteCompare)) {
    const rel = sub ? `${sub}/${name}` : name;
    if (rel === "expected") continue;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...inputsOf(dir, rel));
    else if (/\.(ya?ml|json)$/.test(name)) out.push({ path: rel, text: readFileSync(join(dir, rel), "utf8") });
  }
  return out;
}

/** A case's inputs: its own files, or what its `inputs` file lists (so a case can compile examples/). */
export function caseInputs(dir: string): InputFile[] {
  const list = join(dir, "inputs");
  if (!existsSync(list)) return inputsOf(dir);
  const out: InputFile[] = [];
  for (const p of readFileSync(list, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))) {
    const abs = join(dir, p);
    if (statSync(abs).isDirectory()) out.push(...inputsOf(abs).map((f) => ({ path: `${p}/${f.path}`, text: f.text })));
    else out.push({ path: p, text: readFileSync(abs, "utf8") });
  }
  return out;
}

/** The case's compile flags (its `args` file), split on whitespace. */
export function caseArgs(dir: string): string[] {
  const file = join(dir, "args");
  return existsSync(file) ? readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean) : [];
}
