// The comparison at the heart of `verify` and `explain`: walk a flow's
// packet through every node it crosses with the ruleset simulator, and set
// the result beside the reference evaluator's verdict.
//
// A flow is allowed by the rules iff every hop's every outcome is ACCEPT
// (a statistic branch that drops counts as a drop). An UNKNOWN outcome — a
// match the simulator does not model, a missing ipset, a node without rules —
// is never quietly read as either verdict: the flow is reported as unknown.
import type { Model } from "../ir/policy.js";
import type { HookPath, HostContext, Packet, SimOutcome } from "../ruleset/sim-types.js";
import type { RuleSet } from "../ruleset/types.js";
import { evaluate, type Flow, type Verdict } from "../semantics/index.js";
import { hopsFor, hostContext, probePacket, type Hop, type NodeRules, type Topology } from "./topology.js";

/** The simulator's signature (src/ruleset/simulate.ts), injected so this stage stays a pure function of its inputs. */
export type Simulate = (rs: RuleSet, path: HookPath, packet: Packet, host: HostContext) => SimOutcome[];

export interface HopResult {
  readonly node: string;
  readonly path: HookPath;
  /** The rules file line numbers refer to; null when the node had no rules. */
  readonly file: string | null;
  readonly outcomes: readonly SimOutcome[];
}

export type FlowStatus = "ok" | "mismatch" | "unknown";

export interface FlowCheck {
  readonly flow: Flow;
  readonly expected: Verdict;
  /** What the rules do: true = every outcome accepted; null = unknown. */
  readonly actual: boolean | null;
  readonly status: FlowStatus;
  readonly hops: readonly HopResult[];
  /** Why the result is unknown (first reason), loudly. */
  readonly unknown: string | null;
}

/** Per-node rules and host contexts, built once and shared by every flow. */
export interface Checker {
  readonly model: Model;
  readonly topology: Topology;
  check(flow: Flow): FlowCheck;
  /** The nodes a flow crosses (empty when it cannot be routed). */
  nodesOf(flow: Flow): readonly string[];
}

export function makeChecker(model: Model, topology: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate): Checker {
  const hosts = new Map<string, HostContext>();
  for (const [name, r] of rules) {
    const info = topology.nodes.get(name);
    if (info) hosts.set(name, hostContext(info, r));
  }
  const runHop = (hop: Hop, packet: Packet): HopResult => {
    const r = rules.get(hop.node);
    const host = hosts.get(hop.node);
    if (!r || !host) {
      const missing: SimOutcome = { verdict: "UNKNOWN", trace: [], packet, unknown: `no rules for node ${hop.node}`, probability: 1 };
      return { node: hop.node, path: hop.path, file: null, outcomes: [missing] };
    }
    return { node: hop.node, path: hop.path, file: r.file, outcomes: simulate(r.ruleset, hop.path, packet, host) };
  };
  return {
    model,
    topology,
    nodesOf: (flow) => (hopsFor(topology, flow) ?? []).map((h) => h.node),
    check: (flow) => checkFlow(model, topology, flow, runHop),
  };
}

/** A packet arriving on the next node: decapsulated, with a fresh conntrack entry and mark 0 (marks never cross hosts). */
function onNextHost(p: Packet): Packet {
  return { ...p, mark: 0, ctstate: "NEW", dnat: false, snat: false };
}

function checkFlow(model: Model, topo: Topology, flow: Flow, runHop: (h: Hop, p: Packet) => HopResult): FlowCheck {
  const expected = evaluate(model, flow);
  const hops = hopsFor(topo, flow);
  if (hops === null || hops.length === 0) {
    return { flow, expected, actual: null, status: "unknown", hops: [], unknown: "the flow's packet cannot be routed" };
  }
  const results: HopResult[] = [];
  let packets: Packet[] = [probePacket(flow)];
  for (const hop of hops) {
    // Each accepted outcome of the previous hop travels on (statistic branches may rewrite differently).
    const runs = packets.map((p) => runHop(hop, p));
    const outcomes = runs.flatMap((r) => r.outcomes);
    results.push({ node: hop.node, path: hop.path, file: runs[0]?.file ?? null, outcomes });
    packets = outcomes.filter((o) => o.verdict === "ACCEPT").map((o) => onNextHost(o.packet));
    if (outcomes.some((o) => o.verdict !== "ACCEPT")) break;
  }
  const all = results.flatMap((r) => r.outcomes);
  const unknown = all.find((o) => o.verdict === "UNKNOWN" || o.unknown !== null);
  if (unknown || all.length === 0) {
    const why = unknown?.unknown ?? "the simulator returned no outcome";
    return { flow, expected, actual: null, status: "unknown", hops: results, unknown: why };
  }
  const actual = results.length === hops.length && all.every((o) => o.verdict === "ACCEPT");
  return { flow, expected, actual, status: actual === expected.allowed ? "ok" : "mismatch", hops: results, unknown: null };
}

export interface VerifySummary {
  readonly flows: number;
  /** Nodes whose rules were exercised. */
  readonly nodes: readonly string[];
  /** Mismatching and unknown flows, in enumeration order. */
  readonly failures: readonly FlowCheck[];
}

/** Checks every flow (those crossing `onlyNodes`, when given). */
export function verifyFlows(checker: Checker, flows: readonly Flow[], onlyNodes: ReadonlySet<string> | null): VerifySummary {
  const failures: FlowCheck[] = [];
  const nodes = new Set<string>();
  let count = 0;
  for (const flow of flows) {
    const crossed = checker.nodesOf(flow);
    if (onlyNodes && !crossed.some((n) => onlyNodes.has(n))) continue;
    count++;
    for (const n of crossed) nodes.add(n);
    const c = checker.check(flow);
    if (c.status !== "ok") failures.push(c);
  }
  // Sorted for determinism (node names are unique; flows keep enumeration order).
  return { flows: count, nodes: [...nodes].sort(), failures };
}
