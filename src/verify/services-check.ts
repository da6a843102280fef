// Walking a Service probe through kube-proxy's DNAT and on to the backend
// (netpol-semantics §7: policy is judged on the post-DNAT backend pod).
//
// The route of a translated packet depends on where the DNAT sent it. The
// hooks up to the DNAT (nat PREROUTING, or nat OUTPUT for a host's packet)
// see no output device, or the service address's, whatever the backend: so
// its `statistic` branches (and `recent` checks) are the same for every
// device. verify walks the first node once: the simulator forks at each
// branch, and after the DNAT hook a translated branch goes on along the path
// with the output device the route table gives for its new destination
// (Simulator.simulatePath's `reroute`), an untranslated one along the path
// towards the service address (that branch is judged there). Then each
// accepted packet is carried to the backend's node. The reference ("own",
// which tests hold verify's to) walks pass 1 up to the DNAT, then the whole
// path again per output device, keeping the outcomes that reach that device's
// destinations (the replay is deterministic: same branches).
// An untranslated packet to a node address takes the INPUT path (nodePort
// without endpoints), to a ClusterIP the path its route gives.
//
// MASQUERADE (KUBE-MARK-MASQ, then KUBE-POSTROUTING) rewrites the source to
// the outgoing interface's address; the next node sees that, so the backend's
// ingress is judged against it, the source pod's egress against the pod.
import type { Endpoint } from "../ir/service.js";
import { NAMES } from "../backends/index.js";
import type { HookPath, HostContext, Packet, Reroute, SimOutcome } from "../simulate/types.js";
import type { HopKey } from "./classes.js";
import type { Evaluator, Flow } from "../semantics/index.js";
import type { FlowStatus, HopResult, Simulate } from "./check.js";
import { serviceProbes, type ServiceProbe } from "./services.js";
import { routeOut } from "./routing.js";
import { hostContext, podKey, PROBE_SOURCE_PORT, type NodeRules, type Topology } from "./topology.js";

/** One statistic/affinity branch of a probe: where it was translated to, and what happened to it. */
export interface ServiceBranch {
  /** `ip:port` the branch was translated to; null when the packet kept the service address. */
  readonly backend: string | null;
  readonly probability: number;
  /** The evaluator's verdict for source → backend pod (null: untranslated, or the backend is no pod). */
  readonly expected: boolean | null;
  /** Every outcome accepted on every hop (null: unknown). */
  readonly actual: boolean | null;
  /** The verdict on the first node (for untranslated branches: what must be REJECT/DROP). */
  readonly verdict: string;
  readonly hops: readonly HopResult[];
  /** Why the branch could not be judged (an UNKNOWN outcome, a backend that is no pod). */
  readonly unknown: string | null;
  /** The source address the backend's node sees (MASQUERADE rewrites it); null: untranslated or not routed. */
  readonly seen: string | null;
}

export interface ServiceCheck {
  readonly kind: "service";
  readonly probe: ServiceProbe;
  readonly branches: readonly ServiceBranch[];
  readonly status: FlowStatus;
  /** What is wrong, one sentence each (empty when ok). */
  readonly problems: readonly string[];
  readonly unknown: string | null;
}

/** Probability slack: kube-proxy prints 1/k with 10 decimals (§3.3 j). */
const EPSILON = 1e-6;

const PROTO: Readonly<Record<string, string>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

const epText = (e: { readonly ip: string; readonly port: number }): string => `${e.ip}:${e.port}`;

interface Env {
  readonly evaluator: Evaluator;
  readonly topo: Topology;
  readonly rules: ReadonlyMap<string, NodeRules>;
  readonly simulate: Simulate;
  /** A node's host context for a client with no history (made when first asked). */
  readonly host: (node: string) => HostContext | undefined;
  /** Whether walks keep their traces (a check that is only counted when it passes needs none). */
  readonly trace: boolean;
  /**
   * "split" (verify's): one walk of the first node, each translated branch going on along its own device's path;
   * "own": a walk up to the DNAT, then one per output device (checkServiceProbe; tests hold the two to the same checks).
   */
  readonly firstPass: FirstPass;
  /** Class keys of hops (classes.ts), when class verify planned them: backends' hops walked once per key. */
  readonly hopKey: ((node: string, path: HookPath, packet: Packet) => HopKey | null) | null;
  /**
   * Outcomes of a keyed walk, by node (a key may stand for alike nodes: a walk's trace names its own), scope and code;
   * null: the walk rewrote the packet or was unknown (walked each time).
   */
  readonly keyed: Map<string, Map<object, Map<number, readonly SimOutcome[] | null>>>;
}

