// verify and explain as pure functions: a model, its sources, every node's
// rules and the simulator in; report data out. The CLI reads the files.
import type { WorkloadPlace } from "../backends/index.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model } from "../ir/policy.js";
import { createEvaluator, type Evaluator, type Flow } from "../semantics/index.js";
import { makeChecker, verifyFlows, type Checker, type Simulate } from "./check.js";
import { enumerateFlows } from "./flows.js";
import { NO_STEPS, planClasses, type FlowClass, type Steps } from "./classes.js";
import { InvariantCandidates } from "./invariants.js";
import { thousands } from "./render.js";
import type { Check } from "./check.js";
import { rulePorts } from "./rule-ports.js";
import { routeTableOf, RulesOnDemand } from "./rules.js";
import { RouteLineCache } from "../rules/route-parser.js";
import type { FdbEntry, RouteCommand } from "../rules/routes.js";
import type { VerifyReportData } from "./render.js";
import { buildTopology, type NodeRules, type RouteTable, type Topology } from "./topology.js";
import { checkView, flowView, type CheckView, type FlowView } from "./views.js";
import { serviceView, type ServiceView } from "./service-report.js";
import { checkOneServiceProbe, eachServiceCheck, type ServiceCheck } from "./services-check.js";
import { explainProbes } from "./services.js";
import { serviceExplainView, type ServiceExplainView } from "./service-explain.js";

export { enumerateFlows } from "./flows.js";
export { checksOf, makeChecker, verifyFlows } from "./check.js";
export type { Check, Checker, FlowCheck, InvariantCheck, ReplyCheck, Simulate } from "./check.js";
export { INVARIANTS, invariantProbes } from "./invariants.js";
export type { Invariant, InvariantProbe } from "./invariants.js";
export { buildTopology } from "./topology.js";
export type { NodeRules, RouteTable, Topology } from "./topology.js";
export { hopsFor } from "./routing.js";
export type { Fate, Hop, RouteRef, Routed } from "./routing.js";
export { rulesFromOutput, rulesFromText, iptablesFile, ip6tablesFile, ipsetsFile, routesFile, fdbFile, routeTableOf, routeTableFromText } from "./rules.js";
export { explainAgrees, explainText, inferredRoutesNote, stableJson, verifyText } from "./render.js";
export type { VerifyReportData } from "./render.js";
export { checkName, checkView, flowView, flowName, probeName } from "./views.js";
export type { CheckView, FlowView } from "./views.js";
export { serviceChecks } from "./services-check.js";
export type { ServiceBranch, ServiceCheck } from "./services-check.js";
export { explainProbes, hostToNodePort, serviceProbes } from "./services.js";
export type { ServiceProbe } from "./services.js";
export { serviceText, serviceView } from "./service-report.js";
export { serviceExplainAgrees, serviceExplainText, type ServiceExplainView } from "./service-explain.js";
export type { ServiceView } from "./service-report.js";

/**
 * One verify or explain run: the model, its reference evaluator, the
 * simulator, and what the run builds once and shares between its checks
 * (route tables, topologies); made by contextOf and dropped with the run.
 */
export interface VerifyContext {
  readonly model: Model;
  readonly sources: SourceMap;
  readonly simulate: Simulate;
  /** The reference evaluator of `model` for this run. */
  readonly evaluator: Evaluator;
  /** The routes compiled from the inputs, for nodes whose rules bring no route table of their own (and for planning). */
  readonly compiledRoutes: (node: string) => RouteTable;
  /**
   * The wiring with each node's routes: those its rules brought (files), else
   * the compiled ones. One per rules map, so every check of the run shares it
   * (the model and the rules are immutable).
   */
  readonly topology: (rules: ReadonlyMap<string, NodeRules>) => Topology;
}

/** A compile's model and sources, and a way to get any node's compiled routes (pipeline.ts CompileResult is one). */
export interface CompiledSnapshot {
  readonly model: Model;
  readonly sources: SourceMap;
  routes(node: string): { readonly routes: readonly RouteCommand[]; readonly fdb: readonly FdbEntry[] };
  /** Where the backends place each pod (interface, node): null when nothing compiled. */
  readonly programs: { workloads(): readonly WorkloadPlace[] } | null;
}

/** No rules yet: flows are planned over the compiled routes. */
const PLANNING: ReadonlyMap<string, NodeRules> = new Map();

