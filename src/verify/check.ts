// The comparison at the heart of `verify` and `explain`: walk a packet
// through every node it crosses with the ruleset simulator, and set the
// result beside what must happen to it. Three kinds of check:
//
//   flow       the first packet of a new connection; must match the
//              reference evaluator's verdict (NetworkPolicy semantics);
//   reply      for a flow the evaluator allows and the rules accept, its
//              reply (dst→src, ctstate ESTABLISHED, ports swapped) along the
//              reverse hops; must be accepted (netpol-semantics §7: reply
//              traffic is implicitly allowed);
//   invariant  a Felix guarantee that is not NetworkPolicy (invariants.ts).
//
// A walk is accepted iff every hop's every outcome is ACCEPT (a statistic
// branch that drops counts as a drop). An UNKNOWN outcome — a match the
// simulator does not model, a missing ipset, a node without rules — is never
// quietly read as either verdict: the check is reported as unknown.
import { NAMES } from "../backends/index.js";
import type { Model } from "../ir/policy.js";
import type { CtState, HookPath, HostContext, Packet, Reroute, SimOutcome, TraceStep } from "../simulate/types.js";
import type { RuleSet } from "../rules/types.js";
import type { Evaluator, Flow, Verdict } from "../semantics/index.js";
import { invariantProbes, type InvariantProbe } from "./invariants.js";
import { hopsFor, type Fate, type Hop, type Routed } from "./routing.js";
import { hostContext, probePacket, replyPacket, type NodeRules, type Topology } from "./topology.js";

/**
 * The simulator's signature (src/simulate/index.ts), injected so this stage stays a pure function of its inputs.
 * `until` "dnat": only up to the path's destination NAT; `trace` false: outcomes without their trace, for callers
 * that read only verdicts and packets (Simulator.simulatePath). A Simulate may trace anyway. `reroute`: a translated
 * packet goes on along the path its new destination's route gives (the service probes' one walk per probe).
 */
export type Simulate = (rs: RuleSet, path: HookPath, packet: Packet, host: HostContext, until?: "dnat", trace?: boolean, reroute?: Reroute) => SimOutcome[];

export interface HopResult {
  readonly node: string;
  readonly path: HookPath;
  /** The route that chose the hop's outgoing interface. */
  readonly route: Hop["route"];
  /** The rules file line numbers refer to; null when the node had no rules. */
  readonly file: string | null;
  readonly outcomes: readonly SimOutcome[];
}

export type FlowStatus = "ok" | "mismatch" | "unknown";

/** One packet's walk over its hops, and whether it came out as it must. */
export interface WalkResult {
  /** What the rules do: true = every outcome accepted; null = unknown. */
  readonly actual: boolean | null;
  readonly status: FlowStatus;
  readonly hops: readonly HopResult[];
  /** Why the result is unknown (first reason), loudly. */
  readonly unknown: string | null;
  /** Dropped by routing (a blackhole, an unknown next hop, …) after every rule accepted; null otherwise. */
  readonly routeDrop: Extract<Fate, { kind: "dropped" }> | null;
}

export interface FlowCheck extends WalkResult {
  readonly kind: "flow";
  readonly flow: Flow;
  readonly expected: Verdict;
  /** The reply of a flow the evaluator allows and the rules accept; null otherwise (a denied flow has no reply). */
  readonly reply: ReplyCheck | null;
}

export interface ReplyCheck extends WalkResult {
  readonly kind: "reply";
  /** The flow replied to: the reply goes from its dst to its src. */
  readonly flow: Flow;
  /** The flow's verdict (allowed), which makes the reply allowed. */
  readonly expected: Verdict;
}

export interface InvariantCheck extends WalkResult {
  readonly kind: "invariant";
  readonly probe: InvariantProbe;
  /** Policy or profile chain steps the probe met; Felix decides these packets before any. */
  readonly consulted: readonly TraceStep[];
}

export type Check = FlowCheck | ReplyCheck | InvariantCheck;

/** Per-node rules and host contexts, built once and shared by every check. */
export interface Checker {
  readonly model: Model;
  readonly topology: Topology;
  /** The flow's first packet, and its reply when there is one. */
  check(flow: Flow): FlowCheck;
  checkInvariant(probe: InvariantProbe): InvariantCheck;
  /** The route walk of a flow (null when it crosses no workload), memoised. */
  routeOf(flow: Flow): Routed | null;
  /** The hops of a flow (null when it crosses no workload or cannot be judged). */
  hopsOf(flow: Flow): readonly Hop[] | null;
  /** The nodes a flow crosses (empty when it cannot be routed). */
  nodesOf(flow: Flow): readonly string[];
}

type RunHop = (hop: Hop, packet: Packet) => HopResult;