function run(env: Env, node: string, path: HookPath, packet: Packet, host?: HostContext, until?: "dnat", reroute?: Reroute): HopResult {
  const r = env.rules.get(node);
  const h = host ?? env.host(node);
  if (!r || !h) {
    const missing: SimOutcome = { verdict: "UNKNOWN", trace: [], packet, unknown: `no rules for node ${node}`, probability: 1 };
    return { node, path, route: null, file: null, outcomes: [missing] };
  }
  return { node, path, route: null, file: r.file, outcomes: env.simulate(r.ruleset, path, packet, h, until, env.trace, reroute) };
}

/**
 * `run` on a backend's node, through the class keys when there are: a packet whose key was walked before takes that
 * walk's outcomes, their packets made its own (a keyed walk is kept only if it left the addresses and ports alone
 * and knew every verdict, so only its marks and conntrack flags are the walk's).
 */
function runKeyed(env: Env, node: string, path: HookPath, packet: Packet): HopResult {
  const key = env.hopKey?.(node, path, packet) ?? null;
  if (key === null) return run(env, node, path, packet);
  let byScope = env.keyed.get(node);
  if (!byScope) env.keyed.set(node, (byScope = new Map()));
  let byCode = byScope.get(key.scope);
  if (!byCode) byScope.set(key.scope, (byCode = new Map()));
  const seen = byCode.get(key.code);
  if (seen === null) return run(env, node, path, packet);
  if (seen === undefined) {
    const r = run(env, node, path, packet);
    const keep = r.outcomes.every(
      (o) => o.verdict !== "UNKNOWN" && o.unknown === null && o.packet.src === packet.src && o.packet.dst === packet.dst && o.packet.srcPort === packet.srcPort && o.packet.dstPort === packet.dstPort,
    );
    byCode.set(key.code, keep ? r.outcomes : null);
    return r;
  }
  const r = env.rules.get(node)!;
  const outcomes = seen.map((o) => ({ ...o, packet: { ...packet, ctstate: o.packet.ctstate, mark: o.packet.mark, dnat: o.packet.dnat, snat: o.packet.snat } }));
  return { node, path, route: null, file: r.file, outcomes };
}

/** The first node's path with output device `out` (null: the untranslated packet's own path). */
function firstPath(env: Env, p: ServiceProbe, out: string | null): HookPath {
  const f = p.from;
  if (out === null && f.kind === "external" && env.topo.hosts.get(p.vip)?.node === f.node) return { kind: "input", inIface: f.iface };
  const info = env.topo.nodes.get(f.node);
  const toVip = info ? (routeOut(env.topo, f.node, p.vip) ?? "") : "";
  // A host's packet is routed when sent, towards the service address: its OUTPUT chains see that device even after
  // nat OUTPUT's DNAT routed it again; POSTROUTING sees the device towards the backend (HookPath "output").
  if (f.kind === "host") return out === null || out === toVip ? { kind: "output", outIface: toVip } : { kind: "output", outIface: toVip, postIface: out };
  return { kind: "forward", inIface: f.iface, outIface: out ?? toVip };
}

function probePacket(p: ServiceProbe): Packet {
  return { src: p.srcIp, dst: p.vip, protocol: PROTO[p.protocol] ?? "tcp", srcPort: PROBE_SOURCE_PORT, dstPort: p.vport, ctstate: "NEW", mark: 0, dnat: false, snat: false };
}

/** The source address the next node sees: MASQUERADE picks the outgoing interface's address. */
function masqueraded(env: Env, node: string, out: string, packet: Packet): string {
  if (!packet.snat) return packet.src;
  const info = env.topo.nodes.get(node);
  return [...(info?.interfaceAddresses.get(out) ?? [])][0] ?? info?.ip ?? packet.src;
}

