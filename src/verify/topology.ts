// Where a flow's packets go: which nodes they cross, through which
// interfaces, and what each node's host looks like to the simulator
// (spec felix-format §2.3, §3, §9).
//
// Routing is taken from the backend's own route table for the node
// (buildRoutes: /32 routes to local cali interfaces, remote blocks via tunl0
// for IPIP pools or the host interface otherwise), so verify walks the same
// path the compiled routes would send a packet down; whatever matches no
// route leaves through the default route on the host interface.
import { isV6 } from "../backends/calico/ipv4.js";
import { DEVICE } from "../backends/calico/names.js";
import { buildRoutes, ipipPool } from "../backends/calico/routes.js";
import { allWorkloads } from "../backends/calico/workloads.js";
import { podIPv4, type Protocol } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import type { IpSet } from "../ruleset/ipset.js";
import type { RouteCommand } from "../ruleset/routes.js";
import type { HookPath, HostContext, Packet } from "../ruleset/sim-types.js";
import type { RuleSet } from "../ruleset/types.js";
import type { Flow, FlowEndpoint } from "../semantics/index.js";
import { cidrContains, parseAddress, parseCidr } from "../semantics/ip.js";

/** The host interface; the snapshot does not name it, and Felix does not care (felix-format §9). */
export const HOST_IFACE = "eth0";
/** Fixed source port of every probe: policies never match source ports. */
export const PROBE_SOURCE_PORT = 40000;

/** One node's rules as verify reads them. */
export interface NodeRules {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly ipsets: ReadonlyMap<string, IpSet>;
  /** The file the ruleset's line numbers refer to (`ubuntu1.iptables`). */
  readonly file: string;
}

