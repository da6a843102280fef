// A node's routes, devices, neighbours and VXLAN forwarding entries from the
// cluster's address plan (Cluster.addressing; spec calico-routes §2, §4).
//
// Who programs what decides the data source, not just the protocol label:
//   BIRD  (IPIP up to 3.32 by default; plain BGP pools always): blackholes from
//         the node's BlockAffinities, each confirmed block advertised by its
//         node, every address a node holds outside its own confirmed blocks
//         advertised as a /32 from where it lives (§2.3);
//   Felix (VXLAN always; IPIP with programClusterRoutes): everything from
//         IPAMBlocks — the block to its `host:` node, each allocation of
//         another node as a /32 to that node (§2.4, §2.7).
// The remote-route entries are the same for every node but the one they
// point at, so they are computed once per address plan and programmer.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Cluster, IPPool, Node } from "../../ir/cluster.js";
import type { AddressBlock, Addressing } from "../../ir/ipam.js";
import type { FdbEntry, RouteCommand } from "../../rules/routes.js";
import { contains, parseCidr4, parseIPv4 } from "./ipv4.js";
import { DEVICE } from "./names.js";
import { encapsulationOf } from "./static.js";
import type { Workload } from "./workloads.js";

export { buildRoutes6 } from "./routes6.js";

export type RouteProgrammer = "bird" | "felix";

export interface RouteOptions {
  /** Who programs IPIP cluster routes and blackholes (§0): BIRD through 3.32 by default, Felix with programClusterRoutes. */
  readonly routeProgrammer: RouteProgrammer;
  /** The host interface holding the node's address (same-subnet routes leave by it). */
  readonly uplink: string;
}

/** IpInIpMtu auto = 1500 − 20 (felix-format §9.1); VXLAN: 1500 − 50 (§2.7). */
const IPIP_MTU = 1480;
const VXLAN_MTU = 1450;
const VXLAN_VNI = 4096;
const VXLAN_PORT = 4789;
/** `ip route` names: BIRD's protocol 12; Felix's own label 80 has no name (§4). */
const PROTO: Readonly<Record<RouteProgrammer, string>> = { bird: "bird", felix: "80" };

type Encap = "ipip" | "vxlan" | "none";

/** A destination some node serves, and how its pool wants it reached. */
interface Remote {
  readonly cidr: string;
  readonly target: string;
  readonly pool: IPPool;
  readonly encap: Encap;
  readonly programmer: RouteProgrammer;
  /** A remote VTEP address outside its node's block: reached on the VXLAN device itself (§2.7). */
  readonly vtep: boolean;
}

interface Blackhole {
  readonly cidr: string;
  readonly node: string;
  readonly programmer: RouteProgrammer;
}

interface RoutePlan {
  readonly remotes: readonly Remote[];
  readonly blackholes: readonly Blackhole[];
}

const encapOf = (p: IPPool): Encap => (p.vxlanMode !== "Never" ? "vxlan" : p.ipipMode !== "Never" ? "ipip" : "none");

/** VXLAN is always Felix's; plain BGP pools stay BIRD's (EnabledIPIPOnly); IPIP follows the option. */
function programmerOf(encap: Encap, option: RouteProgrammer): RouteProgrammer {
  return encap === "vxlan" ? "felix" : encap === "none" ? "bird" : option;
}

/** Who programs a block's routes: by its pool's encapsulation and the option; a block outside every pool only gets BIRD's blackhole (§2.6). */
export function blockProgrammer(pool: IPPool | null, option: RouteProgrammer): RouteProgrammer {
  return programmerOf(pool ? encapOf(pool) : "none", option);
}

const isHostRoute = (cidr: string): boolean => cidr.endsWith("/32") || cidr.endsWith("/128");