/** Policy verdict for a translated branch: egress of the original source, ingress from what the backend's node sees. */
function policyVerdict(env: Env, p: ServiceProbe, backend: Endpoint, seenSrc: string): boolean | null {
  const dst = env.evaluator.endpointAt(backend.ip);
  if (dst.kind !== "pod") return null;
  // Hairpin (a pod reaching itself through its service): p → p is implementation-defined (netpol-semantics §7,
  // kubernetes#95879) and Felix judges it as ordinary pod traffic, so only the backend set is checked.
  if (p.src.kind === "pod" && p.src.pod === dst.pod) return null;
  const egress: Flow = { src: p.src, dst, protocol: p.protocol, port: backend.port };
  const seen = seenSrc === p.srcIp ? p.src : env.evaluator.endpointAt(seenSrc);
  const ingress: Flow = { ...egress, src: seen };
  return env.evaluator.directionVerdict(egress, "egress").allowed && env.evaluator.directionVerdict(ingress, "ingress").allowed;
}

/** Pass 2's walk of the first node for one output device, and its outcomes by the `ip:port` they were translated to. */
interface FirstWalk {
  readonly result: HopResult;
  readonly byBackend: ReadonlyMap<string, readonly SimOutcome[]>;
}

/** Pass 2's walk of the first node with output device `out`, its outcomes grouped once by where they were translated to. */
function firstWalk(env: Env, p: ServiceProbe, host: HostContext | undefined, out: string): FirstWalk {
  const result = run(env, p.from.node, firstPath(env, p, out), probePacket(p), host);
  const byBackend = new Map<string, SimOutcome[]>();
  for (const o of result.outcomes) {
    const k = epText({ ip: o.packet.dst, port: o.packet.dstPort });
    const list = byBackend.get(k);
    if (list) list.push(o);
    else byBackend.set(k, [o]);
  }
  return { result, byBackend };
}


/** The first node's walk for one output device (its node, path and file), and its outcomes that reached `backend`. */
type FirstFor = (out: string, backend: string) => { readonly first: HopResult; readonly mine: readonly SimOutcome[] };

/** Pass 2 for one translated destination: the rerouted first hop, then the backend's node. */
function translatedBranch(env: Env, p: ServiceProbe, target: Endpoint, probability: number, firstFor: FirstFor): ServiceBranch {
  const backend = epText(target);
  const dst = env.evaluator.endpointAt(target.ip);
  const place = dst.kind === "pod" ? env.topo.pods.get(podKey(dst.pod.namespace, dst.pod.name)) : undefined;
  const out = deviceTowards(env, p, target.ip);
  const unknown = (why: string): ServiceBranch => ({ backend, probability, expected: null, actual: null, verdict: "UNKNOWN", hops: [], unknown: why, seen: null });
  if (!place) return unknown(`${backend} is not an endpoint pod of the snapshot`);
  if (out === null) return unknown(`${backend} cannot be routed from ${p.from.node}`);
  const { first, mine } = firstFor(out, backend);
  if (mine.length === 0) return unknown(`rerouted towards ${out}, no branch reaches ${backend}`);
  const hops: HopResult[] = [hopResult(first, first.path, mine)];
  const seen = masqueraded(env, p.from.node, out, mine[0]!.packet);
  const expected = policyVerdict(env, p, target, seen);
  if (place.node !== p.from.node && mine.every((o) => o.verdict === "ACCEPT")) {
    const path: HookPath = { kind: "forward", inIface: out, outIface: place.iface };
    const next = mine.map((o) => runKeyed(env, place.node, path, { ...o.packet, src: masqueraded(env, p.from.node, out, o.packet), mark: 0, dnat: false, snat: false }));
    hops.push(hopResult(next[0]!, path, next.length === 1 ? next[0]!.outcomes : next.flatMap((r) => r.outcomes)));
  }
  return { backend, probability, expected, ...verdictOf(hops), seen };
}

/** `h` on `path` with `outcomes` (made field by field: a spread of a HopResult per branch was a tenth of the services' time). */
const hopResult = (h: HopResult, path: HookPath, outcomes: readonly SimOutcome[]): HopResult => ({ node: h.node, path, route: h.route, file: h.file, outcomes });

