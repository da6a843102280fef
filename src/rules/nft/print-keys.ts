// Element values as nft 1.0.6 stores, orders and prints them. Found on this
// machine (nft 1.0.6, x86-64) by loading sets and listing them back:
// * nft sorts the elements of every set it lists (named or anonymous) by
//   the element's key read as one integer (an mpz) in the key's byte order:
//   addresses, ports and protocols are big-endian, so they sort
//   numerically; marks and interface names are host-endian (little-endian
//   here), so names sort by their last byte first ("a" < "eth0" < "eth1" <
//   "cali1"); a concatenation's fields are each padded to 4 bytes and the
//   whole key is read little-endian — last field first (nftables.md §A.8).
//   In an interval set (any item a range, prefix or `*` wildcard) keys are
//   big-endian, so wildcard names sort as plain strings.
// * addresses lose a full-length prefix (`/32`, `/128`) and their host bits,
//   a range that is exactly a prefix prints as the prefix, IPv6 is printed
//   lowercase and compressed (inet_ntop).
import type { NftDataType } from "./model.js";

/** A key field's type, as far as storage and printing differ (icmp types and ct state are not set types in the model). */
export type KeyField = NftDataType | "icmp_type" | "icmpv6_type" | "ct_state" | "u32" | "other";

const WIDTH: Readonly<Record<KeyField, number>> = {
  ipv4_addr: 4,
  ipv6_addr: 16,
  inet_proto: 1,
  inet_service: 2,
  ifname: 16,
  mark: 4,
  icmp_type: 1,
  icmpv6_type: 1,
  ct_state: 4,
  u32: 4,
  other: 4,
};
const HOST_ENDIAN: ReadonlySet<KeyField> = new Set<KeyField>(["ifname", "mark", "ct_state", "u32"]);

export function ipv4Num(a: string): bigint {
  return a.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o) & 255), 0n);
}

export function ipv6Num(a: string): bigint {
  const [head, tail] = a.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16) || 0), 0n);
}

export function ipv4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
}

/** inet_ntop's IPv6 text: lowercase, the longest run (first on a tie) of ≥2 zero groups as `::`. */
export function ipv6Text(n: bigint): string {
  const g = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((n >> s) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

/** An address item as an inclusive range [lo, hi]: an address, `a/len` or `a-b`. */
export function addrRange(item: string, v6: boolean): [bigint, bigint] {
  const bits = v6 ? 128n : 32n;
  const num = v6 ? ipv6Num : ipv4Num;
  if (item.includes("-")) {
    const [a, b] = item.split("-") as [string, string];
    return [num(a), num(b)];
  }
  const [a, len] = item.split("/") as [string, string | undefined];
  const host = len === undefined ? 0n : bits - BigInt(len);
  const lo = (num(a) >> host) << host;
  return [lo, lo + (1n << host) - 1n];
}

/** How nft prints an address range: a single address, a prefix when it is exactly one, else `a-b`. */
export function addrRangeText([lo, hi]: [bigint, bigint], v6: boolean): string {
  const text = v6 ? ipv6Text : ipv4Text;
  if (lo === hi) return text(lo);
  const size = hi - lo + 1n;
  const isPow2 = (size & (size - 1n)) === 0n;
  if (isPow2 && lo % size === 0n) return `${text(lo)}/${(v6 ? 128 : 32) - (size.toString(2).length - 1)}`;
  return `${text(lo)}-${text(hi)}`;
}

/** An item as a range of numbers (ports, protocols numbers, marks) or addresses; null when not numeric. */
export function itemRange(field: KeyField, item: string): [bigint, bigint] | null {
  if (field === "ipv4_addr" || field === "ipv6_addr") return addrRange(item, field === "ipv6_addr");
  const m = /^(0x[0-9a-f]+|\d+)(?:-(0x[0-9a-f]+|\d+))?$/i.exec(item);
  if (m === null) return null;
  return [BigInt(m[1]!), BigInt(m[2] ?? m[1]!)];
}

function fieldBytes(field: KeyField, item: string, interval: boolean, toNumber: (f: KeyField, v: string) => bigint): number[] {
  const width = WIDTH[field];
  const bytes = new Array<number>(width).fill(0);
  if (field === "ifname") {
    const name = item.endsWith("*") ? item.slice(0, -1) : item;
    for (let i = 0; i < Math.min(name.length, width); i++) bytes[i] = name.charCodeAt(i) & 255;
  } else {
    let n = toNumber(field, item);
    for (let i = width - 1; i >= 0; i--, n >>= 8n) bytes[i] = Number(n & 255n);
    if (HOST_ENDIAN.has(field) && !interval) bytes.reverse();
  }
  // Each field of a concatenation takes whole 32-bit registers.
  while (bytes.length % 4 !== 0) bytes.push(0);
  return bytes;
}

/**
 * The bytes nft's sort compares, most significant first: the key as stored,
 * read in its byte order (see the module comment).
 */
export function sortBytes(fields: readonly KeyField[], key: readonly string[], interval: boolean, toNumber: (f: KeyField, v: string) => bigint): number[] {
  if (fields.length === 1) {
    const f = fields[0]!;
    const raw = fieldBytes(f, key[0] ?? "", interval, toNumber).slice(0, WIDTH[f]);
    // A host-endian value was stored reversed; read it back as one integer, most significant byte first.
    return HOST_ENDIAN.has(f) && !interval ? raw.reverse() : raw;
  }
  const all = fields.flatMap((f, i) => fieldBytes(f, key[i] ?? "", interval, toNumber));
  return all.reverse();
}

export function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
