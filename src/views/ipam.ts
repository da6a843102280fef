// `netpolc ipam`: the address plan (Cluster.addressing) as calicoctl's IPAM
// views show it (spec calico-routes §3): pools and their blocks with their use
// (`calicoctl ipam show --show-blocks`), the borrowed addresses
// (`--show-borrowed`), plus what calicoctl does not say — who owns each block
// in the eyes of the route programmer, and whether that owner was read from
// IPAM objects or inferred (§5.2).
//
// The owner follows whoever programs the block's routes (blockProgrammer, the
// rule the route builder uses): BIRD takes it from the confirmed BlockAffinity
// and routes an address by where it lives; Felix takes the IPAMBlock's affinity
// and routes an address by its allocation's node (§2.3, §2.4). So the borrowed
// list is the /32 routes that programmer makes, plus (as calicoctl lists them)
// allocations of other nodes that no pod of the snapshot holds.
//
// Counts are calicoctl's: a block's in use is IPAM's allocation count (its
// `capacity − len(unallocated)`; the addresses in use when the plan is
// inferred), a pool's is the sum over its blocks, capacities are 2^(bits −
// prefix) as float64 (ipam.go GetUtilization, v3.27.0 – v3.32.0).
import { blockProgrammer, type RouteProgrammer } from "../backends/index.js";
import type { Cluster, IPPool } from "../ir/cluster.js";
import type { AddressBlock, BlockAddress, IPAMAllocation, NodeAddressing, OwnerSource } from "../ir/ipam.js";

export interface PoolUse {
  readonly name: string;
  readonly cidr: string;
  readonly disabled: boolean;
  /** No IPPool given: Calico's manifest default (or a /16 around pod addresses outside it) is assumed. */
  readonly assumed: boolean;
  readonly encapsulation: string;
  readonly total: number;
  readonly inUse: number;
}

export interface BlockUse {
  readonly cidr: string;
  readonly pool: string | null;
  readonly encapsulation: string;
  readonly total: number;
  readonly inUse: number;
  /** Whether `inUse` is IPAM's allocation count or the addresses the snapshot shows. */
  readonly inUseFrom: "ipam" | "snapshot";
  /** Who programs the block's routes, and so whose view `owner` is. */
  readonly routesBy: RouteProgrammer;
  readonly owner: string | null;
  /** BIRD's view: the state of the BlockAffinity that made `owner`; null for Felix's view or no owner. */
  readonly ownerState: "confirmed" | "pendingDeletion" | null;
  readonly source: OwnerSource;
  /** Whether an IPAMBlock object backs it: false in an inferred plan, and for what an exact plan adds (an affinity without its block, addresses no block holds). */
  readonly ipamBlock: boolean;
  /** Felix's owner (IPAMBlock affinity, or the inferred owner). */
  readonly felixOwner: string | null;
  /** BIRD's owners (BlockAffinities, or the IPAMBlock affinity / inferred owner as confirmed). */
  readonly birdAffinities: AddressBlock["affinities"];
  readonly addresses: readonly BlockAddress[];
}

export interface BorrowedAddress {
  readonly ip: string;
  readonly borrowingNode: string;
  readonly block: string;
  /** Empty for a block without an owner, as calicoctl prints it. */
  readonly blockOwner: string;
  readonly type: string;
  readonly allocatedTo: string;
}

export interface NodeRow extends NodeAddressing {
  readonly name: string;
  readonly ip: string | null;
  readonly ipPrefix: number | null;
}

export interface PoolGroup {
  /** Null for the blocks outside every pool (listed last, without a pool row, as calicoctl does). */
  readonly pool: PoolUse | null;
  readonly blocks: readonly BlockUse[];
}

export interface IpamView {
  readonly exact: boolean;
  readonly routeProgrammer: RouteProgrammer;
  /** Which programmers the blocks' owners follow (sorted). */
  readonly routesBy: readonly RouteProgrammer[];
  readonly strictAffinity: boolean;
  readonly objects: { readonly blocks: number; readonly affinities: number };
  readonly groups: readonly PoolGroup[];
  readonly borrowed: readonly BorrowedAddress[];
  /** Allocations without a node (calicoctl: "Unable to determine if they are borrowed"). */
  readonly unclassified: number;
  readonly nodes: readonly NodeRow[];
}

const TUNNEL_TYPE: Readonly<Record<BlockAddress["use"], string>> = { pod: "pod", "ipip-tunnel": "ipipTunnelAddress", "vxlan-tunnel": "vxlanTunnelAddress", allocation: "" };

export function encapsulationOf(p: IPPool | null): string {
  if (!p) return "";
  const modes = [p.ipipMode !== "Never" ? `IPIP ${p.ipipMode}` : "", p.vxlanMode !== "Never" ? `VXLAN ${p.vxlanMode}` : ""].filter((m) => m);
  return modes.length ? modes.join(", ") : "none";
}

/** 2^(bits − prefix) as calicoctl holds it: a float64. */
function capacity(cidr: string): number {
  const prefix = Number(cidr.slice(cidr.indexOf("/") + 1));
  return 2 ** ((cidr.includes(":") ? 128 : 32) - prefix);
}

