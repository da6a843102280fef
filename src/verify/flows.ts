// Which flows `verify` probes: every ordered pair of endpoints, and endpoints
// to and from a few addresses outside the cluster, on every (protocol, port)
// a policy could tell apart from its neighbours.
//
// The probe set is chosen so that every decision a policy rule can make is
// exercised at least once on each side of its boundary: a numeric port, both
// edges of a range and the port just outside each edge, named ports resolved
// on the destination pod (spec netpol-semantics §5: names resolve against the
// pod the traffic goes to), and one port no policy mentions (the "everything
// else" class). Addresses follow the same idea for ipBlocks: both ends of a
// block, the start of each except, and one address outside every block.
import { podIPv4, type Pod, type Protocol } from "../ir/cluster.js";
import type { Model, Peer, PolicyRule } from "../ir/policy.js";
import { endpointsOf, resolveNamedPort, type Flow, type FlowEndpoint } from "../semantics/index.js";
import { cidrContains, parseAddress, parseCidr, type Cidr, type Family } from "../semantics/ip.js";
import { formatIP } from "../frontend/validation/ip.js";
import { byteCompare } from "../rules/writer.js";
import { FELIX_VXLAN_PORT } from "./invariants.js";
import { hostSource } from "./routing.js";
import { endpointIp, type Topology } from "./topology.js";

/** Protocols in the order flows are listed. */
const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
/** Documentation ranges (RFC 5737): never a real peer, so a safe "outside every block" candidate. */
const OUTSIDE_CANDIDATES: readonly string[] = ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"];

/** What the policies mention, per protocol. */
export interface PortPlan {
  readonly protocols: readonly Protocol[];
  /** Numeric ports and range edges (±1 outside), sorted. */
  readonly numeric: ReadonlyMap<Protocol, readonly number[]>;
  /** Named ports per protocol, resolved per destination pod. */
  readonly named: ReadonlyMap<Protocol, readonly string[]>;
  /** A port no policy mentions (null when every port is mentioned). */
  readonly unmentioned: number | null;
}

function allRules(model: Model): PolicyRule[] {
  return model.policies.flatMap((p) => [...p.ingress, ...p.egress]);
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k) ?? new Set<V>();
  s.add(v);
  m.set(k, s);
}

/** `extra`: ports the rules mention (rule-ports.ts), probed as well. */
export function planPorts(model: Model, extra: ReadonlyMap<Protocol, readonly number[]> = new Map()): PortPlan {
  const numeric = new Map<Protocol, Set<number>>();
  const named = new Map<Protocol, Set<string>>();
  const covered: Array<[number, number]> = [];
  const used = new Set<Protocol>(["TCP"]);
  for (const [proto, ports] of extra) {
    used.add(proto);
    for (const p of ports) {
      addTo(numeric, proto, p);
      covered.push([p, p]);
    }
  }
  for (const rule of allRules(model)) {
    if (rule.ports.kind === "any") continue;
    for (const e of rule.ports.ports) {
      used.add(e.protocol);
      const m = e.port;
      if (m.kind === "named") addTo(named, e.protocol, m.name);
      if (m.kind !== "number") continue;
      const end = m.endPort ?? m.port;
      covered.push([m.port, end]);
      const edges = m.endPort === null ? [m.port] : [m.port - 1, m.port, end, end + 1];
      for (const p of edges) if (p >= 1 && p <= 65535) addTo(numeric, e.protocol, p);
    }
  }
  // Named ports resolve to numbers on some pod; the unmentioned port must avoid those too.
  for (const pod of model.cluster.pods) for (const cp of pod.ports) covered.push([cp.containerPort, cp.containerPort]);
  // Felix drops UDP 4789 from every workload whatever the policy (a Felix invariant), so the "unmentioned" port avoids it.
  const isCovered = (p: number): boolean => p === FELIX_VXLAN_PORT || covered.some(([a, b]) => a <= p && p <= b);
  let unmentioned: number | null = null;
  for (let p = 1; p <= 65535 && unmentioned === null; p++) if (!isCovered(p)) unmentioned = p;
  // Sorted for determinism.
  const sortedNum = new Map([...numeric].map(([k, v]) => [k, [...v].sort((a, b) => a - b)] as const));
  const sortedNamed = new Map([...named].map(([k, v]) => [k, [...v].sort()] as const));
  return { protocols: PROTOCOLS.filter((p) => used.has(p)), numeric: sortedNum, named: sortedNamed, unmentioned };
}