/** The context verify and explain run in: compiled routes and topologies on demand, once each. */
export function contextOf(res: CompiledSnapshot, simulate: Simulate): VerifyContext {
  const tables = new Map<string, RouteTable>();
  // Every node's routes are read back with one line cache: each node routes to every other node's blocks alike.
  const routeLines = new RouteLineCache();
  const compiledRoutes = (node: string): RouteTable => {
    let t = tables.get(node);
    if (!t) {
      const r = res.routes(node);
      tables.set(node, (t = routeTableOf(node, r.routes, r.fdb, routeLines)));
    }
    return t;
  };
  let placed: readonly WorkloadPlace[] | null = null;
  const places = (): readonly WorkloadPlace[] => (placed ??= res.programs?.workloads() ?? []);
  const topologies = new WeakMap<ReadonlyMap<string, NodeRules>, Topology>();
  const topology = (rules: ReadonlyMap<string, NodeRules>): Topology => {
    let topo = topologies.get(rules);
    if (!topo) {
      // Rules read back on demand know their routes unread (the compiled ones): routing does not read every node back.
      const routesOf = (node: string): RouteTable => (rules instanceof RulesOnDemand ? rules.routes(node) : (rules.get(node)?.routes ?? compiledRoutes(node)));
      const routes = new Map(res.model.cluster.nodes.map((n) => [n.name, routesOf(n.name)] as const));
      // Rules that bring the compiled route tables themselves route as planning did: share its topology and its memo.
      const compiled = [...routes].every(([n, t]) => t === compiledRoutes(n));
      topo = compiled && rules !== PLANNING ? topology(PLANNING) : buildTopology(res.model, places(), routes);
      topologies.set(rules, topo);
    }
    return topo;
  };
  const ctx: VerifyContext = { model: res.model, sources: res.sources, simulate, evaluator: createEvaluator(res.model), compiledRoutes, topology };
  return ctx;
}

/**
 * The flows verify checks and the nodes they cross; `onlyNodes` keeps flows
 * touching those nodes. With `rules`, the ports they mention are probed too.
 */
export function plannedFlows(
  ctx: VerifyContext, onlyNodes: readonly string[], rules: ReadonlyMap<string, NodeRules> = new Map(),
): { flows: Flow[]; nodes: string[] } {
  const checker = checkerFor(ctx, PLANNING);
  const only = onlyNodes.length ? new Set(onlyNodes) : null;
  const flows = enumerateFlows(ctx.model, checker.topology, rulePorts(rules.values())).filter((f) => !only || checker.nodesOf(f).some((n) => only.has(n)));
  const nodes = new Set(flows.flatMap((f) => checker.nodesOf(f)));
  // Sorted for determinism.
  return { flows, nodes: [...nodes].sort() };
}

export function checkerFor(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>): Checker {
  return makeChecker(ctx.evaluator, ctx.topology(rules), rules, ctx.simulate);
}

/**
 * Verifies `flows`, their replies and the Felix invariants against `rules`;
 * the report lists every failing check with both sides explained.
 */
export function verifyReport(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flows: readonly Flow[], onFlow?: () => void): VerifyReportData {
  const summary = verifyFlows(checkerFor(ctx, rules), flows, null, onFlow);
  // Service probes (kube-proxy DNAT to each backend, services-check.ts) start on nodes whose rules were loaded.
  const failures: (CheckView | ServiceView)[] = summary.failures.map((c) => checkView(ctx.model, ctx.sources, c));
  const services = keepFailed(eachServiceCheck(ctx.evaluator, ctx.topology(rules), rules, ctx.simulate, null, "failures"), failures);
  return {
    flows: summary.flows,
    replies: summary.replies,
    invariants: summary.invariants,
    services,
    nodes: summary.nodes,
    mismatches: failures.filter((f) => f.status === "mismatch").length,
    unknown: failures.filter((f) => f.status === "unknown").length,
    inferredRoutes: summary.inferredRoutes,
    failures,
  };
}

/** Walks every service check, views the failing ones into `failures` and lets the rest go as judged; how many were walked. */
function keepFailed(checks: Iterable<ServiceCheck>, failures: Array<CheckView | ServiceView>): number {
  let n = 0;
  for (const c of checks) {
    n++;
    if (c.status !== "ok") failures.push(serviceView(c));
  }
  return n;
}

/** What class verify did: its report, or why it could not be trusted (the caller then walks every flow). */
export type ClassVerify = { readonly report: VerifyReportData; readonly fallback: null } | { readonly report: null; readonly fallback: string };

/** Flows per end class offered to the invariant probes (invariants.ts picks one per pod and direction). */
const INVARIANT_FLOWS_PER_CLASS = 16;

const classText = (c: FlowClass): string => `${c.src} → ${c.dst} ${c.ports()}, ${thousands(c.count)} flow${c.count === 1 ? "" : "s"}`;

/**
 * Class verify (classes.ts): the flows in classes the policies and the rules
 * cannot tell apart, one representative of each walked (and its reply), then
 * the Felix invariants of the pods walked; streamed, so memory follows the
 * number of classes. `onlyNodes`: flows crossing those nodes. Every node's
 * rules must be in `rules` (a class spans nodes).
 */