function birdBlock(b: AddressBlock, pool: IPPool | null, encap: Encap, out: { remotes: Remote[]; blackholes: Blackhole[] }): void {
  for (const a of b.affinities) if (!isHostRoute(b.cidr)) out.blackholes.push({ cidr: b.cidr, node: a.node, programmer: "bird" });
  // Routes outside every pool are not exported at all (§2.3 rule 3).
  if (!pool) return;
  const advertiser = b.affinities.find((a) => a.state === "confirmed") ?? b.affinities[0];
  if (advertiser) out.remotes.push({ cidr: b.cidr, target: advertiser.node, pool, encap, programmer: "bird", vtep: false });
  const confirmed = new Set(b.affinities.filter((a) => a.state === "confirmed").map((a) => a.node));
  for (const x of b.addresses) {
    if (x.node === null || x.use === "allocation" || confirmed.has(x.node)) continue;
    out.remotes.push({ cidr: `${x.address}/32`, target: x.node, pool, encap, programmer: "bird", vtep: false });
  }
}

function felixBlock(b: AddressBlock, pool: IPPool | null, encap: Encap, out: { remotes: Remote[]; blackholes: Blackhole[] }): void {
  // Felix needs the pool's type to route a block at all (§2.6).
  if (!pool) return;
  if (b.owner !== null) {
    if (!isHostRoute(b.cidr)) out.blackholes.push({ cidr: b.cidr, node: b.owner, programmer: "felix" });
    out.remotes.push({ cidr: b.cidr, target: b.owner, pool, encap, programmer: "felix", vtep: false });
  }
  for (const x of b.addresses) {
    if (x.allocationNode === null || x.allocationNode === b.owner) continue;
    out.remotes.push({ cidr: `${x.address}/32`, target: x.allocationNode, pool, encap, programmer: "felix", vtep: encap === "vxlan" && x.use === "vxlan-tunnel" });
  }
}

function planRoutes(addressing: Addressing, pools: readonly IPPool[], option: RouteProgrammer): RoutePlan {
  const byName = new Map(pools.map((p) => [p.name, p] as const));
  const out = { remotes: [] as Remote[], blackholes: [] as Blackhole[] };
  for (const b of addressing.blocks) {
    if (b.cidr.includes(":")) continue; // IPv6 blocks are routes6.ts's (BIRD, BGP-native).
    const pool = b.pool === null ? null : (byName.get(b.pool) ?? null);
    const encap = pool ? encapOf(pool) : "none";
    if (blockProgrammer(pool, option) === "bird") birdBlock(b, pool, encap, out);
    else felixBlock(b, pool, encap, out);
  }
  // In address order once, so that each node reads its routes off the plan already sorted (a stable sort: a
  // node's filtered list comes out as if sorted on its own).
  return { remotes: byCidr(out.remotes), blackholes: byCidr(out.blackholes) };
}

/** Route plans per programmer, once per compilation: every node's routes are read off the same plan. */
const ROUTE_PLAN = memoTable<RouteProgrammer, RoutePlan>("calico/route-plan");

function routePlan(comp: Compilation, option: RouteProgrammer): RoutePlan {
  return comp.memo(ROUTE_PLAN, option, () => planRoutes(comp.model.cluster.addressing, comp.model.cluster.pools, option));
}

/** Whether `peer`'s address lies in `self`'s subnet (the mask of self's IPv4Address, §2.3 rule 3). */
function sameSubnet(self: Node, peer: Node): boolean {
  if (self.ip === null || self.ipPrefix === null || peer.ip === null) return false;
  const net = parseCidr4(`${self.ip}/${self.ipPrefix}`);
  const ip = parseIPv4(peer.ip);
  return net !== null && ip !== null && contains(net, ip);
}

type Route = Extract<RouteCommand, { kind: "via" | "dev" | "blackhole" }>;

