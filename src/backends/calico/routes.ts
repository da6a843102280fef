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

function poolOf(cluster: Cluster, ip: number): IPPool | null {
  return cluster.pools.find((p) => !isV6(p.cidr) && contains(parseCidr4(p.cidr) ?? { network: 0, prefix: 33 }, ip)) ?? null;
}

/** The blockSize-aligned block (in the pool holding `ip`), or null outside every pool. */
function blockFor(cluster: Cluster, ip: string): Block | null {
  const n = parseIPv4(ip);
  const pool = n === null ? null : poolOf(cluster, n);
  return n === null || !pool ? null : { cidr: blockOf(n, pool.blockSize), pool };
}

function uniqueBlocks(blocks: readonly (Block | null)[]): Block[] {
  const byName = new Map<string, Block>();
  for (const b of blocks) if (b) byName.set(formatCidr4(b.cidr), b);
  // Sorted (by address, then prefix) for determinism.
  return [...byName.values()].sort((a, b) => a.cidr.network - b.cidr.network || a.cidr.prefix - b.cidr.prefix);
}

export const ipipPool = (p: IPPool): boolean => p.ipipMode !== "Never";

/**
 * The node's IPIP tunnel address: the annotation, else — what usually
 * happens, not a guarantee (§9.1) — the first address of the node's lowest
 * block in an IPIP pool, since allocate-tunnel-addrs typically runs first.
 */
export function tunnelAddress(cluster: Cluster, node: Node, workloads: readonly Workload[]): string | null {
  if (node.tunnelAddress) return node.tunnelAddress;
  const own = workloads.filter((w) => w.pod.nodeName === node.name).map((w) => blockFor(cluster, w.ip));
  const first = uniqueBlocks(own).find((b) => ipipPool(b.pool));
  return first ? formatIPv4(first.cidr.network) : null;
}

/** A node's blocks: those holding its endpoints' IPs and its tunnel address (§9.2). */
function nodeBlocks(cluster: Cluster, node: Node, workloads: readonly Workload[], ipip: boolean): Block[] {
  const ips = workloads.filter((w) => w.pod.nodeName === node.name).map((w) => w.ip);
  const tunnel = ipip ? tunnelAddress(cluster, node, workloads) : null;
  if (tunnel) ips.push(tunnel);
  return uniqueBlocks(ips.map((ip) => blockFor(cluster, ip)));
}

function remoteRoutes(cluster: Cluster, node: Node, workloads: readonly Workload[], ipip: boolean): RouteCommand[] {
  if (!node.ip) return [];
  const via = node.ip;
  return nodeBlocks(cluster, node, workloads, ipip).map((b): RouteCommand => {
    const tunnelled = ipipPool(b.pool);
    const dev = tunnelled ? DEVICE.ipipTunnel : null;
    return { kind: "via", cidr: formatCidr4(b.cidr), via, dev, proto: BIRD_PROTO, onlink: tunnelled };
  });
}

/** The node being compiled; one missing from the snapshot has no address of its own. */
export function findNode(cluster: Cluster, nodeName: string): Node {
  return cluster.nodes.find((n) => n.name === nodeName) ?? { name: nodeName, ip: null, tunnelAddress: null, span: null };
}

export function buildRoutes(cluster: Cluster, nodeName: string, workloads: readonly Workload[], ipip: boolean): RouteCommand[] {
  const self = findNode(cluster, nodeName);
  const out: RouteCommand[] = [];
  const tunnel = ipip ? tunnelAddress(cluster, self, workloads) : null;
  if (ipip) out.push({ kind: "link-up", dev: DEVICE.ipipTunnel, mtu: IPIP_MTU });
  if (tunnel) out.push({ kind: "addr", cidr: `${tunnel}/32`, dev: DEVICE.ipipTunnel });
  for (const b of nodeBlocks(cluster, self, workloads, ipip)) out.push({ kind: "blackhole", cidr: formatCidr4(b.cidr), proto: BIRD_PROTO });
  const local = workloads.filter((w) => w.pod.nodeName === nodeName);
  // Sorted by address for determinism.
  for (const w of [...local].sort((a, b) => (parseIPv4(a.ip) ?? 0) - (parseIPv4(b.ip) ?? 0)))
    out.push({ kind: "dev", cidr: `${w.ip}/32`, dev: w.iface, scope: "link" });
  const others = cluster.nodes.filter((n) => n.name !== nodeName).sort((a, b) => byteCompare(a.name, b.name));
  for (const n of others) out.push(...remoteRoutes(cluster, n, workloads, ipip));
  return out;
}
