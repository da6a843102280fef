// verify and explain as pure functions: a model, its sources, every node's
// rules and the simulator in; report data out. The CLI reads the files.
import { DEFAULT_CALICO_OPTIONS } from "../backends/calico/index.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model } from "../ir/policy.js";
import type { Flow } from "../semantics/index.js";
import { makeChecker, verifyFlows, type Checker, type Simulate } from "./check.js";
import { enumerateFlows } from "./flows.js";
import { rulePorts } from "./rule-ports.js";
import type { VerifyReportData } from "./render.js";
import { buildTopology, type NodeRules } from "./topology.js";
import { flowView, type FlowView } from "./views.js";

export { enumerateFlows } from "./flows.js";
export { makeChecker, verifyFlows } from "./check.js";
export type { Checker, FlowCheck, Simulate } from "./check.js";
export { buildTopology, hopsFor } from "./topology.js";
export type { NodeRules, Topology } from "./topology.js";
export { rulesFromOutput, rulesFromText, iptablesFile, ipsetsFile } from "./rules.js";
export { explainText, stableJson, verifyText } from "./render.js";
export type { VerifyReportData } from "./render.js";
export { flowView, flowName } from "./views.js";
export type { FlowView } from "./views.js";

export interface VerifyContext {
  readonly model: Model;
  readonly sources: SourceMap;
  readonly simulate: Simulate;
  readonly interfacePrefix?: string;
}

/**
 * The flows verify checks and the nodes they cross; `onlyNodes` keeps flows
 * touching those nodes. With `rules`, the ports they mention are probed too.
 */
export function plannedFlows(
  ctx: VerifyContext, onlyNodes: readonly string[], rules: ReadonlyMap<string, NodeRules> = new Map(),
): { flows: Flow[]; nodes: string[] } {
  const topo = buildTopology(ctx.model, ctx.interfacePrefix ?? DEFAULT_CALICO_OPTIONS.interfacePrefix);
  const checker = makeChecker(ctx.model, topo, new Map(), ctx.simulate);
  const only = onlyNodes.length ? new Set(onlyNodes) : null;
  const flows = enumerateFlows(ctx.model, rulePorts(rules.values())).filter((f) => !only || checker.nodesOf(f).some((n) => only.has(n)));
  const nodes = new Set(flows.flatMap((f) => checker.nodesOf(f)));
  // Sorted for determinism.
  return { flows, nodes: [...nodes].sort() };
}

export function checkerFor(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>): Checker {
  const topo = buildTopology(ctx.model, ctx.interfacePrefix ?? DEFAULT_CALICO_OPTIONS.interfacePrefix);
  return makeChecker(ctx.model, topo, rules, ctx.simulate);
}

/** Verifies `flows` against `rules`; the report lists mismatching and unknown flows with both sides explained. */
export function verifyReport(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flows: readonly Flow[]): VerifyReportData {
  const summary = verifyFlows(checkerFor(ctx, rules), flows, null);
  const failures: FlowView[] = summary.failures.map((c) => flowView(ctx.model, ctx.sources, c));
  return {
    flows: summary.flows,
    nodes: summary.nodes,
    mismatches: failures.filter((f) => f.status === "mismatch").length,
    unknown: failures.filter((f) => f.status === "unknown").length,
    failures,
  };
}

/** One flow, explained: both verdicts, the deciding policies and rules, and the full trace per hop. */
export function explainFlow(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flow: Flow): FlowView {
  return flowView(ctx.model, ctx.sources, checkerFor(ctx, rules).check(flow));
}