/** The block's owner in the programmer's view (routes.ts birdBlock/felixBlock pick the same). */
function ownerOf(b: AddressBlock, by: RouteProgrammer): { owner: string | null; state: BlockUse["ownerState"] } {
  if (by === "felix") return { owner: b.owner, state: null };
  const a = b.affinities.find((x) => x.state === "confirmed") ?? b.affinities[0];
  return a ? { owner: a.node, state: a.state } : { owner: null, state: null };
}

function blockUse(b: AddressBlock, pools: ReadonlyMap<string, IPPool>, exact: boolean, option: RouteProgrammer): BlockUse {
  const pool = b.pool === null ? null : (pools.get(b.pool) ?? null);
  const routesBy = blockProgrammer(pool, option);
  const { owner, state } = ownerOf(b, routesBy);
  return {
    cidr: b.cidr,
    pool: b.pool,
    encapsulation: encapsulationOf(pool),
    total: capacity(b.cidr),
    inUse: b.allocated ?? b.addresses.length,
    inUseFrom: b.allocated === null ? "snapshot" : "ipam",
    routesBy,
    owner,
    ownerState: state,
    source: b.source,
    ipamBlock: exact && b.allocated !== null,
    felixOwner: b.owner,
    birdAffinities: b.affinities,
    addresses: b.addresses,
  };
}

/** IPAM's allocations by address (what the TYPE column reads for an allocation no pod holds). */
function allocationsByAddress(cluster: Cluster): Map<string, IPAMAllocation> {
  return new Map((cluster.ipam?.blocks ?? []).flatMap((b) => b.allocations.map((a) => [a.address, a] as const)));
}

function borrowedOf(blocks: readonly BlockUse[], allocations: ReadonlyMap<string, IPAMAllocation>, exact: boolean): { rows: BorrowedAddress[]; unclassified: number } {
  const rows: BorrowedAddress[] = [];
  let unclassified = 0;
  for (const b of blocks) {
    for (const x of b.addresses) {
      const allocation = allocations.get(x.address);
      // An address IPAM does not allocate is unknown to Felix (the load warned about it); BIRD routes it where it lives.
      if (exact && b.routesBy === "felix" && !allocation) continue;
      const node = b.routesBy === "felix" ? x.allocationNode : (x.node ?? x.allocationNode);
      if (node === null) {
        unclassified++;
        continue;
      }
      if (node === b.owner) continue;
      const pod = x.use === "pod" || (x.use === "allocation" && !!allocation?.pod);
      const type = pod ? "pod" : x.use === "allocation" ? (allocation?.type ?? "") : TUNNEL_TYPE[x.use];
      rows.push({ ip: x.address, borrowingNode: node, block: b.cidr, blockOwner: b.owner ?? "", type, allocatedTo: pod ? x.owner : "" });
    }
  }
  return { rows, unclassified };
}

function poolUse(p: IPPool, blocks: readonly BlockUse[]): PoolUse {
  return {
    name: p.name,
    cidr: p.cidr,
    disabled: p.disabled,
    assumed: p.span === null,
    encapsulation: encapsulationOf(p),
    total: capacity(p.cidr),
    // Summed in block order, as calicoctl sums its float64s.
    inUse: blocks.reduce((sum, b) => sum + b.inUse, 0),
  };
}

export function ipamView(cluster: Cluster, option: RouteProgrammer): IpamView {
  const plan = cluster.addressing;
  const pools = new Map(cluster.pools.map((p) => [p.name, p] as const));
  const blocks = plan.blocks.map((b) => blockUse(b, pools, plan.exact, option));
  // Pools in the cluster's order (by name, as the API server lists them); blocks by address within each.
  const groups: PoolGroup[] = cluster.pools.map((p) => {
    const mine = blocks.filter((b) => b.pool === p.name);
    return { pool: poolUse(p, mine), blocks: mine };
  });
  const orphans = blocks.filter((b) => b.pool === null || !pools.has(b.pool));
  if (orphans.length) groups.push({ pool: null, blocks: orphans });
  const { rows, unclassified } = borrowedOf(blocks, allocationsByAddress(cluster), plan.exact);
  const routesBy = [...new Set(blocks.length ? blocks.map((b) => b.routesBy) : [option])].sort();
  return {
    exact: plan.exact,
    routeProgrammer: option,
    routesBy,
    strictAffinity: plan.strictAffinity,
    objects: { blocks: cluster.ipam?.blocks.length ?? 0, affinities: cluster.ipam?.affinities.length ?? 0 },
    groups,
    borrowed: rows,
    unclassified,
    nodes: cluster.nodes.map((n) => {
      const a = plan.nodes.get(n.name);
      return { name: n.name, ip: n.ip, ipPrefix: n.ipPrefix, ipipTunnel: a?.ipipTunnel ?? null, vxlanTunnel: a?.vxlanTunnel ?? null, vxlanMac: a?.vxlanMac ?? null };
    }),
  };
}
