// IP and CIDR parsing with the API server's acceptance rules. NetworkPolicy
// CIDRs go through k8s.io/utils/net ParseCIDRSloppy (a copy of Go 1.16's
// parser: IPv4 octets may have leading zeros, "010" meaning 10); pod and node
// addresses are parsed strictly because they flow into ipset members.
// Addresses are bigints so IPv4 and IPv6 share one code path.

export type Family = 4 | 6;

export interface ParsedIP {
  readonly family: Family;
  readonly value: bigint;
  /** An IPv4 octet was written with a leading zero ("010.0.0.1"). */
  readonly leadingZeros: boolean;
  /** IPv6 written as an IPv4-mapped address (::ffff:a.b.c.d). */
  readonly v4Mapped: boolean;
}

export interface ParsedCIDR {
  /** The address as written (host bits possibly set). */
  readonly ip: ParsedIP;
  readonly prefix: number;
  readonly network: bigint;
  /** The prefix length was written with a leading zero ("/08"). */
  readonly prefixLeadingZeros: boolean;
}

export function bitsOf(f: Family): number {
  return f === 4 ? 32 : 128;
}

function parseIPv4(s: string, sloppy: boolean): { value: bigint; leadingZeros: boolean } | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  let leadingZeros = false;
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p) || (!sloppy && p.length > 3)) return null;
    if (p.length > 1 && p.startsWith("0")) {
      if (!sloppy) return null;
      leadingZeros = true;
    }
    const n = Number(p);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return { value, leadingZeros };
}

/** Groups of 16 bits; "::" once; an IPv4 tail in place of the last two groups. */
function parseIPv6(s: string): { value: bigint; v4Mapped: boolean } | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups: bigint[] = [];
  const all = [...head, ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i] ?? "";
    // An IPv4 tail must end the written address ("1.2.3.4::" is not one).
    const last = i === all.length - 1 && (halves.length === 1 || tail.length > 0);
    if (last && g.includes(".")) {
      const v4 = parseIPv4(g, false);
      if (!v4) return null;
      groups.push(v4.value >> 16n, v4.value & 0xffffn);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) groups.push(BigInt(parseInt(g, 16)));
    else return null;
  }
  const missing = 8 - groups.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const full = halves.length === 1 ? groups : [...groups.slice(0, head.length), ...Array<bigint>(missing).fill(0n), ...groups.slice(head.length)];
  const value = full.reduce((acc, g) => (acc << 16n) | g, 0n);
  const v4Mapped = s.includes(".") && value >> 32n === 0xffffn;
  return { value, v4Mapped };
}

/** Parse an address; `sloppy` allows IPv4 leading zeros as ParseIPSloppy does. */
export function parseIP(s: string, sloppy = false): ParsedIP | null {
  const v4 = parseIPv4(s, sloppy);
  if (v4) return { family: 4, value: v4.value, leadingZeros: v4.leadingZeros, v4Mapped: false };
  if (!s.includes(":")) return null;
  const v6 = parseIPv6(s);
  return v6 ? { family: 6, value: v6.value, leadingZeros: false, v4Mapped: v6.v4Mapped } : null;
}

/** ParseCIDRSloppy: "<ip>/<decimal prefix>", prefix within the family's width. */
export function parseCIDR(s: string): ParsedCIDR | null {
  const slash = s.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash), true);
  const p = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,10}$/.test(p)) return null;
  const prefix = Number(p);
  if (prefix > bitsOf(ip.family)) return null;
  return { ip, prefix, network: ip.value & maskOf(ip.family, prefix), prefixLeadingZeros: p.length > 1 && p.startsWith("0") };
}

export function maskOf(f: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(f));
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefix))) & all;
}

/** Whether `inner`'s network lies inside `outer` and is strictly smaller (B4). */
export function isStrictSubset(outer: ParsedCIDR, inner: ParsedCIDR): boolean {
  if (outer.ip.family !== inner.ip.family) return false;
  const inside = (inner.network & maskOf(outer.ip.family, outer.prefix)) === outer.network;
  return inside && inner.prefix > outer.prefix;
}

/** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run as "::"). */
export function formatIP(f: Family, value: bigint): string {
  if (f === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((value >> s) & 0xffffn));
  if (value >> 32n === 0xffffn) return `::ffff:${formatIP(4, value & 0xffffffffn)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

export function formatCIDR(f: Family, network: bigint, prefix: number): string {
  return `${formatIP(f, network)}/${prefix}`;
}

/** The network CIDR of a parsed CIDR in canonical form ("10.1.2.3/8" → "10.0.0.0/8"). */
export function networkOf(c: ParsedCIDR): string {
  return formatCIDR(c.ip.family, c.network, c.prefix);
}
