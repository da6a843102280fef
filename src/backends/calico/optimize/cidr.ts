// The one CIDR adapter (STYLE.md "Wrap dependencies behind a small adapter").
// ip-num parses and prints addresses and prefixes; its own aggregation
// (Pool.aggregate / getCidrRanges) and RangedSet.difference throw on ordinary
// inputs in 1.6.2 (a range that does not contain the subtrahend, a
// non-power-of-two remainder), so the set algebra is done here on inclusive
// [first, last] bigint intervals and only the edges go through ip-num. No
// ip-num type leaves this file: callers see CIDR strings only.
//
// Algorithm: CIDRs → sorted, coalesced intervals (adjacent or overlapping
// intervals join) → interval algebra → the minimal CIDR cover of each interval
// (repeatedly take the largest aligned block starting at `first` that fits).
//
// ip-num is CommonJS and builds its IPv6 tables when loaded (~20 ms): it is
// required when -O2 first parses or prints an address, so that a compile
// without -O2 does not pay for it (Node caches the module after that).
import { createRequire } from "node:module";
import type * as IpNum from "ip-num";

const requireHere = createRequire(import.meta.url);
const ipNum = (): typeof IpNum => requireHere("ip-num") as typeof IpNum;

export type Family = 4 | 6;

interface Interval {
  readonly first: bigint;
  readonly last: bigint;
}

const BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

export function familyOf(cidr: string): Family {
  return cidr.includes(":") ? 6 : 4;
}

/** Parses `a.b.c.d/n` (host bits allowed: masked off, as the kernel and Calico do). */
function toInterval(family: Family, cidr: string): Interval {
  const [addr = "", len = String(BITS[family])] = cidr.split("/");
  const bits = BITS[family];
  const prefix = Number(len);
  const { IPv4, IPv6 } = ipNum();
  const value = family === 4 ? IPv4.fromString(addr).getValue() : IPv6.fromString(addr).getValue();
  const size = 1n << BigInt(bits - prefix);
  const first = value - (value % size);
  return { first, last: first + size - 1n };
}

/** Sorted, disjoint, non-adjacent intervals covering exactly the union of `cidrs`. */
function coalesce(family: Family, cidrs: readonly string[]): Interval[] {
  const sorted = cidrs.map((c) => toInterval(family, c)).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: { first: bigint; last: bigint }[] = [];
  for (const iv of sorted) {
    const prev = out[out.length - 1];
    if (prev && iv.first <= prev.last + 1n) {
      if (iv.last > prev.last) prev.last = iv.last;
    } else out.push({ ...iv });
  }
  return out;
}

/** The fewest CIDRs covering exactly [first, last]. */
function cover(family: Family, iv: Interval): string[] {
  const bits = BITS[family];
  const out: string[] = [];
  let first = iv.first;
  while (first <= iv.last) {
    let size = 1n;
    let prefix = bits;
    // Grow while the block stays aligned at `first` and inside the interval.
    while (prefix > 0 && first % (size * 2n) === 0n && first + size * 2n - 1n <= iv.last) {
      size *= 2n;
      prefix--;
    }
    out.push(cidrText(family, first, prefix));
    first += size;
  }
  return out;
}

function cidrText(family: Family, first: bigint, prefix: number): string {
  const { IPv4, IPv6, collapseIPv6Number } = ipNum();
  const addr = family === 4 ? IPv4.fromNumber(first).toString() : collapseIPv6Number(IPv6.fromBigInt(first).toString());
  return `${addr}/${prefix}`;
}

/** The union of `cidrs` as the fewest CIDRs, in address order. */
export function mergeCidrs(family: Family, cidrs: readonly string[]): string[] {
  return coalesce(family, cidrs).flatMap((iv) => cover(family, iv));
}

/** `from` minus `minus`, exactly, as the fewest CIDRs in address order (empty when nothing is left). */
export function subtractCidrs(family: Family, from: readonly string[], minus: readonly string[]): string[] {
  const holes = coalesce(family, minus);
  const out: Interval[] = [];
  for (const iv of coalesce(family, from)) {
    let first = iv.first;
    for (const h of holes) {
      if (h.last < first || h.first > iv.last) continue;
      if (h.first > first) out.push({ first, last: h.first - 1n });
      first = h.last + 1n;
    }
    if (first <= iv.last) out.push({ first, last: iv.last });
  }
  return out.flatMap((iv) => cover(family, iv));
}

/** Whether every address of `inner` is in `outer`. */
export function coversCidrs(family: Family, outer: readonly string[], inner: readonly string[]): boolean {
  return subtractCidrs(family, inner, outer).length === 0;
}
