// The route walk: from the node where a packet starts, look its destination
// up in that node's route table (longest prefix; the node's own addresses
// first, as the kernel's local table is), follow the route to the next node —
// over tunl0 to the node with the gateway address, over vxlan.calico through
// the neighbour entry to a MAC and the FDB entry to a node address, over the
// uplink to the node with that address — and repeat until the packet reaches
// a workload interface, a host, leaves the cluster, or is dropped (blackhole,
// unknown next hop, missing neighbour/FDB entry, a loop). What a route file
// says is what the walk does: a wrong route fails verify as a wrong rule does.
import { NAMES } from "../backends/index.js";

const DEVICE = NAMES.devices;
import type { HookPath } from "../simulate/types.js";
import type { Flow } from "../semantics/index.js";
import { cidrContains, parseAddress } from "../semantics/ip.js";
import { firstAtLeast } from "../semantics/pieces.js";
import { ipv4 } from "../simulate/ip.js";
import { endpointIp, HOST_IFACE, where, type NodeInfo, type Place, type PrefixRoute, type Topology } from "./topology.js";

/** The route line that decided a step, as an operator would find it. */
export interface RouteRef {
  readonly node: string;
  readonly file: string;
  readonly line: number;
  /** The command as written (`route replace 10.10.1.0/26 via 10.0.0.11 dev tunl0 proto bird onlink`). */
  readonly text: string;
  readonly cidr: string;
  /** The route rests on a block owner netpolc inferred (no IPAM objects given, calico-routes §5.2). */
  readonly inferred: boolean;
}

export interface Hop {
  readonly node: string;
  readonly path: HookPath;
  /** The route that chose the hop's outgoing interface (null: the node's own address, or no route matched). */
  readonly route: RouteRef | null;
}

export type Fate =
  | { readonly kind: "delivered" }
  | { readonly kind: "dropped"; readonly node: string; readonly reason: string; readonly route: RouteRef | null }
  /** The walk cannot be judged from the output (a pod on a node the snapshot does not list). */
  | { readonly kind: "unknown"; readonly reason: string };

export interface Routed {
  readonly hops: readonly Hop[];
  readonly fate: Fate;
  /** A hop's route, or the drop's, rests on a block owner netpolc inferred (RouteRef.inferred; hopsFor sets it). */
  readonly inferred?: boolean;
}

/** The fate of every delivered flow (one object: class verify routes millions of pairs). */
const DELIVERED: Fate = { kind: "delivered" };

/** More nodes than this on one path is a loop (a real path crosses at most two). */
const MAX_NODES = 8;

/**
 * A step's route, and how reports name it (kept on the step: a hop reads it for every pair of pods it routes), and
 * whether it rests on an inferred block owner (read per route walked: the route line itself is elsewhere in memory).
 */
interface StepRoute {
  readonly route: PrefixRoute | null;
  readonly ref: RouteRef | null;
  readonly inferred: boolean;
}
const stepRoute = (route: PrefixRoute | null): StepRoute => ({ route, ref: route?.ref ?? null, inferred: route?.ref?.inferred ?? false });

type Step =
  | { readonly kind: "local" }
  | ({
      readonly kind: "iface"; readonly out: string;
      /** The pod place this step delivers to (its interface is `out`), once a walk found it so. */
      deliversTo: Place | null;
    } & StepRoute)
  | ({
      readonly kind: "next"; readonly out: string; readonly next: string; readonly inIface: string;
      /** routeSignature's words for this step, towards another node and towards the owner's (filled when first asked). */
      signatures?: [string | undefined, string | undefined];
      /** The next node's info (filled when first walked). */
      nextInfo?: NodeInfo;
    } & StepRoute)
  | ({ readonly kind: "exit"; readonly out: string } & StepRoute)
  | ({ readonly kind: "drop"; readonly reason: string } & StepRoute);

function lpm(info: NodeInfo, dst: string): PrefixRoute | null {
  const n = ipv4(dst);
  if (n === null) {
    const a = parseAddress(dst);
    return a ? (info.prefixRoutes.find((r) => cidrContains(r.net, a)) ?? null) : null;
  }
  // Longest prefix first: the network of `n` at each length, looked up.
  for (const [len, routes] of info.byPrefix) {
    const net = len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0;
    const r = routes.get(net);
    if (r) return r;
  }
  return null;
}

