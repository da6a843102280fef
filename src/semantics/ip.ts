// Address arithmetic for the reference evaluator.
//
// Deliberately self-contained (no ip-num): the evaluator is the oracle the
// optimizer's CIDR merging and the backends are tested against, so it must not
// share their address code, or a bug there would agree with itself.

export type Family = 4 | 6;

export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: Family;
  /** The network address: host bits are masked, as the API server reads `10.1.2.3/8` (spec §4 ipBlock). */
  readonly network: bigint;
  readonly prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseIPv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseGroups(text: string): bigint[] | null {
  if (text === "") return [];
  const out: bigint[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIPv4(p);
      if (v4 === null) return null;
      out.push(v4 >> 16n, v4 & 0xffffn);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
    out.push(BigInt(parseInt(p, 16)));
  }
  return out;
}

function parseIPv6(text: string): bigint | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses a dotted-quad IPv4 or RFC 4291 IPv6 address; null when malformed. */
export function parseAddress(text: string): Address | null {
  if (text.includes(":")) {
    const v = parseIPv6(text);
    return v === null ? null : { family: 6, value: v };
  }
  const v = parseIPv4(text);
  return v === null ? null : { family: 4, value: v };
}

/**
 * Parses `addr/prefix` (a bare address is a host route); null when malformed.
 * Pure: the evaluator keeps what it parses (model-index.ts `cidr`), since policies repeat CIDRs.
 */
export function parseCidr(text: string): Cidr | null {
  const [addrText = "", prefixText, ...rest] = text.split("/");
  const addr = parseAddress(addrText);
  if (!addr || rest.length !== 0) return null;
  const bits = BITS[addr.family];
  const prefix = prefixText === undefined ? bits : /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  return { family: addr.family, network: (addr.value >> hostBits) << hostBits, prefix };
}

/** Whether `addr` lies in `cidr`. Families never mix: an IPv6 block never contains an IPv4 address (spec §4). */
export function cidrContains(cidr: Cidr, addr: Address): boolean {
  if (cidr.family !== addr.family) return false;
  const hostBits = BigInt(BITS[cidr.family] - cidr.prefix);
  return addr.value >> hostBits === cidr.network >> hostBits;
}

export function familyOf(ip: string): Family {
  return ip.includes(":") ? 6 : 4;
}

/** Whether two address strings name the same host ("::1" and "0::1" do); malformed text is never equal. */
export function sameAddress(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== null && y !== null && x.family === y.family && x.value === y.value;
}
