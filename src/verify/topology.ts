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
import type { Protocol } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import type { IpSet } from "../ruleset/ipset.js";
import type { RouteCommand } from "../ruleset/routes.js";
import type { HookPath, HostContext, Packet } from "../ruleset/sim-types.js";
import type { RuleSet } from "../ruleset/types.js";
import type { Flow, FlowEndpoint } from "../semantics/index.js";
import { cidrContains, parseAddress, parseCidr } from "../semantics/ip.js";
import { endpointIp } from "./flows.js";

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
  readonly routes: readonly RouteCommand[];
  /** Local workload interface → the pod's IPv4 address. */
  readonly localIfaces: ReadonlyMap<string, string>;
  readonly localAddresses: ReadonlySet<string>;
  /** tunl0 → tunnel address, host interface → node IP (for addrtype --limit-iface-*). */
  readonly interfaceAddresses: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The cluster's wiring: per node routes and interfaces, per pod its node and interface. */
export interface Topology {
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** "ns/name" → { node, iface } for every endpoint pod. */
  readonly pods: ReadonlyMap<string, { readonly node: string; readonly iface: string }>;
}

export interface Hop {
  readonly node: string;
  readonly path: HookPath;
}

export const podKey = (ns: string, name: string): string => `${ns}/${name}`;

export function buildTopology(model: Model, interfacePrefix: string): Topology {
  const { cluster } = model;
  const all = allWorkloads(cluster, interfacePrefix);
  const ipip = cluster.pools.some((p) => !isV6(p.cidr) && ipipPool(p));
  const pods = new Map(all.map((w) => [podKey(w.pod.namespace, w.pod.name), { node: w.pod.nodeName ?? "", iface: w.iface }]));
  const nodes = new Map<string, NodeInfo>();
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
    nodes.set(n.name, { name: n.name, routes, localIfaces, localAddresses, interfaceAddresses });
  }
  return { nodes, pods };
}

/** Longest-prefix match in the node's route table: the outgoing interface, or null for a blackhole. */
export function routeOut(node: NodeInfo, dst: string): string | null {
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

function where(topo: Topology, e: FlowEndpoint): { node: string; iface: string } | null {
  return e.kind === "pod" ? (topo.pods.get(podKey(e.pod.namespace, e.pod.name)) ?? null) : null;
}

/**
 * The hops of a flow: same node, one forward in=cali-src out=cali-dst; cross
 * node, the source node forwards into the tunnel (or host interface) and the
 * destination node forwards from it; external peers enter or leave on the host
 * interface. Null when the packet cannot be routed (no node, blackhole).
 */
export function hopsFor(topo: Topology, flow: Flow): Hop[] | null {
  const s = where(topo, flow.src);
  const d = where(topo, flow.dst);
  if (!s && !d) return null;
  if (!s) return d ? [{ node: d.node, path: { kind: "forward", inIface: HOST_IFACE, outIface: d.iface } }] : null;
  const srcNode = topo.nodes.get(s.node);
  if (!srcNode) return null;
  if (d && d.node === s.node) return [{ node: s.node, path: { kind: "forward", inIface: s.iface, outIface: d.iface } }];
  const out = routeOut(srcNode, endpointIp(flow.dst));
  if (out === null) return null;
  const first: Hop = { node: s.node, path: { kind: "forward", inIface: s.iface, outIface: out } };
  if (!d) return [first];
  return [first, { node: d.node, path: { kind: "forward", inIface: out, outIface: d.iface } }];
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