/** Onto the wire by `out` towards `hop`: a node with that address receives it on its uplink; anything else is outside. */
function wire(topo: Topology, hop: string, out: string, route: PrefixRoute | null): Step {
  const next = topo.nodeByIp.get(hop);
  return next ? { kind: "next", out, next, inIface: HOST_IFACE, ...stepRoute(route) } : { kind: "exit", out, ...stepRoute(route) };
}

/** VXLAN: the VTEP's MAC from the neighbour table, the node address for that MAC from the FDB (calico-routes §2.7). */
function vxlan(topo: Topology, info: NodeInfo, hop: string, route: PrefixRoute): Step {
  const mac = info.neighbours.get(hop);
  if (!mac) return { kind: "drop", reason: `no neighbour entry for ${hop} on ${DEVICE.vxlanTunnel}`, ...stepRoute(route) };
  const dst = info.fdb.get(mac);
  if (!dst) return { kind: "drop", reason: `no FDB entry for ${mac} on ${DEVICE.vxlanTunnel}`, ...stepRoute(route) };
  const next = topo.nodeByIp.get(dst);
  if (!next) return { kind: "drop", reason: `the FDB sends ${mac} to ${dst}, which is no node's address`, ...stepRoute(route) };
  return { kind: "next", out: DEVICE.vxlanTunnel, next, inIface: DEVICE.vxlanTunnel, ...stepRoute(route) };
}

/** The node's answer for `dst`, memoised on the node (the topology is per run). */
function step(topo: Topology, info: NodeInfo, dst: string): Step {
  let s = info.steps.get(dst) as Step | undefined;
  if (s) return s;
  // A `via` route answers alike for every destination it covers: kept per route, so a node that routes to every
  // pod of the cluster keeps one answer per block, not one per pod (class verify asks for all of them).
  const r = info.localAddresses.has(dst) ? null : lpm(info, dst);
  if (r && r.cmd.kind === "via") {
    s = info.viaSteps.get(r) as Step | undefined;
    if (!s) info.viaSteps.set(r, (s = decide(topo, info, dst)));
    return s;
  }
  info.steps.set(dst, (s = decide(topo, info, dst)));
  return s;
}

function decide(topo: Topology, info: NodeInfo, dst: string): Step {
  if (info.localAddresses.has(dst)) return { kind: "local" };
  const r = lpm(info, dst);
  if (!r) return wire(topo, dst, HOST_IFACE, null);
  const c = r.cmd;
  if (c.kind === "blackhole") return { kind: "drop", reason: "blackhole route", ...stepRoute(r) };
  if (c.kind === "dev") {
    if (c.dev === DEVICE.vxlanTunnel) return vxlan(topo, info, dst, r);
    return c.dev === HOST_IFACE ? wire(topo, dst, c.dev, r) : { kind: "iface", out: c.dev, deliversTo: null, ...stepRoute(r) };
  }
  if (c.dev === DEVICE.ipipTunnel) {
    const next = topo.nodeByIp.get(c.via);
    return next ? { kind: "next", out: c.dev, next, inIface: c.dev, ...stepRoute(r) } : { kind: "drop", reason: `next hop ${c.via} on ${c.dev} is no node's address`, ...stepRoute(r) };
  }
  if (c.dev === DEVICE.vxlanTunnel) return vxlan(topo, info, c.via, r);
  return wire(topo, c.via, c.dev ?? HOST_IFACE, r);
}

/** What a caller routing the same ends many times already knows of them: where() of each, and the destination's address. */
export interface KnownEnds {
  readonly src: Place | null;
  readonly dst: Place | null;
  readonly dstIp: string;
}

/**
 * The hops of a flow and what became of it. At least one end must be a pod:
 * host↔host and host↔external traffic meets no workload chain (null). A
 * packet from outside enters the destination pod's node on its uplink. `known`: the ends' places and the destination's
 * address, as where() and endpointIp give them (class verify routes each pod that speaks for pairs thousands of times).
 */
