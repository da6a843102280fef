// The node's routing plumbing (§9.1, §9.2): tunl0, BIRD's blackhole routes
// for local blocks and IPIP routes to remote blocks, and Felix's per-pod
// device routes.
import type { Cluster, IPPool, Node } from "../../ir/cluster.js";
import type { RouteCommand } from "../../ruleset/routes.js";
import { byteCompare } from "../../ruleset/writer.js";
import { blockOf, contains, formatCidr4, formatIPv4, isV6, parseCidr4, parseIPv4 } from "./ipv4.js";
import type { Cidr4 } from "./ipv4.js";
import { DEVICE } from "./names.js";
import type { Workload } from "./workloads.js";

/** IpInIpMtu auto = 1500 − 20 (ipipMTUOverhead, §9.1). */
const IPIP_MTU = 1480;
/** BIRD's route protocol as `ip route` prints it (§9.2). */
const BIRD_PROTO = "bird";

interface Block {
  readonly cidr: Cidr4;
  readonly pool: IPPool;
}

interface ParsedPool {
  readonly pool: IPPool;
  readonly cidr: Cidr4;
}

function parsedPools(cluster: Cluster): ParsedPool[] {
  return cluster.pools.flatMap((pool) => {
    const cidr = isV6(pool.cidr) ? null : parseCidr4(pool.cidr);
    return cidr ? [{ pool, cidr }] : [];
  });
}

/** The blockSize-aligned block (in the first pool holding `ip`), or null outside every pool. */
function blockFor(pools: readonly ParsedPool[], ip: string): Block | null {
  const n = parseIPv4(ip);
  if (n === null) return null;
  const p = pools.find((q) => contains(q.cidr, n));
  return p ? { cidr: blockOf(n, p.pool.blockSize), pool: p.pool } : null;
}

function uniqueBlocks(blocks: readonly (Block | null)[]): Block[] {
  const byName = new Map<string, Block>();
  for (const b of blocks) if (b) byName.set(formatCidr4(b.cidr), b);
  // Sorted (by address, then prefix) for determinism.
  return [...byName.values()].sort((a, b) => a.cidr.network - b.cidr.network || a.cidr.prefix - b.cidr.prefix);
}

export const ipipPool = (p: IPPool): boolean => p.ipipMode !== "Never";

/**
 * Per-(cluster, workloads) tables: each node's endpoints, blocks and the
 * routes other nodes send to it. Every node's route file lists every other
 * node's blocks, so computing them per rendered node was quadratic in nodes
 * times pods; the IR is immutable, so they are computed once and shared.
 */
interface RouteIndex {
  readonly cluster: Cluster;
  readonly pools: readonly ParsedPool[];
  readonly nodes: ReadonlyMap<string, Node>;
  readonly local: ReadonlyMap<string, readonly Workload[]>;
  readonly tunnels: Map<string, string | null>;
  readonly blocks: Map<string, readonly Block[]>;
  readonly remote: Map<string, readonly RouteCommand[]>;
}

const routeIndexes = new WeakMap<readonly Workload[], RouteIndex>();

function routeIndex(cluster: Cluster, workloads: readonly Workload[]): RouteIndex {
  const cached = routeIndexes.get(workloads);
  if (cached?.cluster === cluster) return cached;
  const local = new Map<string, Workload[]>();
  for (const w of workloads) {
    const node = w.pod.nodeName ?? "";
    let g = local.get(node);
    if (!g) local.set(node, (g = []));
    g.push(w);
  }
  const nodes = new Map<string, Node>();
  for (const n of cluster.nodes) if (!nodes.has(n.name)) nodes.set(n.name, n);
  const idx: RouteIndex = { cluster, pools: parsedPools(cluster), nodes, local, tunnels: new Map(), blocks: new Map(), remote: new Map() };
  routeIndexes.set(workloads, idx);
  return idx;
}

function memo<V>(m: Map<string, V>, key: string, make: () => V): V {
  if (m.has(key)) return m.get(key) as V;
  const v = make();
  m.set(key, v);
  return v;
}

