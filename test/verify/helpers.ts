// Shared by the verify tests: load a golden case or an example, compile every
// node, and build the rules verify checks.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InputFile } from "../../src/frontend/index.js";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import { parseArgs } from "../../src/cli/args.js";
import { compileOptionsFrom } from "../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../src/cli/flags.js";
import { createSimulator } from "../../src/simulate/index.js";
import { byteCompare } from "../../src/rules/writer.js";
export { caseArgs, caseInputs } from "../helpers/golden-cases.js";
import { contextOf, rulesFromOutput, type NodeRules, type VerifyContext } from "../../src/verify/index.js";
import type { NodeOutput } from "../../src/backends/types.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const GOLDEN = join(ROOT, "golden");
export const BOOKINFO = join(ROOT, "examples", "bookinfo");

/** A case whose args pick another backend (e.g. `--backend kube-proxy`): verify checks Calico's rules only. */
function otherBackend(dir: string): boolean {
  const args = join(dir, "args");
  const m = existsSync(args) ? /--backend[= ]+(\S+)/.exec(readFileSync(args, "utf8")) : null;
  return m !== null && m[1] !== "calico";
}

/** Calico golden cases that compile (error-* cases are refused by the frontend), sorted. */
export function goldenCases(): string[] {
  return readdirSync(GOLDEN)
    .filter((n) => !n.startsWith("error-") && statSync(join(GOLDEN, n)).isDirectory() && !otherBackend(join(GOLDEN, n)))
    .sort(byteCompare);
}

export interface Compiled {
  readonly ctx: VerifyContext;
  readonly outputs: readonly NodeOutput[];
  readonly rules: Map<string, NodeRules>;
}

/** Compiles every node (whatever the case's --node args say: verify checks all of them), with the Calico options of `args`. */
export function compileAll(files: readonly InputFile[], args: readonly string[] = []): Compiled {
  // The verify tests read Felix 3.27's text (comments, chain names) unless a case's args name another version.
  const calico = compileOptionsFrom(parseArgs(args.includes("--calico-version") ? args : [...args, "--calico-version", "3.27"], COMPILE_FLAGS)).calico;
  const res = compile(files, { ...DEFAULT_COMPILE_OPTIONS, calico });
  if (!res.model) throw new Error(`inputs do not compile: ${res.diag.all.map((d) => d.message).join("; ")}`);
  const ctx = contextOf({ ...res, model: res.model }, createSimulator().simulatePath);
  const rules = new Map<string, NodeRules>();
  for (const out of res.outputs) {
    const r = rulesFromOutput(out, ctx.compiledRoutes(out.node));
    if (!r.rules) throw new Error(`compiled rules of ${out.node} do not re-parse`);
    rules.set(out.node, r.rules);
  }
  return { ctx, outputs: res.outputs, rules };
}