/** The first node's output device towards `ip` (null: the node is not in the snapshot, or no route). */
function deviceTowards(env: Env, p: ServiceProbe, ip: string): string | null {
  return env.topo.nodes.has(p.from.node) ? routeOut(env.topo, p.from.node, ip) : null;
}

/** Accepted iff every outcome of every hop is ACCEPT; the first other verdict names what happened. */
function verdictOf(hops: readonly HopResult[]): Pick<ServiceBranch, "actual" | "verdict" | "hops" | "unknown"> {
  let bad: SimOutcome | undefined;
  for (const h of hops) {
    for (const o of h.outcomes) {
      if (o.verdict === "UNKNOWN") return { actual: null, verdict: "UNKNOWN", hops, unknown: o.unknown ?? "unknown outcome" };
      bad ??= o.verdict !== "ACCEPT" ? o : undefined;
    }
  }
  return { actual: !bad, verdict: bad?.verdict ?? "ACCEPT", hops, unknown: null };
}

/** The probe's host context on its first node: `recent` lists hold the pinned backend (affinity) or nothing. */
function firstHost(env: Env, p: ServiceProbe): HostContext | undefined {
  const base = env.host(p.from.node);
  if (!base || !p.pinned) return base;
  const lists = NAMES.serviceAffinityLists(p.spn, p.protocol, p.pinned.ip, p.pinned.port);
  return { ...base, recent: (name, addr) => lists.includes(name) && addr === p.srcIp };
}

/**
 * Walks one probe. "split" (verify's): one walk of the first node, on which every branch the DNAT translated goes
 * on, after the hooks up to the DNAT, along the path towards its own backend (Simulator.simulatePath's `reroute`:
 * nothing before the DNAT saw an output device, so the branches are the ones any device gives), and every other
 * branch along the untranslated path. "own": pass 1 up to the DNAT for the branches, pass 2 per output device.
 */
export function checkServiceProbe(env: Env, p: ServiceProbe): ServiceCheck {
  const host = firstHost(env, p);
  const path = firstPath(env, p, null);
  const { pass1, firstFor } = env.firstPass === "split" ? splitWalk(env, p, host, path) : ownWalks(env, p, host, path);
  const byBackend = new Map<string, { target: Endpoint; probability: number }>();
  const untranslated: SimOutcome[] = [];
  for (const o of pass1.outcomes) {
    if (!o.packet.dnat || o.verdict === "UNKNOWN") {
      untranslated.push(o);
      continue;
    }
    const key = epText({ ip: o.packet.dst, port: o.packet.dstPort });
    const seen = byBackend.get(key);
    byBackend.set(key, { target: { ip: o.packet.dst, port: o.packet.dstPort, nodeName: null, ready: true, serving: true, terminating: false }, probability: (seen?.probability ?? 0) + o.probability });
  }
  const branches: ServiceBranch[] = untranslated.map((o) => ({ backend: null, probability: o.probability, expected: null, ...verdictOf([{ ...pass1, outcomes: [o] }]), seen: null }));
  // Sorted for determinism (by backend text; the simulator's branch order is fixed anyway).
  const targets = [...byBackend].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, t] of targets) branches.push(translatedBranch(env, p, t.target, t.probability, firstFor));
  const problems = judge(p, branches, noneVerdict(env, p));
  const unknown = branches.find((b) => b.unknown !== null)?.unknown ?? null;
  const status: FlowStatus = problems.length ? "mismatch" : unknown ? "unknown" : "ok";
  return { kind: "service", probe: p, branches, status, problems, unknown };
}

/** A probe's branches (`pass1`: a translated outcome per branch that reached a backend, and the others as walked) and its first node's walk per device. */
interface FirstWalks {
  readonly pass1: HopResult;
  readonly firstFor: FirstFor;
}

/**
 * The one walk of the first node: a translated branch goes on along the path towards its backend, from the hooks
 * after the DNAT on. Its outcomes are pass 1 (an UNKNOWN one after its translation is judged as its backend's
 * branch, on its own device) and each backend's own.
 */
