// `netpolc ipam --format json`: everything the text and -o wide show, as one
// document with sorted keys (stableJson), so the same inputs give the same bytes.
import { stableJson } from "../verify/render.js";
import type { BlockUse, IpamView, PoolUse } from "./ipam.js";

const usage = (u: { total: number; inUse: number }): { total: number; inUse: number; free: number } => ({ total: u.total, inUse: u.inUse, free: u.total - u.inUse });

function block(b: BlockUse): unknown {
  return {
    cidr: b.cidr,
    pool: b.pool,
    encapsulation: b.encapsulation,
    ...usage(b),
    inUseFrom: b.inUseFrom,
    routesBy: b.routesBy,
    owner: b.owner,
    ownerState: b.ownerState,
    ownerSource: b.source,
    ipamBlock: b.ipamBlock,
    felixOwner: b.felixOwner,
    birdAffinities: b.birdAffinities,
    tunnelAddresses: b.addresses.filter((x) => x.use === "ipip-tunnel" || x.use === "vxlan-tunnel").map((x) => x.address),
    addresses: b.addresses,
  };
}

const pool = (p: PoolUse, blocks: readonly BlockUse[]): unknown => ({
  name: p.name,
  cidr: p.cidr,
  disabled: p.disabled,
  assumed: p.assumed,
  encapsulation: p.encapsulation,
  ...usage(p),
  blocks: blocks.map(block),
});

export function ipamJson(v: IpamView): string {
  return stableJson({
    exact: v.exact,
    routeProgrammer: v.routeProgrammer,
    strictAffinity: v.strictAffinity,
    ipamObjects: v.objects,
    pools: v.groups.flatMap((g) => (g.pool ? [pool(g.pool, g.blocks)] : [])),
    blocksOutsidePools: v.groups.flatMap((g) => (g.pool ? [] : g.blocks.map(block))),
    borrowed: v.borrowed,
    unclassified: v.unclassified,
    nodes: v.nodes,
  });
}
