// Address arithmetic for the address plan: pools and blocks as (family,
// network, prefix) with bigint values, so IPv4 and IPv6 share one path.
import type { IPPool } from "../../ir/cluster.js";
import { bitsOf, formatCIDR, formatIP, maskOf, parseCIDR, parseIP, type Family } from "../validation/ip.js";

export interface Net {
  readonly family: Family;
  readonly network: bigint;
  readonly prefix: number;
}

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

export interface PoolNet extends Net {
  readonly pool: IPPool;
}

export function parseAddr(text: string): Addr | null {
  const ip = parseIP(text);
  return ip ? { family: ip.family, value: ip.value } : null;
}

export function parseNet(text: string): Net | null {
  const c = parseCIDR(text);
  return c ? { family: c.ip.family, network: c.network, prefix: c.prefix } : null;
}

export const formatAddr = (a: Addr): string => formatIP(a.family, a.value);
export const formatNet = (n: Net): string => formatCIDR(n.family, n.network, n.prefix);

export function netContains(n: Net, a: Addr): boolean {
  return n.family === a.family && (a.value & maskOf(n.family, n.prefix)) === n.network;
}

export function netsOverlap(a: Net, b: Net): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(a.family, p);
  return (a.network & m) === (b.network & m);
}

/** The `prefix`-aligned net holding `a`. */
export function alignedNet(a: Addr, prefix: number): Net {
  return { family: a.family, network: a.value & maskOf(a.family, prefix), prefix };
}

export function netSize(n: Net): bigint {
  return 1n << BigInt(bitsOf(n.family) - n.prefix);
}

/** Sort order of nets and addresses: family, then value, then prefix (numeric, never textual). */
export function compareNets(a: Net, b: Net): number {
  return a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : 0) || a.prefix - b.prefix;
}

export function compareAddrs(a: Addr, b: Addr): number {
  return a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

/** Text key of an address, for maps (canonical form). */
export const addrKey = formatAddr;

/** The pools with parsable CIDRs, in the cluster's order (by name). */
export function poolNets(pools: readonly IPPool[]): PoolNet[] {
  return pools.flatMap((pool) => {
    const n = parseNet(pool.cidr);
    return n ? [{ ...n, pool }] : [];
  });
}

/** The first enabled pool holding `a` (pools cannot overlap: that is refused earlier). */
export function enabledPoolOf(pools: readonly PoolNet[], a: Addr): PoolNet | null {
  return pools.find((p) => !p.pool.disabled && netContains(p, a)) ?? null;
}

/** The first pool holding the whole of `n`, enabled or not. */
export function poolOfNet(pools: readonly PoolNet[], n: Net): PoolNet | null {
  return pools.find((p) => p.family === n.family && p.prefix <= n.prefix && netContains(p, { family: n.family, value: n.network })) ?? null;
}