function splitWalk(env: Env, p: ServiceProbe, host: HostContext | undefined, path: HookPath): FirstWalks {
  const paths = new Map<string, HookPath>();
  // A backend not routed from the node goes on along the untranslated path: its branch is judged unroutable anyway.
  const reroute = (dst: string): HookPath => {
    const out = deviceTowards(env, p, dst);
    if (out === null) return path;
    let to = paths.get(out);
    if (to === undefined) paths.set(out, (to = firstPath(env, p, out)));
    return to;
  };
  const walk = run(env, p.from.node, path, probePacket(p), host, undefined, reroute);
  const byBackend = new Map<string, SimOutcome[]>();
  for (const o of walk.outcomes) {
    if (!o.packet.dnat) continue;
    const k = epText({ ip: o.packet.dst, port: o.packet.dstPort });
    const list = byBackend.get(k);
    if (list) list.push(o);
    else byBackend.set(k, [o]);
  }
  // pass 1: a translated UNKNOWN outcome is its backend's (walked on its device), as an ACCEPT up to the DNAT is.
  const pass1: HopResult = { ...walk, outcomes: walk.outcomes.map((o) => (o.packet.dnat && o.verdict === "UNKNOWN" ? { ...o, verdict: "ACCEPT", unknown: null } : o)) };
  const firstFor: FirstFor = (out, backend) => ({ first: hopResult(walk, paths.get(out) ?? firstPath(env, p, out), walk.outcomes), mine: byBackend.get(backend) ?? [] });
  return { pass1, firstFor };
}

/** Pass 1 up to the DNAT (the whole untranslated path when a branch is not translated there), pass 2 per device. */
function ownWalks(env: Env, p: ServiceProbe, host: HostContext | undefined, path: HookPath): FirstWalks {
  const early = run(env, p.from.node, path, probePacket(p), host, "dnat");
  const translated = early.outcomes.every((o) => o.packet.dnat && o.verdict === "ACCEPT");
  const pass1 = translated ? early : run(env, p.from.node, path, probePacket(p), host);
  const byOut = new Map<string, FirstWalk>();
  const firstFor: FirstFor = (out, backend) => {
    let walk = byOut.get(out);
    if (!walk) byOut.set(out, (walk = firstWalk(env, p, host, out)));
    return { first: walk.result, mine: walk.byBackend.get(backend) ?? [] };
  };
  return { pass1, firstFor };
}

/**
 * What an untranslated probe must meet: kube-proxy's REJECT/DROP, unless the
 * source pod's egress policy denies the service address itself, in which
 * case Felix drops it first (its FORWARD hooks precede kube-proxy's).
 */
function noneVerdict(env: Env, p: ServiceProbe): "REJECT" | "DROP" {
  const flow: Flow = { src: p.src, dst: { kind: "ip", ip: p.vip }, protocol: p.protocol, port: p.vport };
  return p.src.kind === "pod" && !env.evaluator.directionVerdict(flow, "egress").allowed ? "DROP" : p.none;
}

const pct = (x: number): string => x.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");

/** Everything the probe's branches must satisfy; one sentence per violation. */
function judge(p: ServiceProbe, branches: readonly ServiceBranch[], none: "REJECT" | "DROP"): string[] {
  const problems: string[] = [];
  const total = branches.reduce((s, b) => s + b.probability, 0);
  if (Math.abs(total - 1) > EPSILON) problems.push(`branch probabilities sum to ${pct(total)}, not 1`);
  const want = p.pinned ? [p.pinned] : p.expected;
  const reached = new Map(branches.filter((b) => b.backend !== null).map((b) => [b.backend!, b]));
  if (want.length === 0) {
    for (const b of branches) {
      if (b.backend !== null) problems.push(`translated to ${b.backend} (p=${pct(b.probability)}), but the service has no usable ${p.none === "DROP" ? "local " : ""}endpoint: expected ${none}`);
      else if (b.actual !== null && b.verdict !== none) problems.push(`${b.verdict === "ACCEPT" ? "accepted" : b.verdict} untranslated: expected ${none} ("${p.spn} has no ${p.none === "DROP" ? "local " : ""}endpoints")`);
    }
    return problems;
  }
  // Each backend's text once: judged for every probe of every node.
  const texts = want.map(epText);
  for (const t of texts) if (!reached.has(t)) problems.push(`backend ${t} is never reached`);
  const wanted = new Set(texts);
  for (const b of branches) {
    if (b.backend === null) {
      if (b.actual !== null) problems.push(`branch (p=${pct(b.probability)}) is not translated to any backend and is ${b.verdict === "ACCEPT" ? "accepted" : b.verdict}`);
      continue;
    }
    if (!wanted.has(b.backend)) problems.push(`translated to ${b.backend} (p=${pct(b.probability)}), which is not ${p.pinned ? "the pinned backend" : "a usable endpoint"}`);
    else if (Math.abs(b.probability - 1 / want.length) > EPSILON) problems.push(`backend ${b.backend} has probability ${pct(b.probability)}, not 1/${want.length}`);
    if (b.expected !== null && b.actual !== null && b.expected !== b.actual) {
      problems.push(`→ ${b.backend}: the rules ${b.actual ? "accept" : `${b.verdict === "REJECT" ? "reject" : "drop"}`} it, the policies ${b.expected ? "allow" : "deny"} it`);
    }
  }
  return problems;
}

