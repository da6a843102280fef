// How `nft list` (nft 1.0.6) prints the values an agent wrote (nftables.md
// §A.8, §B.4, and the listing rules found on this machine, which the module
// tests pin): marks padded to 32 bits, conntrack states in bit order,
// interface names quoted, protocol and ICMP numbers named, one-item
// anonymous sets collapsed and longer ones sorted.
import type { NftExpr } from "./model.js";

/** What kind of value an expression yields, as far as its listing depends on it. */
type ValueType = "mark" | "ct-state" | "ifname" | "l4proto" | "icmp-type" | "icmpv6-type" | "ipv4" | "ipv6" | "number" | "other";

export function valueType(e: NftExpr): ValueType {
  switch (e.kind) {
    case "bitwise":
      return valueType(e.left);
    case "meta":
      if (e.key === "mark") return "mark";
      if (e.key === "iifname" || e.key === "oifname") return "ifname";
      return e.key === "l4proto" ? "l4proto" : "other";
    case "ct":
      return e.key === "state" ? "ct-state" : e.key === "mark" ? "mark" : "other";
    case "payload":
      if (e.proto === "ip" && (e.field === "saddr" || e.field === "daddr")) return "ipv4";
      if (e.proto === "ip6" && (e.field === "saddr" || e.field === "daddr")) return "ipv6";
      if (e.field === "protocol" || e.field === "nexthdr") return "l4proto";
      if (e.proto === "icmp" && e.field === "type") return "icmp-type";
      if (e.proto === "icmpv6" && e.field === "type") return "icmpv6-type";
      return e.field.endsWith("port") ? "number" : "other";
    default:
      return "other";
  }
}

/**
 * Protocol names as nft prints them: nft asks the host's protocol database
 * (getprotobynumber, /etc/protocols); these are a stock Debian node's names,
 * the same table the iptables writer's DEFAULT_RENDER uses for `-p` numbers.
 */
const PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map([
  ["1", "icmp"],
  ["4", "ipencap"],
  ["6", "tcp"],
  ["17", "udp"],
  ["58", "ipv6-icmp"],
  ["132", "sctp"],
]);

// nft's icmp_type_tbl / icmp6_type_tbl (src/proto.c): numbers it prints by name.
const ICMP_TYPES: ReadonlyMap<string, string> = new Map([
  ["0", "echo-reply"],
  ["3", "destination-unreachable"],
  ["4", "source-quench"],
  ["5", "redirect"],
  ["8", "echo-request"],
  ["9", "router-advertisement"],
  ["10", "router-solicitation"],
  ["11", "time-exceeded"],
  ["12", "parameter-problem"],
  ["13", "timestamp-request"],
  ["14", "timestamp-reply"],
  ["15", "info-request"],
  ["16", "info-reply"],
  ["17", "address-mask-request"],
  ["18", "address-mask-reply"],
]);
const ICMPV6_TYPES: ReadonlyMap<string, string> = new Map([
  ["1", "destination-unreachable"],
  ["2", "packet-too-big"],
  ["3", "time-exceeded"],
  ["4", "parameter-problem"],
  ["128", "echo-request"],
  ["129", "echo-reply"],
  ["130", "mld-listener-query"],
  ["131", "mld-listener-report"],
  ["132", "mld-listener-done"],
  ["133", "nd-router-solicit"],
  ["134", "nd-router-advert"],
  ["135", "nd-neighbor-solicit"],
  ["136", "nd-neighbor-advert"],
  ["137", "nd-redirect"],
  ["138", "router-renumbering"],
  ["141", "ind-neighbor-solicit"],
  ["142", "ind-neighbor-advert"],
  ["143", "mld2-listener-report"],
]);

// ct state bits in nft's order (ct_state_tbl: invalid 1, established 2, related 4, new 8, untracked 64):
// nft lists a flag set in bit order, so `related,established` lists as `established,related` (§B.4).
const CT_STATE_ORDER: readonly string[] = ["invalid", "established", "related", "new", "untracked"];

/** One value of a match's right-hand side, as nft lists it. */
export function listedValue(left: NftExpr, value: string): string {
  switch (valueType(left)) {
    case "mark":
      return "0x" + (Number(value) >>> 0).toString(16).padStart(8, "0");
    case "ct-state": {
      const words = new Set(value.split(","));
      return CT_STATE_ORDER.filter((w) => words.has(w)).join(",");
    }
    case "ifname":
      return `"${value}"`;
    case "l4proto":
      return PROTOCOL_NAMES.get(value) ?? value;
    case "icmp-type":
      return ICMP_TYPES.get(value) ?? value;
    case "icmpv6-type":
      return ICMPV6_TYPES.get(value) ?? value;
    default:
      return value;
  }
}

/**
 * A numeric sort key for one anonymous-set item (an address, prefix, port or
 * range); nft keeps interval sets ordered by their start in the kernel.
 */
function itemKey(item: string): bigint {
  const start = item.split("/")[0]!.split("-")[0]!;
  if (/^\d+$/.test(start)) return BigInt(start);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(start)) return start.split(".").reduce((a, o) => (a << 8n) | BigInt(o), 0n);
  return ipv6Key(start) ?? 0n;
}

function ipv6Key(a: string): bigint | null {
  if (!a.includes(":")) return null;
  const [head, tail] = a.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An anonymous set as nft lists it: one item collapses to the bare value; more are sorted `{ a, b }` (§A.8). */
export function listedAnonSet(left: NftExpr, items: readonly string[]): string {
  const listed = items.map((i) => listedValue(left, i));
  if (listed.length === 1) return listed[0]!;
  const keyed = items.map((item, i) => ({ key: itemKey(item), text: listed[i]! }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `{ ${keyed.map((k) => k.text).join(", ")} }`;
}
