// One generated case through the whole pipeline, as the properties need it:
// compile (must succeed), then `verify` through its library API (the
// simulator walks every probe flow through the compiled rules of every node
// it crosses and compares with the reference evaluator).
import { renderAll } from "../../src/diagnostics/render.js";
import type { InputFile } from "../../src/frontend/index.js";
import { compile, DEFAULT_COMPILE_OPTIONS, type CompileOptions, type CompileResult } from "../../src/pipeline.js";
import { createSimulator } from "../../src/simulate/index.js";
import { contextOf, plannedFlows, rulesFromOutput, verifyReport, verifyText, type NodeRules, type VerifyContext, type VerifyReportData } from "../../src/verify/index.js";

export type CompiledOk = CompileResult & { readonly model: NonNullable<CompileResult["model"]> };

/** Compiles every node; throws (with the rendered diagnostics) when the input has errors. */
export function compileOk(files: readonly InputFile[], opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): CompiledOk {
  const res = compile(files, opts);
  if (!res.model || res.diag.hasErrors()) {
    const errors = res.diag.all.filter((d) => d.severity === "error");
    throw new Error(`generated input does not compile: ${errors[0]?.message ?? "?"}\n${renderAll(errors, res.sources, "text")}`);
  }
  return { ...res, model: res.model };
}

export interface Verified {
  readonly report: VerifyReportData;
  readonly ctx: VerifyContext;
  readonly rules: ReadonlyMap<string, NodeRules>;
}

export function verifyCompiled(res: CompiledOk): Verified {
  const rules = new Map<string, NodeRules>();
  for (const out of res.outputs) {
    const r = rulesFromOutput(out);
    if (!r.rules) throw new Error(`compiled rules of ${out.node} do not re-parse: ${r.diagnostics[0]?.message ?? "?"}`);
    rules.set(out.node, r.rules);
  }
  const ctx: VerifyContext = contextOf(res, createSimulator().simulatePath);
  // With the rules, verify also probes every port they mention (not only the policies' ports).
  const { flows } = plannedFlows(ctx, [], rules);
  return { report: verifyReport(ctx, rules, flows), ctx, rules };
}

/** Throws when verify finds any mismatching or unknown flow; the first line summarises (it names the regression case). */
export function expectVerified(files: readonly InputFile[], opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): VerifyReportData {
  const { report } = verifyCompiled(compileOk(files, opts));
  if (report.mismatches || report.unknown || report.flows === 0) {
    const first = report.failures[0];
    const summary =
      `verify finds ${report.mismatches} mismatching and ${report.unknown} unknown of ${report.flows} flows` +
      (first ? ` (first: ${first.status} ${first.flow})` : "");
    throw new Error(`${summary}\n${verifyText(report)}`);
  }
  return report;
}