/** How a probe's first node is walked (Env.firstPass, checkServiceProbe). */
export type FirstPass = "split" | "own";

/** Every service probe of the model starting on a node with rules, walked; empty when the snapshot has no Services. */
export function serviceChecks(
  evaluator: Evaluator, topo: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate, hopKey: Env["hopKey"] = null, firstPass: FirstPass = "split",
): ServiceCheck[] {
  return [...eachServiceCheck(evaluator, topo, rules, simulate, hopKey, "all", firstPass)];
}

/**
 * serviceChecks one at a time: a caller that keeps only the failing checks lets every passing one (its branches'
 * traces) go as soon as it is judged, instead of holding thousands of traces until the last probe. With `traces`
 * "failures", a passing check's hops hold no traces (its walks kept none, and allocating and copying them was most
 * of a walk): a probe that does not pass is walked again with them, which gives the same check, traced.
 */
export function* eachServiceCheck(
  evaluator: Evaluator, topo: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate, hopKey: Env["hopKey"] = null, traces: "all" | "failures" = "all",
  firstPass: FirstPass = "split",
): Generator<ServiceCheck> {
  const env = serviceEnv(evaluator, topo, rules, simulate, hopKey, traces === "all", firstPass);
  let traced: Env | null = traces === "all" ? env : null;
  // Probes start only on nodes whose rules were loaded (`verify --node` with --rules loads the nodes flows cross).
  // kube-proxy in nftables mode on a node: its rules were read from `ip kube-proxy` (rules/nft/lower.ts).
  const nftables = (node: string): boolean =>
    rules.get(node)?.ruleset.tables.some((t) => t.chains.some((c) => c.origin?.table.endsWith(" kube-proxy"))) ?? false;
  for (const p of serviceProbes(evaluator.model, topo, nftables)) {
    if (!rules.has(p.from.node)) continue;
    const c = checkServiceProbe(env, p);
    // Its own keyed walks: those of `env` hold no traces.
    yield c.status === "ok" || env.trace ? c : checkServiceProbe((traced ??= serviceEnv(evaluator, topo, rules, simulate, hopKey, true, firstPass)), p);
  }
}

function serviceEnv(
  evaluator: Evaluator, topo: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate, hopKey: Env["hopKey"], trace = true, firstPass: FirstPass = "split",
): Env {
  // Made per node when a walk first reaches it (rules read back on demand are read only for the nodes walked).
  const hosts = new Map<string, HostContext | null>();
  const host = (node: string): HostContext | undefined => {
    let h = hosts.get(node);
    if (h === undefined) {
      const info = topo.nodes.get(node);
      const r = rules.get(node);
      // A client with no history: `recent --rcheck` finds nothing (affinity probes pin their own entry).
      hosts.set(node, (h = info && r ? { ...hostContext(info, r), recent: () => false } : null));
    }
    return h ?? undefined;
  };
  return { evaluator, topo, rules, simulate, host, hopKey, keyed: new Map(), trace, firstPass };
}

/** One probe walked on its own (explain): as verify walks it, without class keys. */
export function checkOneServiceProbe(evaluator: Evaluator, topo: Topology, rules: ReadonlyMap<string, NodeRules>, simulate: Simulate, p: ServiceProbe): ServiceCheck {
  return checkServiceProbe(serviceEnv(evaluator, topo, rules, simulate, null), p);
}