export function verifyClassReport(
  ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, onlyNodes: readonly string[] = [], steps: Steps = NO_STEPS, label = "verifying",
): ClassVerify {
  const checker = checkerFor(ctx, rules);
  const plan = planClasses(ctx, checker.topology, rules, onlyNodes.length ? new Set(onlyNodes) : null, ctx.simulate, ctx.topology(PLANNING), {}, steps);
  if (plan.fallback) return { report: null, fallback: plan.fallback.reason };
  // Views are made at the end: a class's count grows while later flows join it.
  const failed: Array<{ check: Check; fc: FlowClass }> = [];
  steps.stage(label, plan.pairs, "class pairs");
  // Offered as the flows are made (a 50k-pod cluster offers over a million): only each pod's best candidates are kept.
  const candidates = new InvariantCandidates(checker.topology, checker.hopsOf);
  // Per end class, by its number (FlowClass.srcEnd, dstEnd): flows offered so far (at most INVARIANT_FLOWS_PER_CLASS).
  const fromEnd = new Uint8Array(plan.ends);
  const toEnd = new Uint8Array(plan.ends);
  const nodes = new Set<string>();
  let replies = 0;
  let flows = 0;
  let classes = 0;
  let inferredRoutes = 0;
  let lastNodes: readonly string[] | null = null;
  plan.flows((fc) => {
    classes++;
    flows += fc.count;
    // A pair's port classes share one node list: added once.
    if (fc.nodes !== lastNodes) for (const n of (lastNodes = fc.nodes)) nodes.add(n);
    if (fc.inferred) inferredRoutes += fc.count;
    // The invariants are about one pod's endpoint chains, alike in its class: a few flows per end class suffice.
    if (fromEnd[fc.srcEnd]! < INVARIANT_FLOWS_PER_CLASS) {
      fromEnd[fc.srcEnd]!++;
      candidates.offer(fc.flow);
    }
    if (toEnd[fc.dstEnd]! < INVARIANT_FLOWS_PER_CLASS) {
      toEnd[fc.dstEnd]!++;
      candidates.offer(fc.flow);
    }
    if (fc.status === "ok") {
      if (fc.replied) replies++;
      return;
    }
    const c = checker.check(fc.flow);
    if (c.status !== "ok") failed.push({ check: c, fc });
    if (c.reply) {
      replies++;
      if (c.reply.status !== "ok") failed.push({ check: c.reply, fc });
    }
  }, () => steps.tick());
  // Pod pairs come in tiles (classes.ts podPairs): listed in source-class-major order, a pair's own checks as made.
  failed.sort((x, y) => x.fc.order - y.fc.order);
  const failures: (CheckView | ServiceView)[] = failed.map(({ check, fc }) => {
    const v = checkView(ctx.model, ctx.sources, check);
    return v.kind === "invariant" ? v : { ...v, flowClass: classText(fc) };
  });
  const probes = candidates.probes();
  for (const p of probes) {
    const c = checker.checkInvariant(p);
    if (c.status !== "ok") failures.push(checkView(ctx.model, ctx.sources, c));
  }
  // The backends' hops by the classes' keys: a probe's packet on a backend's node is walked once per key.
  const services = keepFailed(eachServiceCheck(ctx.evaluator, ctx.topology(rules), rules, ctx.simulate, (node, path, packet) => plan.hopKey(node, path, packet), "failures"), failures);
  const report: VerifyReportData = {
    flows,
    classes,
    replies,
    invariants: probes.length,
    services,
    // Sorted for determinism.
    nodes: [...nodes].sort(),
    mismatches: failures.filter((f) => f.status === "mismatch").length,
    unknown: failures.filter((f) => f.status === "unknown").length,
    inferredRoutes,
    failures,
  };
  return { report, fallback: null };
}

/**
 * A connection to a Service entry (a ClusterIP's port from a pod or a host, a node's address and nodePort from
 * outside), explained per DNAT branch (service-explain.ts); null when the flow's destination is no Service entry.
 */
export function explainService(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flow: Flow): ServiceExplainView[] | null {
  if (flow.dst.kind !== "ip") return null;
  const topo = ctx.topology(rules);
  const probes = explainProbes(ctx.model, topo, flow.src, flow.dst.ip, flow.port, flow.protocol);
  if (probes.length === 0) return null;
  return probes.map((p) => serviceExplainView(ctx.model, ctx.sources, ctx.evaluator, checkOneServiceProbe(ctx.evaluator, topo, rules, ctx.simulate, p)));
}

/** One flow, explained: both verdicts, the deciding policies and rules, the full trace per hop, and its reply's. */
export function explainFlow(ctx: VerifyContext, rules: ReadonlyMap<string, NodeRules>, flow: Flow): FlowView {
  return flowView(ctx.model, ctx.sources, checkerFor(ctx, rules).check(flow));
}