/** A checker of `rules` over `topology`, judging flows with `evaluator`'s model. */
export function makeChecker(evaluator: Evaluator, topology: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate): Checker {
  // Per node, made when a hop first reaches it (rules read back on demand are read only for the nodes walked).
  const hosts = new Map<string, HostContext | null>();
  const hostOf = (node: string, r: NodeRules | undefined): HostContext | null => {
    let host = hosts.get(node);
    if (host === undefined) {
      const info = topology.nodes.get(node);
      hosts.set(node, (host = r && info ? hostContext(info, r) : null));
    }
    return host;
  };
  const runHop: RunHop = (hop, packet) => {
    const r = rules.get(hop.node);
    const host = hostOf(hop.node, r);
    if (!r || !host) {
      const missing: SimOutcome = { verdict: "UNKNOWN", trace: [], packet, unknown: `no rules for node ${hop.node}`, probability: 1 };
      return { node: hop.node, path: hop.path, route: hop.route, file: null, outcomes: [missing] };
    }
    return { node: hop.node, path: hop.path, route: hop.route, file: r.file, outcomes: simulate(r.ruleset, hop.path, packet, host) };
  };
  // Route walks are kept on the topology: every checker of it (planning, then checking) asks for the same flows.
  const memo = topology.routed;
  const routeOf = (flow: Flow): Routed | null => {
    if (!memo.has(flow)) memo.set(flow, hopsFor(topology, flow));
    return memo.get(flow) ?? null;
  };
  const hopsOf = (flow: Flow): readonly Hop[] | null => {
    const r = routeOf(flow);
    return r && r.fate.kind !== "unknown" ? r.hops : null;
  };
  return {
    model: evaluator.model,
    topology,
    routeOf,
    hopsOf,
    nodesOf: (flow) => (routeOf(flow)?.hops ?? []).map((h) => h.node),
    check: (flow) => checkFlow(evaluator, topology, flow, routeOf(flow), runHop),
    checkInvariant: (probe) => checkInvariant(probe, runHop),
  };
}

/**
 * A packet arriving on the next node: decapsulated, mark 0 (marks never
 * cross hosts), and that node's own conntrack view: the walk's state
 * (NEW for a first packet, ESTABLISHED for a reply) without NAT status.
 */
function onNextHost(p: Packet, ctstate: CtState): Packet {
  return { ...p, mark: 0, ctstate, dnat: false, snat: false };
}

/**
 * Walks `first` over the routed hops; `enter` adjusts the packet as each node
 * sees it. Rules decide first: routing's own drop (a blackhole after the
 * last hop's PREROUTING) counts only when every rule accepted.
 */
function walk(routed: Routed, first: Packet, runHop: RunHop, enter: (h: Hop, p: Packet) => Packet = (_, p) => p): Omit<WalkResult, "status"> {
  const hops = routed.hops;
  const results: HopResult[] = [];
  let packets: Packet[] = [first];
  for (const hop of hops) {
    // Each accepted outcome of the previous hop travels on (statistic branches may rewrite differently).
    const runs = packets.map((p) => runHop(hop, enter(hop, p)));
    const outcomes = runs.flatMap((r) => r.outcomes);
    results.push({ node: hop.node, path: hop.path, route: hop.route, file: runs[0]?.file ?? null, outcomes });
    packets = outcomes.filter((o) => o.verdict === "ACCEPT").map((o) => onNextHost(o.packet, first.ctstate));
    if (outcomes.some((o) => o.verdict !== "ACCEPT")) break;
  }
  const all = results.flatMap((r) => r.outcomes);
  const unknown = all.find((o) => o.verdict === "UNKNOWN" || o.unknown !== null);
  const accepted = results.length === hops.length && all.every((o) => o.verdict === "ACCEPT");
  if (unknown) return { actual: null, hops: results, unknown: unknown.unknown ?? "UNKNOWN verdict", routeDrop: null };
  if (routed.fate.kind === "dropped") return { actual: false, hops: results, unknown: null, routeDrop: accepted ? routed.fate : null };
  if (all.length === 0) return { actual: null, hops: results, unknown: "the simulator returned no outcome", routeDrop: null };
  return { actual: accepted, hops: results, unknown: null, routeDrop: null };
}

const statusOf = (actual: boolean | null, expected: boolean): FlowStatus => (actual === null ? "unknown" : actual === expected ? "ok" : "mismatch");

const unknownRoute = (routed: Routed | null, what: string): string | null =>
  routed === null ? `the ${what} crosses no workload` : routed.fate.kind === "unknown" ? routed.fate.reason : null;

function checkFlow(evaluator: Evaluator, topo: Topology, flow: Flow, routed: Routed | null, runHop: RunHop): FlowCheck {
  const expected = evaluator.evaluate(flow);
  const why = unknownRoute(routed, "flow");
  if (routed === null || why !== null) {
    return { kind: "flow", flow, expected, actual: null, status: "unknown", hops: [], unknown: why, routeDrop: null, reply: null };
  }
  const w = walk(routed, probePacket(flow), runHop);
  const status = statusOf(w.actual, expected.allowed);
  const reply = expected.allowed && w.actual === true ? checkReply(topo, flow, expected, w.hops, runHop) : null;
  return { kind: "flow", flow, expected, ...w, status, reply };
}