/**
 * The node's IPIP tunnel address: the annotation, else — what usually
 * happens, not a guarantee (§9.1) — the first address of the node's lowest
 * block in an IPIP pool, since allocate-tunnel-addrs typically runs first.
 */
export function tunnelAddress(cluster: Cluster, node: Node, workloads: readonly Workload[]): string | null {
  if (node.tunnelAddress) return node.tunnelAddress;
  const idx = routeIndex(cluster, workloads);
  return memo(idx.tunnels, node.name, () => {
    const own = (idx.local.get(node.name) ?? []).map((w) => blockFor(idx.pools, w.ip));
    const first = uniqueBlocks(own).find((b) => ipipPool(b.pool));
    return first ? formatIPv4(first.cidr.network) : null;
  });
}

/** A node's blocks: those holding its endpoints' IPs and its tunnel address (§9.2). */
function nodeBlocks(idx: RouteIndex, node: Node, workloads: readonly Workload[], ipip: boolean): readonly Block[] {
  return memo(idx.blocks, `${ipip}\u0000${node.name}`, () => {
    const ips = (idx.local.get(node.name) ?? []).map((w) => w.ip);
    const tunnel = ipip ? tunnelAddress(idx.cluster, node, workloads) : null;
    if (tunnel) ips.push(tunnel);
    return uniqueBlocks(ips.map((ip) => blockFor(idx.pools, ip)));
  });
}

function remoteRoutes(idx: RouteIndex, node: Node, workloads: readonly Workload[], ipip: boolean): readonly RouteCommand[] {
  if (!node.ip) return [];
  const via = node.ip;
  return memo(idx.remote, `${ipip}\u0000${node.name}`, () =>
    nodeBlocks(idx, node, workloads, ipip).map((b): RouteCommand => {
      const tunnelled = ipipPool(b.pool);
      const dev = tunnelled ? DEVICE.ipipTunnel : null;
      return { kind: "via", cidr: formatCidr4(b.cidr), via, dev, proto: BIRD_PROTO, onlink: tunnelled, mtu: null };
    }),
  );
}

/** The node being compiled; one missing from the snapshot has no address of its own. */
export function findNode(cluster: Cluster, nodeName: string): Node {
  return cluster.nodes.find((n) => n.name === nodeName) ?? { name: nodeName, labels: new Map(), ip: null, ipPrefix: null, tunnelAddress: null, vxlanTunnelAddress: null, vxlanMac: null, annotationSpans: { ipipTunnel: null, vxlanTunnel: null }, span: null };
}

export function buildRoutes(cluster: Cluster, nodeName: string, workloads: readonly Workload[], ipip: boolean): RouteCommand[] {
  const idx = routeIndex(cluster, workloads);
  const self = idx.nodes.get(nodeName) ?? findNode(cluster, nodeName);
  const out: RouteCommand[] = [];
  const tunnel = ipip ? tunnelAddress(cluster, self, workloads) : null;
  if (ipip) out.push({ kind: "link-up", dev: DEVICE.ipipTunnel, mtu: IPIP_MTU });
  if (tunnel) out.push({ kind: "addr", cidr: `${tunnel}/32`, dev: DEVICE.ipipTunnel });
  for (const b of nodeBlocks(idx, self, workloads, ipip)) out.push({ kind: "blackhole", cidr: formatCidr4(b.cidr), proto: BIRD_PROTO });
  const local = idx.local.get(nodeName) ?? [];
  // Sorted by address for determinism (each address parsed once, not per comparison).
  const byAddress = local.map((w) => ({ w, n: parseIPv4(w.ip) ?? 0 })).sort((a, b) => a.n - b.n);
  for (const { w } of byAddress) out.push({ kind: "dev", cidr: `${w.ip}/32`, dev: w.iface, scope: "link", proto: null, metric: null });
  const others = cluster.nodes.filter((n) => n.name !== nodeName).sort((a, b) => byteCompare(a.name, b.name));
  for (const n of others) for (const r of remoteRoutes(idx, n, workloads, ipip)) out.push(r);
  return out;
}