export interface NodeInfo {
  readonly name: string;
  /** The node's own address (null when the snapshot gives none). */
  readonly ip: string | null;
  readonly routes: readonly RouteCommand[];
  /** Local workload interface → the pod's IPv4 address. */
  readonly localIfaces: ReadonlyMap<string, string>;
  readonly localAddresses: ReadonlySet<string>;
  /** tunl0 → tunnel address, host interface → node IP (for addrtype --limit-iface-*). */
  readonly interfaceAddresses: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Where a flow endpoint sits: a pod behind its workload interface, or a node's host itself. */
export type Place = { readonly kind: "pod"; readonly node: string; readonly iface: string } | { readonly kind: "host"; readonly node: string };

/** The cluster's wiring: per node routes and interfaces, per pod its node and interface. */
export interface Topology {
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** "ns/name" → { node, iface } for every endpoint pod. */
  readonly pods: ReadonlyMap<string, Extract<Place, { kind: "pod" }>>;
  /** A node's own address (node IP, tunnel address) → its host: traffic to it takes the INPUT path there. */
  readonly hosts: ReadonlyMap<string, Extract<Place, { kind: "host" }>>;
}

export interface Hop {
  readonly node: string;
  readonly path: HookPath;
}

export const podKey = (ns: string, name: string): string => `${ns}/${name}`;

export const endpointIp = (e: FlowEndpoint): string => (e.kind === "pod" ? (podIPv4(e.pod) ?? "") : e.ip);

export function buildTopology(model: Model, interfacePrefix: string): Topology {
  const { cluster } = model;
  const all = allWorkloads(cluster, interfacePrefix);
  const ipip = cluster.pools.some((p) => !isV6(p.cidr) && ipipPool(p));
  const pods = new Map(all.map((w) => [podKey(w.pod.namespace, w.pod.name), { kind: "pod" as const, node: w.pod.nodeName ?? "", iface: w.iface }]));
  const nodes = new Map<string, NodeInfo>();
  const hosts = new Map<string, { readonly kind: "host"; readonly node: string }>();
  for (const n of cluster.nodes) {
    const routes = buildRoutes(cluster, n.name, all, ipip);
    const localIfaces = new Map(all.filter((w) => w.pod.nodeName === n.name).map((w) => [w.iface, w.ip]));
    // The tunnel address is whatever the route table puts on tunl0 (derived when not annotated).
    const tunnel = routes.flatMap((r) => (r.kind === "addr" ? [r.cidr.split("/")[0] ?? ""] : []));
    const localAddresses = new Set([n.ip, ...tunnel].filter((a): a is string => !!a));
    const interfaceAddresses = new Map([
      [HOST_IFACE, new Set(n.ip ? [n.ip] : [])],
      [DEVICE.ipipTunnel, new Set(tunnel)],
    ]);
    nodes.set(n.name, { name: n.name, ip: n.ip, routes, localIfaces, localAddresses, interfaceAddresses });
    for (const a of localAddresses) if (!hosts.has(a)) hosts.set(a, { kind: "host", node: n.name });
  }
  return { nodes, pods, hosts };
}

/** routeOut's answers per node and destination: every flow of a pair asks the same question. */
const routeCache = new WeakMap<NodeInfo, Map<string, string | null>>();

/** Longest-prefix match in the node's route table: the outgoing interface, or null for a blackhole. */
export function routeOut(node: NodeInfo, dst: string): string | null {
  let cache = routeCache.get(node);
  if (!cache) routeCache.set(node, (cache = new Map()));
  let dev = cache.get(dst);
  if (dev === undefined) cache.set(dst, (dev = lookupRoute(node, dst)));
  return dev;
}

function lookupRoute(node: NodeInfo, dst: string): string | null {
  const addr = parseAddress(dst);
  let best: { prefix: number; dev: string | null } | null = null;
  for (const r of node.routes) {
    if (r.kind !== "dev" && r.kind !== "via" && r.kind !== "blackhole") continue;
    const c = parseCidr(r.cidr);
    if (!addr || !c || !cidrContains(c, addr) || (best && best.prefix >= c.prefix)) continue;
    const dev = r.kind === "blackhole" ? null : r.kind === "dev" ? r.dev : (r.dev ?? HOST_IFACE);
    best = { prefix: c.prefix, dev };
  }
  return best ? best.dev : HOST_IFACE;
}

/** Where a flow endpoint sits; null: outside the cluster. */
function where(topo: Topology, e: FlowEndpoint): Place | null {
  return (e.kind === "pod" ? topo.pods.get(podKey(e.pod.namespace, e.pod.name)) : topo.hosts.get(e.ip)) ?? null;
}

/** The hop on the far node: into a local workload (forward) or to the host itself (input). */
function arrival(d: Place, inIface: string): Hop {
  return d.kind === "pod" ? { node: d.node, path: { kind: "forward", inIface, outIface: d.iface } } : { node: d.node, path: { kind: "input", inIface } };
}

/**
 * The hops of a flow. Pod to pod on one node: one forward cali→cali. Across
 * nodes: the source node forwards into the tunnel (or host interface), the
 * destination node forwards from it. External peers enter or leave on the
 * host interface. A node's host sends on its OUTPUT path (straight out of
 * the pod's cali interface when the pod is local) and receives on its INPUT
 * path (from a local pod's cali interface, or from the wire). At least one
 * end must be a pod: host↔host and host↔external traffic meets no workload
 * chain. Null when the packet cannot be routed (no node, blackhole).
 */
export function hopsFor(topo: Topology, flow: Flow): Hop[] | null {
  const s = where(topo, flow.src);
  const d = where(topo, flow.dst);
  if (s?.kind !== "pod" && d?.kind !== "pod") return null;
  if (!s) return d ? [arrival(d, HOST_IFACE)] : null;
  const srcNode = topo.nodes.get(s.node);
  if (!srcNode) return null;
  if (d && d.node === s.node) {
    if (s.kind === "host") return d.kind === "pod" ? [{ node: s.node, path: { kind: "output", outIface: d.iface } }] : null;
    return [d.kind === "pod" ? { node: s.node, path: { kind: "forward", inIface: s.iface, outIface: d.iface } } : arrival(d, s.iface)];
  }
  const out = routeOut(srcNode, endpointIp(flow.dst));
  if (out === null) return null;
  const first: Hop = { node: s.node, path: s.kind === "pod" ? { kind: "forward", inIface: s.iface, outIface: out } : { kind: "output", outIface: out } };
  return d ? [first, arrival(d, out)] : [first];
}

/**
 * The address a node's host sends from to `dst`: that of the interface the
 * route leaves by (the tunnel address for IPIP routes), else the node IP
 * (cali interfaces and eth0 without a known address) — the kernel's source
 * selection for routes without a `src`.
 */
export function hostSource(topo: Topology, node: string, dst: string): string | null {
  const info = topo.nodes.get(node);
  if (!info) return null;
  const out = routeOut(info, dst);
  const own = out === null ? undefined : [...(info.interfaceAddresses.get(out) ?? [])][0];
  return own ?? info.ip;
}

/** Whether `iface` is a workload interface on `node`. */
export function isWorkloadIface(topo: Topology, node: string, iface: string): boolean {
  return topo.nodes.get(node)?.localIfaces.has(iface) ?? false;
}

const PROTO_NAME: Readonly<Record<Protocol, string>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** The first packet of a new connection, as it leaves the source. */
export function probePacket(flow: Flow): Packet {
  return {
    src: endpointIp(flow.src),
    dst: endpointIp(flow.dst),
    protocol: PROTO_NAME[flow.protocol],
    srcPort: PROBE_SOURCE_PORT,
    dstPort: flow.port,
    ctstate: "NEW",
    mark: 0,
    dnat: false,
    snat: false,
  };
}

/** The reply to a flow's first packet, as the destination sends it: addresses and ports swapped, ctstate ESTABLISHED. */
export function replyPacket(flow: Flow): Packet {
  const p = probePacket(flow);
  return { ...p, src: p.dst, dst: p.src, srcPort: p.dstPort, dstPort: p.srcPort, ctstate: "ESTABLISHED" };
}

/**
 * What a node's matches ask about: its own addresses (node IP and tunnel
 * address), its ipsets, and reverse-path filtering, which only Felix's raw
 * table asks for packets from workloads: a reply to `src` leaves through a
 * local cali interface only if `src` is that pod's address.
 */
export function hostContext(info: NodeInfo, rules: NodeRules): HostContext {
  return {
    localAddresses: info.localAddresses,
    interfaceAddresses: info.interfaceAddresses,
    ipsets: rules.ipsets,
    rpfilterOk: (src, iface) => {
      const own = info.localIfaces.get(iface);
      return own === undefined || own === src;
    },
  };
}
