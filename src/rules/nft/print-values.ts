// How `nft list` (nft 1.0.6) prints the values an agent wrote (nftables.md
// §A.8, §B.4, and the rules found on this machine, print-keys.ts): marks
// padded to 32 bits, conntrack states in bit order, protocol and ICMP
// numbers named, addresses normalised, anonymous sets sorted and (when they
// are interval sets) merged.
import type { NftExpr } from "./model.js";
import { addrRange, addrRangeText, compareBytes, itemRange, sortBytes, type KeyField } from "./print-keys.js";

/** The key fields of what an expression yields. */
export function fieldsOf(e: NftExpr): KeyField[] {
  return e.kind === "concat" ? e.parts.flatMap(fieldsOf) : [fieldOf(e)];
}

function fieldOf(e: NftExpr): KeyField {
  switch (e.kind) {
    case "bitwise":
      return fieldOf(e.left);
    case "meta":
      if (e.key === "mark") return "mark";
      if (e.key === "iifname" || e.key === "oifname") return "ifname";
      return e.key === "l4proto" ? "inet_proto" : "other";
    case "ct":
      return e.key === "state" ? "ct_state" : e.key === "mark" ? "mark" : "other";
    case "payload":
      if (e.field === "saddr" || e.field === "daddr") return e.proto === "ip" ? "ipv4_addr" : e.proto === "ip6" ? "ipv6_addr" : "other";
      if (e.field === "protocol" || e.field === "nexthdr") return "inet_proto";
      if (e.field === "type") return e.proto === "icmp" ? "icmp_type" : e.proto === "icmpv6" ? "icmpv6_type" : "other";
      return e.field.endsWith("port") ? "inet_service" : "other";
    case "numgen":
      return "u32";
    default:
      return "other";
  }
}

/**
 * Protocol names as nft prints them: nft asks the host's protocol database
 * (getprotobynumber, i.e. /etc/protocols), so this is environment dependent,
 * as iptables' `-p` names are. These are Debian netbase's names for the
 * protocols an agent names (ipencap and ipv6-icmp agree with the iptables
 * writer's DEFAULT_RENDER table).
 */
const PROTOCOLS: readonly (readonly [number, string])[] = [
  [1, "icmp"], [2, "igmp"], [4, "ipencap"], [6, "tcp"], [17, "udp"], [33, "dccp"], [41, "ipv6"], [47, "gre"],
  [50, "esp"], [51, "ah"], [58, "ipv6-icmp"], [89, "ospf"], [94, "ipip"], [103, "pim"], [112, "vrrp"], [132, "sctp"], [136, "udplite"],
];
const PROTO_NAME: ReadonlyMap<string, string> = new Map(PROTOCOLS.map(([n, s]) => [String(n), s]));
const PROTO_NUM: ReadonlyMap<string, number> = new Map(PROTOCOLS.map(([n, s]) => [s, n]));

// nft's icmp_type_tbl / icmp6_type_tbl (src/proto.c): the numbers it prints by name.
const ICMP: readonly string[] = ["echo-reply", "", "", "destination-unreachable", "source-quench", "redirect", "", "", "echo-request", "router-advertisement", "router-solicitation", "time-exceeded", "parameter-problem", "timestamp-request", "timestamp-reply", "info-request", "info-reply", "address-mask-request", "address-mask-reply"];
const ICMPV6: ReadonlyMap<number, string> = new Map([
  [1, "destination-unreachable"], [2, "packet-too-big"], [3, "time-exceeded"], [4, "parameter-problem"], [128, "echo-request"], [129, "echo-reply"],
  [130, "mld-listener-query"], [131, "mld-listener-report"], [132, "mld-listener-done"], [133, "nd-router-solicit"], [134, "nd-router-advert"],
  [135, "nd-neighbor-solicit"], [136, "nd-neighbor-advert"], [137, "nd-redirect"], [138, "router-renumbering"], [141, "ind-neighbor-solicit"],
  [142, "ind-neighbor-advert"], [143, "mld2-listener-report"],
]);
const ICMPV6_NUM: ReadonlyMap<string, number> = new Map([...ICMPV6].map(([n, s]) => [s, n]));