/** The ports probed for one destination and protocol: numeric, named resolved on `dst`, and the unmentioned port. */
export function portsFor(plan: PortPlan, protocol: Protocol, dst: FlowEndpoint): number[] {
  const ports = new Set(plan.numeric.get(protocol) ?? []);
  if (dst.kind === "pod") {
    for (const name of plan.named.get(protocol) ?? []) for (const p of resolveNamedPort(dst.pod, name, protocol)) ports.add(p);
  }
  if (plan.unmentioned !== null) ports.add(plan.unmentioned);
  return [...ports].sort((a, b) => a - b);
}

/** The ipBlocks of one family (each family's flows meet only its own blocks). */
function familyBlocks(model: Model, family: Family): Array<Extract<Peer, { kind: "ipBlock" }>> {
  const out: Array<Extract<Peer, { kind: "ipBlock" }>> = [];
  for (const rule of allRules(model)) {
    if (rule.peers.kind === "any") continue;
    for (const p of rule.peers.peers) if (p.kind === "ipBlock" && p.cidr.includes(":") === (family === 6)) out.push(p);
  }
  return out;
}

/** Whether the policies name an IPv6 ipBlock. */
export function hasIPv6Blocks(model: Model): boolean {
  return familyBlocks(model, 6).length > 0;
}

function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
}

const bitsOf = (c: Cidr): number => (c.family === 6 ? 128 : 32);
const firstOf = (c: Cidr): bigint => c.network;
const lastOf = (c: Cidr): bigint => c.network | ((1n << BigInt(bitsOf(c) - c.prefix)) - 1n);

/**
 * Addresses that are not in the cluster: pod IPs are probed as pods, node
 * addresses take the host's own paths (INPUT/OUTPUT, not FORWARD), and pool
 * addresses are routed to a node's blackhole or tunnel, not to the outside.
 */
function insideCluster(model: Model, ip: string): boolean {
  const a = parseAddress(ip);
  if (!a) return true;
  const nodeIps = model.cluster.nodes.flatMap((n) => [n.ip, n.tunnelAddress, n.ip6]);
  if (nodeIps.includes(ip) || model.cluster.pods.some((p) => p.ips.includes(ip))) return true;
  return model.cluster.pools.some((pool) => {
    const c = parseCidr(pool.cidr);
    return c !== null && cidrContains(c, a);
  });
}

/**
 * First/last of each ipBlock of the family, the first of each except, and one address outside every block; sorted.
 * IPv6 (the flow diff of a dual-stack snapshot): the same, with an IPv6 address outside every block.
 */
export function externalAddresses(model: Model, family: Family = 4): string[] {
  const found = new Set<bigint>();
  const blocks: Cidr[] = [];
  for (const b of familyBlocks(model, family)) {
    const c = parseCidr(b.cidr);
    if (!c) continue;
    blocks.push(c);
    found.add(firstOf(c)).add(lastOf(c));
    for (const e of b.except) {
      const x = parseCidr(e);
      if (x) found.add(firstOf(x));
    }
  }
  const outside = family === 6 ? outsideAddress6(model, blocks) : outsideAddress(model, blocks);
  if (outside !== null) found.add(outside);
  const text = (v: bigint): string => (family === 6 ? formatIP(6, v) : formatIPv4(v));
  // Sorted by address for determinism.
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(text).filter((ip) => !insideCluster(model, ip));
}

/** Documentation and discard prefixes (RFC 3849, RFC 6666): never a real peer, first tries for "outside every block". */
const OUTSIDE_CANDIDATES6: readonly bigint[] = [0x2001_0db8n << 96n, 0x0100n << 112n];