/**
 * The reply walks the reverse hops with the conntrack NAT status each node
 * recorded for the connection. Its addresses are the original ones: the
 * kernel reverses NAT for replies before the filter table (nat PREROUTING),
 * and Felix's raw/mangle rules before that never look at addresses.
 */
function checkReply(topo: Topology, flow: Flow, expected: Verdict, forward: readonly HopResult[], runHop: RunHop): ReplyCheck {
  const routed = hopsFor(topo, { src: flow.dst, dst: flow.src, protocol: flow.protocol, port: flow.port });
  const why = unknownRoute(routed, "reply");
  if (routed === null || why !== null) {
    return { kind: "reply", flow, expected, actual: null, status: "unknown", hops: [], unknown: why, routeDrop: null };
  }
  const nat = new Map<string, { dnat: boolean; snat: boolean }>();
  for (const h of forward) {
    const o = h.outcomes.find((x) => x.verdict === "ACCEPT");
    if (o) nat.set(h.node, { dnat: o.packet.dnat, snat: o.packet.snat });
  }
  const w = walk(routed, replyPacket(flow), runHop, (h, p) => ({ ...p, ...nat.get(h.node) }));
  return { kind: "reply", flow, expected, ...w, status: statusOf(w.actual, true) };
}

/**
 * A step inside a policy/profile chain, or the jump into one: the trace
 * records matching rules only, so a policy chain none of whose rules matched
 * shows up as the jump alone.
 */
function consults(s: TraceStep): boolean {
  const t = s.rule?.target;
  return NAMES.isPolicyChain(s.chain) || (!!t && (t.kind === "jump" || t.kind === "goto") && NAMES.isPolicyChain(t.name));
}

function checkInvariant(probe: InvariantProbe, runHop: RunHop): InvariantCheck {
  const w = walk({ hops: [probe.hop], fate: { kind: "delivered" } }, probe.packet, runHop);
  const consulted = w.hops.flatMap((h) => h.outcomes.flatMap((o) => o.trace.filter(consults)));
  const status = w.actual === null ? "unknown" : w.actual === (probe.invariant.verdict === "ACCEPT") && consulted.length === 0 ? "ok" : "mismatch";
  return { kind: "invariant", probe, ...w, status, consulted };
}

/**
 * Every check of `flows` in order — each flow, then its reply — followed by
 * the Felix invariant probes chosen from them. Lazy, so a caller can stop
 * at the first failure.
 */
export function* checksOf(checker: Checker, flows: readonly Flow[], probes?: readonly InvariantProbe[]): Generator<Check> {
  for (const flow of flows) {
    const c = checker.check(flow);
    yield c;
    if (c.reply) yield c.reply;
  }
  for (const p of probes ?? invariantProbes(checker.topology, flows, checker.hopsOf)) yield checker.checkInvariant(p);
}

export interface VerifySummary {
  readonly flows: number;
  /** Replies walked (of flows the evaluator allows and the rules accept). */
  readonly replies: number;
  /** Felix invariant probes walked. */
  readonly invariants: number;
  /** Nodes whose rules were exercised. */
  readonly nodes: readonly string[];
  /** Mismatching and unknown checks, in check order. */
  readonly failures: readonly Check[];
  /** Flows whose path took a route that rests on a block owner netpolc inferred (no IPAM objects). */
  readonly inferredRoutes: number;
}

/** Checks every flow (those crossing `onlyNodes`, when given), their replies and the invariant probes. */
export function verifyFlows(checker: Checker, flows: readonly Flow[], onlyNodes: ReadonlySet<string> | null, onFlow?: () => void): VerifySummary {
  const kept = onlyNodes ? flows.filter((f) => checker.nodesOf(f).some((n) => onlyNodes.has(n))) : flows;
  const nodes = new Set(kept.flatMap((f) => checker.nodesOf(f)));
  const failures: Check[] = [];
  const count = { flow: 0, reply: 0, invariant: 0 };
  let inferredRoutes = 0;
  for (const c of checksOf(checker, kept)) {
    count[c.kind]++;
    if (c.kind === "flow") onFlow?.();
    if (c.status !== "ok") failures.push(c);
    if (c.kind === "flow" && (c.hops.some((h) => h.route?.inferred) || c.routeDrop?.route?.inferred)) inferredRoutes++;
  }
  // Sorted for determinism (node names are unique; checks keep enumeration order).
  return { flows: count.flow, replies: count.reply, invariants: count.invariant, nodes: [...nodes].sort(), failures, inferredRoutes };
}