// ct_state_tbl bits (invalid 1, established 2, related 4, new 8, untracked 64): nft lists flags in bit order (§B.4).
const CT_STATES: readonly (readonly [string, number])[] = [["invalid", 1], ["established", 2], ["related", 4], ["new", 8], ["untracked", 64]];

/** A value's number, for sorting and merging. */
export function valueNumber(field: KeyField, v: string): bigint {
  if (field === "inet_proto" && PROTO_NUM.has(v)) return BigInt(PROTO_NUM.get(v)!);
  if (field === "icmp_type" && ICMP.includes(v)) return BigInt(ICMP.indexOf(v));
  if (field === "icmpv6_type" && ICMPV6_NUM.has(v)) return BigInt(ICMPV6_NUM.get(v)!);
  if (field === "ct_state") return BigInt(CT_STATES.filter(([w]) => v.split(/,| \| /).includes(w)).reduce((a, [, bit]) => a | bit, 0));
  const r = itemRange(field, v);
  return r === null ? 0n : r[0];
}

/** One value as nft lists it (ifnames are quoted by the printer, not here); `inSet`: an element of a set. */
export function canonValue(field: KeyField, v: string, inSet: boolean): string {
  switch (field) {
    case "mark":
      return /^(0x[0-9a-f]+|\d+)$/i.test(v) ? "0x" + (Number(v) >>> 0).toString(16).padStart(8, "0") : v;
    case "ct_state": {
      const words = v.split(/,| \| /);
      return CT_STATES.filter(([w]) => words.includes(w)).map(([w]) => w).join(",");
    }
    case "inet_proto":
      return PROTO_NAME.get(v) ?? v;
    case "icmp_type":
      return /^\d+$/.test(v) && (ICMP[Number(v)] ?? "") !== "" ? ICMP[Number(v)]! : v;
    case "icmpv6_type":
      return /^\d+$/.test(v) ? (ICMPV6.get(Number(v)) ?? v) : v;
    case "ipv4_addr":
    case "ipv6_addr": {
      // Found: a range in a set element prints as the prefix it equals; a range matched alone stays a range.
      const v6 = field === "ipv6_addr";
      const r = addrRange(v, v6);
      return v.includes("-") && !inSet ? `${addrRangeText([r[0], r[0]], v6)}-${addrRangeText([r[1], r[1]], v6)}` : addrRangeText(r, v6);
    }
    default:
      return v;
  }
}

/** nft makes an anonymous set an interval set when an item is a range, a prefix or a wildcard name. */
export function isIntervalItem(field: KeyField, v: string): boolean {
  return field === "ifname" ? v.endsWith("*") : v.includes("/") || v.includes("-");
}

/** Sorted for determinism, in nft's own element order (print-keys.ts). */
export function sortKeys<T>(fields: readonly KeyField[], items: readonly T[], keyOf: (t: T) => readonly string[], interval: boolean): T[] {
  const keyed = items.map((t) => ({ t, bytes: sortBytes(fields, keyOf(t), interval, valueNumber) }));
  return keyed.sort((a, b) => compareBytes(a.bytes, b.bytes)).map((k) => k.t);
}

/**
 * An anonymous interval set's items after nft's automatic merge of
 * overlapping and adjacent ranges (anonymous sets only; named sets keep
 * their elements).
 */
export function mergeIntervals(field: KeyField, items: readonly string[]): string[] {
  const ranges = items.map((i) => itemRange(field, i));
  if (ranges.some((r) => r === null) || field === "ifname") return [...items];
  const sorted = (ranges as [bigint, bigint][]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1n) last[1] = r[1] > last[1] ? r[1] : last[1];
    else merged.push([r[0], r[1]]);
  }
  const v6 = field === "ipv6_addr";
  if (field === "ipv4_addr" || v6) return merged.map((r) => addrRangeText(r, v6));
  return merged.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`));
}
