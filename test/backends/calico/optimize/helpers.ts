// Shared by the -O2 tests: golden case inputs, compiling at -O1/-O2, verifying
// through the verify library API (test/property/check-case.ts).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InputFile } from "../../../../src/frontend/index.js";
import { PASS_NAMES, statsOf, type NodeStats } from "../../../../src/backends/index.js";
import { compile, DEFAULT_COMPILE_OPTIONS, type CompileOptions } from "../../../../src/pipeline.js";
import { byteCompare } from "../../../../src/rules/writer.js";
import { verifyCompiled, type CompiledOk } from "../../../property/check-case.js";
import type { VerifyReportData } from "../../../../src/verify/index.js";

export const GOLDEN = join(import.meta.dirname, "..", "..", "..", "..", "golden");

function filesUnder(dir: string, sub = ""): InputFile[] {
  const out: InputFile[] = [];
  for (const name of readdirSync(join(dir, sub)).sort(byteCompare)) {
    const rel = sub ? `${sub}/${name}` : name;
    if (rel === "expected") continue;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...filesUnder(dir, rel));
    else if (/\.(ya?ml|json)$/.test(name)) out.push({ path: rel, text: readFileSync(join(dir, rel), "utf8") });
  }
  return out;
}

/** A golden case's inputs, as the golden runner reads them (own files, or those its `inputs` file lists). */
export function goldenInputs(dir: string): InputFile[] {
  const list = join(dir, "inputs");
  if (!existsSync(list)) return filesUnder(dir);
  return readFileSync(list, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).flatMap((p) => {
    const abs = join(dir, p);
    return statSync(abs).isDirectory() ? filesUnder(abs).map((f) => ({ path: `${p}/${f.path}`, text: f.text })) : [{ path: p, text: readFileSync(abs, "utf8") }];
  });
}

export const O2: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, optimize: { level: 2, passes: PASS_NAMES } };

export function compileWith(files: readonly InputFile[], opts: CompileOptions): CompiledOk {
  const res = compile(files, opts);
  if (!res.model) throw new Error(`does not compile: ${res.diag.all[0]?.message ?? "?"}`);
  return { ...res, model: res.model };
}

export function verifyWith(files: readonly InputFile[], opts: CompileOptions): VerifyReportData {
  return verifyCompiled(compileWith(files, opts)).report;
}

export function totals(res: CompiledOk): NodeStats {
  const all = res.outputs.map(statsOf);
  const sum = (k: keyof NodeStats) => all.reduce((n, s) => n + s[k], 0);
  return { rules: sum("rules"), chains: sum("chains"), sets: sum("sets"), members: sum("members") };
}
