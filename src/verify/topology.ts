// Where a flow's packets go: which nodes they cross, through which
// interfaces, and what each node's host looks like to the simulator
// (spec felix-format §2.3, §3, §9; calico-routes §2).
//
// Routing is read from each node's route table as the `.routes` (and `.fdb`)
// files give it, parsed back — never recomputed from the model — so a wrong
// route fails verify the way a wrong rule does (routing.ts walks them).
// The model says only where each pod and host sits.
import { NAMES, type WorkloadPlace } from "../backends/index.js";
import { hostAddresses, podIPv4, type Pod, type Protocol } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import type { IpSet } from "../rules/ipset.js";
import type { FdbEntry, RouteCommand } from "../rules/routes.js";
import type { HookPath, HostContext, Packet } from "../simulate/types.js";
import type { RuleSet } from "../rules/types.js";
import type { Flow, FlowEndpoint } from "../semantics/index.js";
import { parseCidr, type Cidr } from "../semantics/ip.js";
import { writeRouteCommand } from "../rules/routes.js";
import type { RouteRef, Routed } from "./routing.js";

/** The host interface; the snapshot does not name it, and Felix does not care (felix-format §9). */
export const HOST_IFACE = "eth0";
/** Fixed source port of every probe: policies never match source ports. */
export const PROBE_SOURCE_PORT = 40000;

/** A route file's command and the line it is on. */
export interface LinedRoute {
  readonly cmd: RouteCommand;
  readonly line: number;
}

/** One node's routes as verify reads them: parsed from `<node>.routes` (and `<node>.fdb`). */
export interface RouteTable {
  readonly file: string;
  readonly routes: readonly LinedRoute[];
  readonly fdbFile: string | null;
  readonly fdb: readonly { readonly entry: FdbEntry; readonly line: number }[];
}

/** One node's rules as verify reads them. */
export interface NodeRules {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly ipsets: ReadonlyMap<string, IpSet>;
  /** The file the ruleset's line numbers refer to (`ubuntu1.iptables`). */
  readonly file: string;
  /** The node's routes; absent: the routes compiled from the inputs are used (said in a note by the caller). */
  readonly routes?: RouteTable;
}

/** A prefix route of a node, ready for longest-prefix matching, with how reports name it (built once). */
export interface PrefixRoute {
  readonly net: Cidr;
  readonly cmd: Extract<RouteCommand, { kind: "via" | "dev" | "blackhole" }>;
  readonly line: number;
  readonly ref: RouteRef;
}

export interface NodeInfo {
  readonly name: string;
  /** The node's place in the snapshot's node list (an index for arrays by node, e.g. a pod Place's steps). */
  readonly index: number;
  /** The node's own address (null when the snapshot gives none). */
  readonly ip: string | null;
  readonly table: RouteTable;
  /** Longest prefix first. */
  readonly prefixRoutes: readonly PrefixRoute[];
  /** prefixRoutes by prefix length (longest first), then by network as a number: the winner of each (lpm's index). */
  readonly byPrefix: ReadonlyArray<readonly [number, ReadonlyMap<number, PrefixRoute>]>;
  /** Local workload interface → the pod's IPv4 address. */
  readonly localIfaces: ReadonlyMap<string, string>;
  readonly localAddresses: ReadonlySet<string>;
  /** tunl0/vxlan.calico → their addresses, host interface → node IP (for addrtype --limit-iface-*). */
  readonly interfaceAddresses: ReadonlyMap<string, ReadonlySet<string>>;
  /** VXLAN: a remote VTEP address → its MAC (neighbour entries), a MAC → the node address frames go to (FDB). */
  readonly neighbours: ReadonlyMap<string, string>;
  readonly fdb: ReadonlyMap<string, string>;
  /** The route walk's answer per destination on this node (routing.ts), filled as flows ask: every flow of a pair asks the same. */
  readonly steps: Map<string, unknown>;
  /** The answer of each `via` route, the same for every destination it covers (routing.ts step): kept per route. */
  readonly viaSteps: Map<PrefixRoute, unknown>;
}

/** Where a flow endpoint sits: a pod behind its workload interface, or a node's host itself. */
/**
 * Where an end sits. A place the topology made holds its node's info (undefined: the node is not in the snapshot)
 * and, for a pod, the route walk's answer for the pod's address on each node, by NodeInfo.index (routing.ts
 * hopsFor; filled as asked): class verify routes to a pod it stands for from every node, and a lookup of the node
 * or of the answers per pair missed the processor's caches at 50k pods. A place made elsewhere has neither.
 */