function remoteRoute(r: Remote, self: Node, peer: Node, cluster: Cluster, opts: RouteOptions): Route | null {
  if (peer.ip === null) return null;
  // Felix's VXLAN routes need this node's own VTEP: without it there is no vxlan.calico device (its route table
  // skips routes via a missing device) and no known data interface for same-subnet routes either
  // (route_mgr.go CompleteDeferredWork: "we won't be able to program same-subnet routes at all"); only the
  // blackholes of its own VXLAN blocks remain (§2.7, §4).
  if (r.encap === "vxlan" && !hasVxlanDevice(cluster, self)) return null;
  const proto = PROTO[r.programmer];
  const crossSubnet = (r.encap === "ipip" ? r.pool.ipipMode : r.pool.vxlanMode) === "CrossSubnet";
  if (r.encap === "none" || (crossSubnet && sameSubnet(self, peer))) {
    // BIRD lets the kernel pick the device for a directly reachable next hop; Felix names it and adds onlink (§2.4).
    const felix = r.programmer === "felix";
    return { kind: "via", cidr: r.cidr, via: peer.ip, dev: felix ? opts.uplink : null, proto, onlink: felix, mtu: null };
  }
  if (r.encap === "ipip") return { kind: "via", cidr: r.cidr, via: peer.ip, dev: DEVICE.ipipTunnel, proto, onlink: true, mtu: null };
  if (r.vtep) return { kind: "dev", cidr: r.cidr, dev: DEVICE.vxlanTunnel, scope: "link", proto: null, metric: null };
  const vtep = cluster.addressing.nodes.get(peer.name)?.vxlanTunnel?.address;
  return vtep ? { kind: "via", cidr: r.cidr, via: vtep, dev: DEVICE.vxlanTunnel, proto: null, onlink: true, mtu: null } : null;
}

/** The node being compiled; one missing from the snapshot has no address of its own. */
export function findNode(cluster: Cluster, nodeName: string): Node {
  return (
    cluster.nodes.find((n) => n.name === nodeName) ?? {
      name: nodeName,
      labels: new Map(),
      ip: null,
      ipPrefix: null,
      ip6: null,
      tunnelAddress: null,
      vxlanTunnelAddress: null,
      vxlanMac: null,
      annotationSpans: { ipipTunnel: null, vxlanTunnel: null },
      span: null,
    }
  );
}

/** The node's IPIP tunnel address as the address plan resolved it (annotation, IPAM or inferred). */
export function ipipTunnelOf(cluster: Cluster, nodeName: string): string | null {
  return cluster.addressing.nodes.get(nodeName)?.ipipTunnel?.address ?? null;
}

/** Felix turns an encapsulation on when any IPv4 pool uses it, disabled or not (static.ts encapsulationOf). */
const encapEnabled = (cluster: Cluster, encap: "ipip" | "vxlan"): boolean => encapsulationOf(cluster.pools)[encap];

/**
 * Whether Felix creates vxlan.calico on the node: VXLAN is on and the node has its own VTEP — a tunnel address and
 * the parent address the device is bound to (vxlan_mgr.go `device` reads both from the local VTEP, and the device
 * thread waits until it exists; §2.7).
 */
function hasVxlanDevice(cluster: Cluster, self: Node): boolean {
  return encapEnabled(cluster, "vxlan") && !!cluster.addressing.nodes.get(self.name)?.vxlanTunnel && self.ip !== null;
}

/** tunl0 and vxlan.calico as Felix sets them up (felix-format §9.1, calico-routes §2.7). */
function devices(cluster: Cluster, self: Node): RouteCommand[] {
  const out: RouteCommand[] = [];
  const plan = cluster.addressing.nodes.get(self.name);
  if (encapEnabled(cluster, "ipip")) {
    out.push({ kind: "link-up", dev: DEVICE.ipipTunnel, mtu: IPIP_MTU });
    if (plan?.ipipTunnel) out.push({ kind: "addr", cidr: `${plan.ipipTunnel.address}/32`, dev: DEVICE.ipipTunnel });
  }
  if (plan?.vxlanTunnel && self.ip !== null && hasVxlanDevice(cluster, self)) {
    out.push({ kind: "link-add-vxlan", dev: DEVICE.vxlanTunnel, mac: plan.vxlanMac?.mac ?? null, vni: VXLAN_VNI, local: self.ip, port: VXLAN_PORT });
    out.push({ kind: "link-up", dev: DEVICE.vxlanTunnel, mtu: VXLAN_MTU });
    out.push({ kind: "addr", cidr: `${plan.vxlanTunnel.address}/32`, dev: DEVICE.vxlanTunnel });
  }
  return out;
}