/** Outside every IPv6 block: a documentation address, else the address just past (or before) a block; no search loop. */
function outsideAddress6(model: Model, blocks: readonly Cidr[]): bigint | null {
  const max = (1n << 128n) - 1n;
  const tries = [...OUTSIDE_CANDIDATES6.map((v) => v + 1n), ...blocks.flatMap((c) => [lastOf(c) + 1n, firstOf(c) - 1n])].filter((v) => v >= 0n && v <= max);
  return tries.find((v) => !blocks.some((b) => cidrContains(b, { family: 6, value: v })) && !insideCluster(model, formatIP(6, v))) ?? null;
}

function outsideAddress(model: Model, blocks: readonly Cidr[]): bigint | null {
  for (const text of OUTSIDE_CANDIDATES) {
    const c = parseCidr(text);
    if (!c) continue;
    for (let v = c.network + 1n; v < lastOf(c); v++) {
      const a = { family: 4 as const, value: v };
      if (!blocks.some((b) => cidrContains(b, a)) && !insideCluster(model, formatIPv4(v))) return v;
    }
  }
  return null;
}

/** Endpoint pods as flow endpoints, sorted by (namespace, name). */
export function podEndpoints(model: Model): Array<{ kind: "pod"; pod: Pod }> {
  // IPv4 flows: endpoints with an IPv4 address (an IPv6-only pod has no IPv4 traffic).
  return endpointsOf(model).filter((pod) => podIPv4(pod) !== null).map((pod) => ({ kind: "pod" as const, pod }));
}

/** Endpoint pods of either family (the flow diff judges each pair in every family both ends have), sorted by (namespace, name). */
export function allPodEndpoints(model: Model): Array<{ kind: "pod"; pod: Pod }> {
  return endpointsOf(model).map((pod) => ({ kind: "pod" as const, pod }));
}

/**
 * Node traffic: each node's host to every pod (kubelet probes, host
 * processes; from the address the route's interface carries, hostSource),
 * and every pod to each node's IP. Nodes in name order.
 */
function hostPairs(model: Model, topo: Topology, pods: ReadonlyArray<{ kind: "pod"; pod: Pod }>): Array<[FlowEndpoint, FlowEndpoint]> {
  const pairs: Array<[FlowEndpoint, FlowEndpoint]> = [];
  // Sorted for determinism.
  const nodes = model.cluster.nodes.map((n) => n.name).sort(byteCompare);
  for (const n of nodes) {
    for (const p of pods) {
      const src = hostSource(topo, n, endpointIp(p));
      if (src !== null) pairs.push([{ kind: "ip", ip: src }, p]);
    }
  }
  for (const p of pods) {
    for (const n of nodes) {
      const ip = topo.nodes.get(n)?.ip;
      if (ip) pairs.push([p, { kind: "ip", ip }]);
    }
  }
  return pairs;
}

/**
 * Every flow verify probes, in a stable order: pod→pod (never p→p: a pod
 * cannot block itself and its traffic never crosses the veth, spec §7),
 * pod→external, external→pod, node→pod, pod→node; per pair each protocol
 * and port of the plan (plus `extraPorts`, those the rules mention). UDP
 * 4789 from a pod is left to the Felix invariants (invariants.ts): Felix
 * drops it whatever the policy says.
 */
export function enumerateFlows(model: Model, topo: Topology, extraPorts?: ReadonlyMap<Protocol, readonly number[]>): Flow[] {
  const plan = planPorts(model, extraPorts);
  const pods = podEndpoints(model);
  const externals: FlowEndpoint[] = externalAddresses(model).map((ip) => ({ kind: "ip", ip }));
  const pairs: Array<[FlowEndpoint, FlowEndpoint]> = [];
  for (const a of pods) for (const b of pods) if (a.pod !== b.pod) pairs.push([a, b]);
  for (const a of pods) for (const x of externals) pairs.push([a, x]);
  for (const x of externals) for (const a of pods) pairs.push([x, a]);
  pairs.push(...hostPairs(model, topo, pods));
  const flows: Flow[] = [];
  for (const [src, dst] of pairs) {
    for (const protocol of plan.protocols) {
      for (const port of portsFor(plan, protocol, dst)) {
        if (src.kind === "pod" && protocol === "UDP" && port === FELIX_VXLAN_PORT) continue;
        flows.push({ src, dst, protocol, port });
      }
    }
  }
  return flows;
}