export type Place =
  | { readonly kind: "pod"; readonly node: string; readonly iface: string; readonly info?: NodeInfo; readonly steps?: unknown[] }
  | { readonly kind: "host"; readonly node: string; readonly info?: NodeInfo };

/** The cluster's wiring: per node routes and interfaces, per pod its node and interface. */
export interface Topology {
  readonly model: Model;
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** "ns/name" → { node, iface } for every endpoint pod. */
  readonly pods: ReadonlyMap<string, Extract<Place, { kind: "pod" }>>;
  /** A node's own address (node IP, tunnel addresses) → its host: traffic to it takes the INPUT path there. */
  readonly hosts: ReadonlyMap<string, Extract<Place, { kind: "host" }>>;
  /** Node IP → node: where an outer (encapsulated) or same-subnet packet to that address arrives. */
  readonly nodeByIp: ReadonlyMap<string, string>;
  /** Blocks whose owner netpolc inferred (calico-routes §5.2): routes inside them rest on a guess. */
  readonly inferredBlocks: readonly Cidr[];
  /**
   * Each flow's route walk (check.ts routeOf), filled as checks ask: the
   * checkers of one run (planning, then checking) share the topology and ask
   * for the same flows. Like NodeInfo.steps, it lives as long as the topology.
   */
  readonly routed: WeakMap<Flow, Routed | null>;
  /** Each pod's place, by the pod object (where): asked per flow, so not looked up by its name each time. */
  readonly placed: WeakMap<Pod, Extract<Place, { kind: "pod" }> | null>;
}

export const podKey = (ns: string, name: string): string => `${ns}/${name}`;

export const endpointIp = (e: FlowEndpoint): string => (e.kind === "pod" ? (podIPv4(e.pod) ?? "") : e.ip);

/**
 * The blocks whose owner netpolc inferred, by family and prefix length, each block's network shifted past its host
 * bits: a route lies inside one when its own network, shifted alike, is there. One lookup per distinct block length
 * (a cluster has one or two), not a test per block: every node routes to every block, so at 50k pods the per-block
 * test was ~300 M CIDR tests.
 */
export class InferredBlocks {
  private readonly groups: ReadonlyArray<{ readonly family: Cidr["family"]; readonly prefix: number; readonly shift: bigint; readonly nets: ReadonlySet<bigint> }>;

  constructor(blocks: readonly Cidr[]) {
    const byKey = new Map<string, { family: Cidr["family"]; prefix: number; shift: bigint; nets: Set<bigint> }>();
    for (const b of blocks) {
      const k = `${b.family}/${b.prefix}`;
      let g = byKey.get(k);
      if (!g) byKey.set(k, (g = { family: b.family, prefix: b.prefix, shift: BigInt((b.family === 4 ? 32 : 128) - b.prefix), nets: new Set() }));
      g.nets.add(b.network >> g.shift);
    }
    this.groups = [...byKey.values()];
  }

  /** Whether `net` lies inside one of the blocks (cidrContains of the block and the route's network). */
  covers(net: Cidr): boolean {
    return this.groups.some((g) => g.family === net.family && g.prefix <= net.prefix && g.nets.has(net.network >> g.shift));
  }
}

/** Whether a route lies inside a block whose owner netpolc inferred; device routes to local pods never rest on one. */
function inferred(net: Cidr, cmd: PrefixRoute["cmd"], blocks: InferredBlocks): boolean {
  return cmd.kind !== "dev" && blocks.covers(net);
}

function prefixRoutes(node: string, table: RouteTable, blocks: InferredBlocks): PrefixRoute[] {
  const out: PrefixRoute[] = [];
  for (const { cmd, line } of table.routes) {
    if (cmd.kind !== "via" && cmd.kind !== "dev" && cmd.kind !== "blackhole") continue;
    const net = parseCidr(cmd.cidr);
    if (!net || net.family !== 4) continue;
    // The text only when a report names the route: a large cluster's nodes hold millions of routes between them.
    const ref: RouteRef = {
      node, file: table.file, line, get text() {
        return writeRouteCommand(cmd);
      }, cidr: cmd.cidr, inferred: inferred(net, cmd, blocks),
    };
    out.push({ net, cmd, line, ref });
  }
  // Longest prefix first; among equals the later line wins, as `route replace` does.
  return out.map((r, i) => ({ r, i })).sort((a, b) => b.r.net.prefix - a.r.net.prefix || b.i - a.i).map((x) => x.r);
}