/** Every other node's VTEP: its MAC for the VTEP address, and where frames for that MAC go (§2.7). */
function vteps(cluster: Cluster, self: Node): { neigh: RouteCommand[]; fdb: FdbEntry[] } {
  const peers: { vtep: string; mac: string; ip: string }[] = [];
  if (!hasVxlanDevice(cluster, self)) return { neigh: [], fdb: [] };
  for (const n of cluster.nodes) {
    const plan = cluster.addressing.nodes.get(n.name);
    if (n.name === self.name || n.ip === null || !plan?.vxlanTunnel || !plan.vxlanMac) continue;
    peers.push({ vtep: plan.vxlanTunnel.address, mac: plan.vxlanMac.mac, ip: n.ip });
  }
  // Sorted by VTEP address for determinism (and to read like `ip neigh`).
  peers.sort((a, b) => (parseIPv4(a.vtep) ?? 0) - (parseIPv4(b.vtep) ?? 0));
  return {
    neigh: peers.map((p): RouteCommand => ({ kind: "neigh", address: p.vtep, lladdr: p.mac, dev: DEVICE.vxlanTunnel })),
    fdb: peers.map((p) => ({ mac: p.mac, dev: DEVICE.vxlanTunnel, dst: p.ip })),
  };
}

/** Sorted by network address, then prefix length (stable; each CIDR parsed once, not per comparison). */
function byCidr<T extends { cidr: string }>(items: readonly T[]): T[] {
  const keyed = items.map((item) => {
    const c = parseCidr4(item.cidr);
    return { item, network: c?.network ?? 0, prefix: c?.prefix ?? 0 };
  });
  keyed.sort((a, b) => a.network - b.network || a.prefix - b.prefix);
  return keyed.map((k) => k.item);
}

export interface NodeRoutes {
  readonly routes: RouteCommand[];
  readonly fdb: FdbEntry[];
}

/**
 * The node's `ip -batch` and `bridge -batch` input. One route per destination:
 * when two want the same prefix the kernel keeps one, so we keep the one that
 * wins on a real node — local workload routes always (Felix's RouteClass
 * LocalWorkload is first); then BIRD's static blackhole beats a BGP-learned
 * route (preference 200 > 100), while Felix's IPAMBlockDrop class comes last (§2.3, §4).
 */
export function buildRoutes(comp: Compilation, nodeName: string, local: readonly Workload[], opts: RouteOptions): NodeRoutes {
  const { cluster } = comp.model;
  const self = findNode(cluster, nodeName);
  const taken = new Set<string>();
  const take = <T extends { cidr: string }>(r: T): T[] => (taken.has(r.cidr) ? [] : (taken.add(r.cidr), [r]));
  // Sorted by address for determinism (each address parsed once, not per comparison).
  // An IPv6-only workload has no IPv4 route (routes6.ts gives its /128).
  const mine = local.filter((w) => w.ip !== "").map((w) => ({ w, n: parseIPv4(w.ip) ?? 0 })).sort((a, b) => a.n - b.n);
  const device = mine.flatMap(({ w }) => take<Route>({ kind: "dev", cidr: `${w.ip}/32`, dev: w.iface, scope: "link", proto: null, metric: null }));
  const plan = routePlan(comp, opts.routeProgrammer);
  // The plan's lists are in address order already (planRoutes).
  const holes = plan.blackholes.filter((b) => b.node === nodeName);
  const nodes = new Map(cluster.nodes.map((n) => [n.name, n] as const));
  const remote = plan.remotes
    .filter((r) => r.target !== nodeName)
    .flatMap((r) => {
      const peer = nodes.get(r.target);
      const cmd = peer ? remoteRoute(r, self, peer, cluster, opts) : null;
      return cmd ? [cmd] : [];
    });
  const hole = (h: Blackhole): Route => ({ kind: "blackhole", cidr: h.cidr, proto: PROTO[h.programmer] });
  const birdHoles = holes.filter((h) => h.programmer === "bird").map(hole).flatMap(take);
  const routes = remote.flatMap(take);
  const felixHoles = holes.filter((h) => h.programmer === "felix").map(hole).flatMap(take);
  const { neigh, fdb } = vteps(cluster, self);
  return { routes: [...devices(cluster, self), ...byCidr([...birdHoles, ...felixHoles]), ...device, ...routes, ...neigh], fdb };
}
