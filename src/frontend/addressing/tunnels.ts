// Each node's tunnel addresses (IPIP, VXLAN) and VTEP MAC: the annotation,
// else IPAM's tunnel allocation, else — only when the whole plan is inferred —
// what calico-node's allocate-tunnel-addrs would most likely have taken
// (calico-routes §2.2): AutoAssign tries the node's own blocks first, then
// claims a fresh block, and borrows only when it cannot claim. So: the lowest
// free address of the node's lowest block in a pool of that encapsulation
// that selects it, else the lowest free block of such a pool, claimed for the
// node. Every inferred address is a note.
import { createHash } from "node:crypto";
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { IPPool, Node } from "../../ir/cluster.js";
import type { AddressUse, NodeAddressing, TunnelAddress } from "../../ir/ipam.js";
import { BlockTable, draft, type BlockDraft } from "./blocks.js";
import { formatAddr, formatNet, netSize, type Addr, type Net, type PoolNet } from "./space.js";

export type Encap = "ipip" | "vxlan";
export type PoolSelects = (pool: IPPool, node: Node) => boolean;

const USE: Readonly<Record<Encap, AddressUse>> = { ipip: "ipip-tunnel", vxlan: "vxlan-tunnel" };
const NAME: Readonly<Record<Encap, string>> = { ipip: "IPIP", vxlan: "VXLAN" };

/** Enabled IPv4 pools of an encapsulation (Felix enables IPIP/VXLAN when any pool uses it). */
export function encapPools(pools: readonly PoolNet[], encap: Encap): PoolNet[] {
  return pools.filter((p) => p.family === 4 && !p.pool.disabled && (encap === "ipip" ? p.pool.ipipMode : p.pool.vxlanMode) !== "Never");
}

function lowestFree(d: BlockDraft): Addr | null {
  const size = netSize(d.net);
  for (let i = 0n; i < size; i++) {
    const a: Addr = { family: d.net.family, value: d.net.network + i };
    if (!d.addresses.has(formatAddr(a))) return a;
  }
  return null;
}

/** The lowest block of `pool` that overlaps no block of the table. */
function freeBlock(table: BlockTable, pool: PoolNet): Net | null {
  const step = 1n << BigInt(32 - pool.pool.blockSize);
  for (let n = pool.network; n < pool.network + netSize(pool); n += step) {
    const net: Net = { family: 4, network: n, prefix: pool.pool.blockSize };
    if (!table.overlaps(net)) return net;
  }
  return null;
}

function inferTunnel(node: Node, encap: Encap, pools: readonly PoolNet[], table: BlockTable, diag: DiagnosticSink): TunnelAddress | null {
  const inPools = (d: BlockDraft): boolean => pools.some((p) => p === d.pool);
  for (const d of table.all) {
    if (d.owner !== node.name || !inPools(d)) continue;
    const a = lowestFree(d);
    if (!a) continue;
    const address = formatAddr(a);
    d.addresses.set(address, { address, use: USE[encap], owner: node.name, node: node.name, allocationNode: node.name });
    diag.note("addressing/inferred-tunnel", node.span, `node ${node.name}: no ${NAME[encap]} tunnel address annotation; inferred ${address}, the lowest free address of its block ${d.cidr}`);
    return { address, source: "inferred" };
  }
  for (const p of pools) {
    const net = freeBlock(table, p);
    if (!net) continue;
    const d = draft(net, p, { owner: node.name, affinities: [{ node: node.name, state: "confirmed" }], source: "claimed" });
    const address = formatAddr({ family: 4, value: net.network });
    d.addresses.set(address, { address, use: USE[encap], owner: node.name, node: node.name, allocationNode: node.name });
    table.add(d);
    diag.note("addressing/inferred-tunnel", node.span, `node ${node.name}: no ${NAME[encap]} tunnel address annotation and no block of its own; inferred ${address} in block ${formatNet(net)}, claimed for it as AutoAssign would`);
    return { address, source: "inferred" };
  }
  diag.warning("addressing/no-tunnel-address", node.span, `node ${node.name}: no ${NAME[encap]} tunnel address and no free block in its pools`);
  return null;
}

export interface TunnelInputs {
  readonly nodes: readonly Node[];
  readonly pools: readonly PoolNet[];
  readonly table: BlockTable;
  /** IPAM's tunnel allocations (`<use>\0<node>` → address); null when the plan is inferred. */
  readonly ipam: ReadonlyMap<string, string> | null;
  readonly selects: PoolSelects;
}

function tunnelOf(node: Node, encap: Encap, t: TunnelInputs, diag: DiagnosticSink): TunnelAddress | null {
  const pools = encapPools(t.pools, encap).filter((p) => t.selects(p.pool, node));
  const annotated = encap === "ipip" ? node.tunnelAddress : node.vxlanTunnelAddress;
  const fromIpam = t.ipam?.get(`${USE[encap]}\u0000${node.name}`) ?? null;
  if (annotated !== null) {
    if (fromIpam !== null && fromIpam !== annotated) {
      diag.warning("addressing/tunnel-mismatch", node.span, `node ${node.name}: the ${NAME[encap]} tunnel annotation says ${annotated}, IPAM allocates ${fromIpam}; using the annotation (what Felix reads)`);
    }
    return { address: annotated, source: "annotation" };
  }
  if (pools.length === 0) return null;
  if (fromIpam !== null) return { address: fromIpam, source: "ipam" };
  if (t.ipam !== null) {
    diag.warning("addressing/no-tunnel-address", node.span, `node ${node.name}: no ${NAME[encap]} tunnel address (no annotation, no IPAM tunnel allocation); Felix leaves the device without one`);
    return null;
  }
  return inferTunnel(node, encap, pools, t.table, diag);
}

/** A locally administered unicast MAC from the node name: stable, where Felix would pick a random one. */
export function derivedMac(node: string): string {
  const h = createHash("sha256").update(`netpolc vxlan mac\u0000${node}`).digest();
  const bytes = [((h[0] ?? 0) & 0xfe) | 0x02, ...h.subarray(1, 6)];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function resolveTunnels(t: TunnelInputs, diag: DiagnosticSink): Map<string, NodeAddressing> {
  const out = new Map<string, NodeAddressing>();
  // t.nodes is sorted by name: claims happen in that order, whatever the input order.
  for (const node of t.nodes) {
    const ipipTunnel = tunnelOf(node, "ipip", t, diag);
    const vxlanTunnel = tunnelOf(node, "vxlan", t, diag);
    let vxlanMac: NodeAddressing["vxlanMac"] = null;
    if (vxlanTunnel) {
      vxlanMac = node.vxlanMac ? { mac: node.vxlanMac, source: "annotation" } : { mac: derivedMac(node.name), source: "inferred" };
      if (!node.vxlanMac) diag.note("addressing/inferred-vtep-mac", node.span, `node ${node.name}: no VXLANTunnelMACAddr annotation; using ${vxlanMac.mac} (Felix would pick a random MAC and store it there)`);
    }
    out.set(node.name, { ipipTunnel, vxlanTunnel, vxlanMac });
  }
  return out;
}
