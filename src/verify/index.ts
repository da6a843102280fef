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
import { buildTopology, type NodeRules, type Topology } from "./topology.js";
import { checkView, flowView, type CheckView, type FlowView } from "./views.js";
import { serviceView, type ServiceView } from "./service-report.js";
import { serviceChecks } from "./services-check.js";

export { enumerateFlows } from "./flows.js";
export { checksOf, makeChecker, verifyFlows } from "./check.js";
export type { Check, Checker, FlowCheck, InvariantCheck, ReplyCheck, Simulate } from "./check.js";
export { INVARIANTS, invariantProbes } from "./invariants.js";
export type { Invariant, InvariantProbe } from "./invariants.js";
export { buildTopology, hopsFor } from "./topology.js";
export type { NodeRules, Topology } from "./topology.js";
export { rulesFromOutput, rulesFromText, iptablesFile, ipsetsFile } from "./rules.js";
export { explainAgrees, explainText, stableJson, verifyText } from "./render.js";
export type { VerifyReportData } from "./render.js";
export { checkName, checkView, flowView, flowName, probeName } from "./views.js";
export type { CheckView, FlowView } from "./views.js";
export { serviceChecks } from "./services-check.js";
export type { ServiceBranch, ServiceCheck } from "./services-check.js";
export { serviceProbes } from "./services.js";
export type { ServiceProbe } from "./services.js";
export { serviceText, serviceView } from "./service-report.js";
export type { ServiceView } from "./service-report.js";

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
  const checker = checkerFor(ctx, new Map());
  const only = onlyNodes.length ? new Set(onlyNodes) : null;
  const flows = enumerateFlows(ctx.model, checker.topology, rulePorts(rules.values())).filter((f) => !only || checker.nodesOf(f).some((n) => only.has(n)));
  const nodes = new Set(flows.flatMap((f) => checker.nodesOf(f)));
  // Sorted for determinism.
  return { flows, nodes: [...nodes].sort() };
}

/** The topology of a model: memoised, as every check of one run shares it (the model is immutable). */
const topologies = new WeakMap<Model, Map<string, Topology>>();

function topologyOf(ctx: VerifyContext): Topology {
  const prefix = ctx.interfacePrefix ?? DEFAULT_CALICO_OPTIONS.interfacePrefix;
  const byPrefix = topologies.get(ctx.model) ?? new Map<string, Topology>();
  topologies.set(ctx.model, byPrefix);
  let topo = byPrefix.get(prefix);
  if (!topo) byPrefix.set(prefix, (topo = buildTopology(ctx.model, prefix)));
  return topo;
}

export function checkerFor(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>): Checker {
  return makeChecker(ctx.model, topologyOf(ctx), rules, ctx.simulate);
}

/**
 * Verifies `flows`, their replies and the Felix invariants against `rules`;
 * the report lists every failing check with both sides explained.
 */
export function verifyReport(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flows: readonly Flow[]): VerifyReportData {
  const summary = verifyFlows(checkerFor(ctx, rules), flows, null);
  // Service probes (kube-proxy DNAT to each backend, services-check.ts) start on nodes whose rules were loaded.
  const services = serviceChecks(ctx.model, topologyOf(ctx), rules, ctx.simulate);
  const failures: (CheckView | ServiceView)[] = [
    ...summary.failures.map((c) => checkView(ctx.model, ctx.sources, c)),
    ...services.filter((c) => c.status !== "ok").map(serviceView),
  ];
  return {
    flows: summary.flows,
    replies: summary.replies,
    invariants: summary.invariants,
    services: services.length,
    nodes: summary.nodes,
    mismatches: failures.filter((f) => f.status === "mismatch").length,
    unknown: failures.filter((f) => f.status === "unknown").length,
    failures,
  };
}

/** One flow, explained: both verdicts, the deciding policies and rules, the full trace per hop, and its reply's. */
export function explainFlow(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flow: Flow): FlowView {
  return flowView(ctx.model, ctx.sources, checkerFor(ctx, rules).check(flow));
}
