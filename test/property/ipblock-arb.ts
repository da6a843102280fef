// Random valid ipBlocks for a cluster shape. CIDRs are drawn from addresses
// that matter to the cluster (pod IPs, node blocks, node addresses, the pool)
// plus a documentation range and 0.0.0.0/0, so blocks and excepts often
// contain pod and node IPs (netpol-semantics §4: ipBlock applies to pod IPs).
// Every except is a strict subset of its cidr (validation B4): a longer
// prefix around an address inside the cidr's network.
import fc from "fast-check";
import type { ClusterShape } from "./cluster-arb.js";
import type { YamlValue } from "./yaml.js";

function toInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

function network(addr: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(addr / size) * size;
}

interface Cidr4 {
  readonly text: string;
  readonly addr: number;
  readonly prefix: number;
}

function cidr(text: string): Cidr4 {
  const [ip, len] = text.split("/");
  return { text, addr: toInt(ip ?? ""), prefix: Number(len) };
}

/** CIDRs worth blocking in this cluster; some with host bits set (valid, only warned about: validation B5). */
export function candidateCidrs(shape: ClusterShape): Cidr4[] {
  const podIps = shape.pods.flatMap((p) => (p.ip && p.kind !== "hostNetwork" ? [p.ip] : []));
  const texts = [
    ...podIps.flatMap((ip) => [`${ip}/32`, `${ip}/24`, `${ip}/30`]),
    ...shape.nodes.flatMap((n) => [`${n.tunnel}/26`, `${n.ip}/32`]),
    "192.168.0.0/16",
    "192.168.1.0/24",
    "10.0.0.0/24",
    "0.0.0.0/0",
    "203.0.113.0/24",
  ];
  // Sorted for determinism of the arbitrary (same seed → same case).
  return [...new Set(texts)].sort().map(cidr);
}

/** Interesting addresses inside `c`: pod and node IPs first, else `c`'s first address. */
function insideAddresses(shape: ClusterShape, c: Cidr4): number[] {
  const net = network(c.addr, c.prefix);
  const size = 2 ** (32 - c.prefix);
  const known = [...shape.pods.flatMap((p) => (p.ip ? [p.ip] : [])), ...shape.nodes.map((n) => n.ip)].map(toInt);
  const inside = [...new Set(known.filter((a) => a >= net && a < net + size))].sort((a, b) => a - b);
  return inside.length ? inside : [net];
}

function exceptArb(shape: ClusterShape, c: Cidr4): fc.Arbitrary<string> {
  return fc
    .record({
      addr: fc.constantFrom(...insideAddresses(shape, c)),
      prefix: fc.integer({ min: c.prefix + 1, max: 32 }),
      masked: fc.boolean(),
    })
    .map(({ addr, prefix, masked }) => `${toIp(masked ? network(addr, prefix) : addr)}/${prefix}`);
}

export function blockArb(shape: ClusterShape): fc.Arbitrary<YamlValue> {
  const v4 = fc.constantFrom(...candidateCidrs(shape)).chain((c) => {
    if (c.prefix === 32) return fc.constant<YamlValue>({ cidr: c.text });
    return fc
      .option(fc.uniqueArray(exceptArb(shape, c), { minLength: 1, maxLength: 2 }), { nil: undefined })
      .map((except): YamlValue => (except ? { cidr: c.text, except } : { cidr: c.text }));
  });
  // IPv6 blocks are valid but match no IPv4 pod (netpol-semantics §4).
  const v6 = fc.constantFrom<YamlValue>({ cidr: "fd00::/64" }, { cidr: "::/0", except: ["fd00::/64"] });
  return fc.oneof({ weight: 15, arbitrary: v4 }, { weight: 1, arbitrary: v6 });
}
