// Names nft prints for values (nft(8) "ICMP TYPE TYPE", "ICMPV6 TYPE TYPE") and the numbers iptables matches on.

const ICMP: ReadonlyMap<string, number> = new Map([
  ["echo-reply", 0], ["destination-unreachable", 3], ["source-quench", 4], ["redirect", 5], ["echo-request", 8],
  ["router-advertisement", 9], ["router-solicitation", 10], ["time-exceeded", 11], ["parameter-problem", 12],
  ["timestamp-request", 13], ["timestamp-reply", 14], ["info-request", 15], ["info-reply", 16],
  ["address-mask-request", 17], ["address-mask-reply", 18],
]);

const ICMPV6: ReadonlyMap<string, number> = new Map([
  ["destination-unreachable", 1], ["packet-too-big", 2], ["time-exceeded", 3], ["parameter-problem", 4],
  ["echo-request", 128], ["echo-reply", 129], ["mld-listener-query", 130], ["mld-listener-report", 131],
  ["mld-listener-done", 132], ["mld-listener-reduction", 132], ["nd-router-solicit", 133], ["nd-router-advert", 134],
  ["nd-neighbor-solicit", 135], ["nd-neighbor-advert", 136], ["nd-redirect", 137], ["router-renumbering", 138],
  ["ind-neighbor-solicit", 141], ["ind-neighbor-advert", 142], ["mld2-listener-report", 143],
]);

/** An ICMP / ICMPv6 type as nft writes it (a number or its name) → the number; null for an unknown name. */
export function icmpTypeNumber(proto: "icmp" | "icmpv6", value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value);
  return (proto === "icmp" ? ICMP : ICMPV6).get(value) ?? null;
}