export function hopsFor(topo: Topology, flow: Flow, known?: KnownEnds): Routed | null {
  const s = known ? known.src : where(topo, flow.src);
  const d = known ? known.dst : where(topo, flow.dst);
  if (s?.kind !== "pod" && d?.kind !== "pod") return null;
  // A place the topology made holds its node's info (Place), absent when the node is not in the snapshot.
  const infoOf = (p: Place): NodeInfo | undefined => ("info" in p ? p.info : topo.nodes.get(p.node));
  const first = infoOf(s ?? d!);
  const unplaced = first === undefined ? (s ?? d)! : d !== null && s !== null && infoOf(d) === undefined ? d : null;
  if (unplaced) return { hops: [], fate: { kind: "unknown", reason: `node ${unplaced.node} is not in the snapshot: nothing routes to or from it` } };
  const dst = known ? known.dstIp : endpointIp(flow.dst);
  // A pod's answers by node number (Place.steps): the same as step's for its address.
  const toPod = d?.kind === "pod" ? (d.steps as Step[] | undefined) : undefined;
  let node = s ? s.node : d!.node;
  let info = first!;
  // Where the packet arrives at `node`: a host sends it (no interface), else it comes in on `inIface`.
  let fromHost = s?.kind === "host";
  let inIface = !s ? HOST_IFACE : s.kind === "host" ? "" : s.iface;
  // Read off each step (StepRoute.inferred), not off the route lines, which lie elsewhere in memory.
  let inferred = false;
  const hops: Hop[] = [];
  for (let i = 0; i < MAX_NODES; i++) {
    let st: Step;
    if (toPod) {
      let known = toPod[info.index];
      if (known === undefined) toPod[info.index] = known = step(topo, info, dst);
      st = known;
    } else st = step(topo, info, dst);
    if (st.kind === "drop") return { hops, fate: { kind: "dropped", node, reason: st.reason, route: st.ref }, inferred: inferred || st.inferred };
    if (st.kind === "local") {
      if (fromHost) return null;
      hops.push({ node, path: { kind: "input", inIface }, route: null });
      return { hops, fate: DELIVERED, inferred };
    }
    const route = st.ref;
    inferred ||= st.inferred;
    hops.push({ node, path: fromHost ? { kind: "output", outIface: st.out } : { kind: "forward", inIface, outIface: st.out }, route });
    if (st.kind === "next") {
      const next = (st.nextInfo ??= topo.nodes.get(st.next));
      if (!next) return { hops, fate: { kind: "unknown", reason: `node ${st.next} is not in the snapshot: nothing routes to or from it` }, inferred };
      node = st.next;
      info = next;
      fromHost = false;
      inIface = st.inIface;
      continue;
    }
    if (st.kind === "exit") {
      if (!d) return { hops, fate: DELIVERED, inferred };
      return { hops, fate: { kind: "dropped", node, reason: `leaves the cluster by ${st.out}: no route to ${dst}`, route }, inferred };
    }
    // Delivered when the step leaves by the pod's own interface on the pod's node. A place the topology made holds its
    // node's info (`info` itself on that node), and the step remembers the place it delivers to: comparing node and
    // interface names per pair of pods read both strings from memory, a tenth of the walk at 50k pods.
    if (d?.kind === "pod" && (st.deliversTo === d || ((d.info === info || d.node === node) && d.iface === st.out && (st.deliversTo = d)))) {
      return { hops, fate: DELIVERED, inferred };
    }
    return { hops, fate: { kind: "dropped", node, reason: `the route sends it to ${st.out}, which is not where ${dst} is`, route }, inferred };
  }
  return { hops, fate: { kind: "dropped", node, reason: `routing loop: more than ${MAX_NODES} nodes`, route: null }, inferred };
}

/** The outgoing interface a node's routes pick for `dst` (null: dropped; `lo` for its own address). */
export function routeOut(topo: Topology, node: string, dst: string): string | null {
  const info = topo.nodes.get(node);
  if (!info) return null;
  const st = step(topo, info, dst);
  return st.kind === "drop" ? null : st.kind === "local" ? "lo" : st.out;
}