function nodeInfo(name: string, index: number, ip: string | null, table: RouteTable, localIfaces: Map<string, string>, blocks: InferredBlocks): NodeInfo {
  const addrs = new Map<string, Set<string>>([[HOST_IFACE, new Set(ip ? [ip] : [])]]);
  const neighbours = new Map<string, string>();
  for (const { cmd } of table.routes) {
    if (cmd.kind === "addr") {
      const set = addrs.get(cmd.dev) ?? new Set<string>();
      set.add(cmd.cidr.split("/")[0] ?? "");
      addrs.set(cmd.dev, set);
    } else if (cmd.kind === "neigh") neighbours.set(cmd.address, cmd.lladdr);
  }
  for (const dev of [NAMES.devices.ipipTunnel, NAMES.devices.vxlanTunnel]) if (!addrs.has(dev)) addrs.set(dev, new Set());
  const localAddresses = new Set([...addrs.values()].flatMap((s) => [...s]));
  const fdb = new Map(table.fdb.map(({ entry }) => [entry.mac, entry.dst] as const));
  const routes = prefixRoutes(name, table, blocks);
  return { name, index, ip, table, prefixRoutes: routes, byPrefix: byPrefix(routes), localIfaces, localAddresses, interfaceAddresses: addrs, neighbours, fdb, steps: new Map(), viaSteps: new Map() };
}

/** The routes of each prefix length by network; the first of a network in `routes` (longest-prefix order) wins. */
function byPrefix(routes: readonly PrefixRoute[]): Array<[number, Map<number, PrefixRoute>]> {
  const out = new Map<number, Map<number, PrefixRoute>>();
  for (const r of routes) {
    const m = out.get(r.net.prefix) ?? new Map<number, PrefixRoute>();
    out.set(r.net.prefix, m);
    const key = Number(r.net.network);
    if (!m.has(key)) m.set(key, r);
  }
  return [...out].sort((a, b) => b[0] - a[0]);
}

const EMPTY_TABLE = (node: string): RouteTable => ({ file: `${node}.routes`, routes: [], fdbFile: null, fdb: [] });

/** The wiring of `model`, its workloads where the backend places them, with each node's route table (a node without one routes nothing). */
export function buildTopology(model: Model, all: readonly WorkloadPlace[], tables: ReadonlyMap<string, RouteTable>): Topology {
  const { cluster } = model;
  const nodes = new Map<string, NodeInfo>();
  const hosts = new Map<string, Extract<Place, { kind: "host" }>>();
  const nodeByIp = new Map<string, string>();
  const inferredBlocks = cluster.addressing.blocks.flatMap((b) => (b.source === "ipam" ? [] : [parseCidr(b.cidr)].filter((c): c is Cidr => c !== null)));
  const blocks = new InferredBlocks(inferredBlocks);
  // Each node's workload interfaces, grouped in one pass (not a pass over every workload per node).
  const ifacesOf = new Map<string, Map<string, string>>();
  for (const w of all) {
    let m = ifacesOf.get(w.node);
    if (!m) ifacesOf.set(w.node, (m = new Map()));
    m.set(w.iface, w.ip);
  }
  for (const [index, n] of cluster.nodes.entries()) {
    const localIfaces = ifacesOf.get(n.name) ?? new Map<string, string>();
    const info = nodeInfo(n.name, index, n.ip, tables.get(n.name) ?? EMPTY_TABLE(n.name), localIfaces, blocks);
    nodes.set(n.name, info);
    // The host's own addresses: its IP, and the tunnel addresses its routes put on tunl0 / vxlan.calico
    // (the model's resolved ones too, so a node whose file lacks them is still recognised as a host).
    for (const a of new Set([...info.localAddresses, ...hostAddresses(cluster, n)])) if (!hosts.has(a)) hosts.set(a, { kind: "host", node: n.name, info });
    if (n.ip && !nodeByIp.has(n.ip)) nodeByIp.set(n.ip, n.name);
  }
  const pods = new Map(all.map((w) => [podKey(w.namespace, w.pod), { kind: "pod" as const, node: w.node, iface: w.iface, info: nodes.get(w.node), steps: [] }]));
  return { model, nodes, pods, hosts, nodeByIp, inferredBlocks, routed: new WeakMap(), placed: new WeakMap() };
}

/** Where a flow endpoint sits; null: outside the cluster. */
export function where(topo: Topology, e: FlowEndpoint): Place | null {
  if (e.kind !== "pod") return topo.hosts.get(e.ip) ?? null;
  let at = topo.placed.get(e.pod);
  if (at === undefined) topo.placed.set(e.pod, (at = topo.pods.get(podKey(e.pod.namespace, e.pod.name)) ?? null));
  return at;
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
 * addresses), its ipsets, and reverse-path filtering, which only Felix's raw
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

export type { HookPath };