/**
 * routeOut for many IPv4 addresses, `nums` sorted ascending (`ips` their texts, in that order): what routeOut gives
 * each, found per route instead of by a longest-prefix lookup per address (class verify asks every host about every
 * pod: 25M lookups at 50k pods). The node's prefix routes are painted over the sorted addresses, shortest prefix first,
 * so each address ends with the route lpm picks; the outgoing interface follows from the route alone (decide) but for
 * an address the node holds (local) and a route to a VXLAN device (its own neighbour entry per address), which are
 * asked one by one, as is every address when the table holds a prefix longer than IPv4's.
 */
export function routeOutsOf(topo: Topology, node: string, nums: ArrayLike<number>, ips: readonly string[]): Array<string | null> {
  const out = new Array<string | null>(ips.length).fill(null);
  const info = topo.nodes.get(node);
  if (!info) return out;
  if (info.byPrefix.some(([len]) => len > 32)) {
    for (let i = 0; i < ips.length; i++) out[i] = routeOut(topo, node, ips[i]!);
    return out;
  }
  const lowerBound = (x: number): number => firstAtLeast(nums, x);
  // Per address its route (null: none), or ALONE: asked on its own.
  const ALONE = 0;
  const routes = new Array<PrefixRoute | null | typeof ALONE>(ips.length).fill(null);
  for (let k = info.byPrefix.length - 1; k >= 0; k--) {
    const [len, byNet] = info.byPrefix[k]!;
    const size = 2 ** (32 - len);
    for (const [net, r] of byNet) {
      const alone = r.cmd.kind === "dev" && r.cmd.dev === DEVICE.vxlanTunnel;
      for (let i = lowerBound(net); i < nums.length && nums[i]! < net + size; i++) routes[i] = alone ? ALONE : r;
    }
  }
  for (const a of info.localAddresses) {
    const n = ipv4(a);
    if (n !== null) for (let i = lowerBound(n); i < nums.length && nums[i] === n; i++) routes[i] = ALONE;
  }
  const byRoute = new Map<PrefixRoute | null, string | null>();
  for (let i = 0; i < ips.length; i++) {
    const r = routes[i] ?? null;
    if (r === ALONE) {
      out[i] = routeOut(topo, node, ips[i]!);
      continue;
    }
    let o = byRoute.get(r);
    if (o === undefined) byRoute.set(r, (o = routeOut(topo, node, ips[i]!)));
    out[i] = o;
  }
  return out;
}

/**
 * The address a node's host sends from to `dst`: that of the interface the
 * route leaves by (the tunnel address for tunnel routes), else the node IP
 * (cali interfaces and eth0 without a known address) — the kernel's source
 * selection for routes without a `src`.
 */
export function hostSource(topo: Topology, node: string, dst: string): string | null {
  const info = topo.nodes.get(node);
  if (!info) return null;
  const out = routeOut(topo, node, dst);
  const own = out === null ? undefined : [...(info.interfaceAddresses.get(out) ?? [])][0];
  return own ?? info.ip;
}

/**
 * What `node`'s routes do with `dst`, in words that hold for every endpoint
 * alike (class verify, classes.ts): the endpoint's own interface on its own
 * node is `SELF`, its own node as the next hop is `OWNER`; anything else is
 * named. Two endpoints whose every node routes alike this way travel alike.
 */
export function routeSignature(topo: Topology, node: string, dst: string, owner: { readonly node: string; readonly iface: string } | null): string {
  const info = topo.nodes.get(node);
  if (!info) return "no-node";
  // Asked for every endpoint on every node: a `via` route's answer is kept per route (step); anything else is
  // decided afresh (a pod's own /32, an outside address), not kept.
  const r = info.localAddresses.has(dst) ? null : lpm(info, dst);
  const st: Step = r && r.cmd.kind === "via" ? step(topo, info, dst) : ((info.steps.get(dst) as Step | undefined) ?? decide(topo, info, dst));
  switch (st.kind) {
    case "local":
      return "local";
    case "iface":
      return `iface:${owner && owner.node === node && owner.iface === st.out ? "SELF" : st.out}`;
    case "next": {
      const toOwner = owner !== null && st.next === owner.node ? 1 : 0;
      const words = (st.signatures ??= [undefined, undefined]);
      return (words[toOwner] ??= `next:${st.out}:${toOwner ? "OWNER" : st.next}:${st.inIface}`);
    }
    case "exit":
      return `exit:${st.out}`;
    case "drop":
      return `drop:${st.reason}`;
  }
}
