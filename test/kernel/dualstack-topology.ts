// The IPv6 half of a dual-stack topology (topology.ts calls these when the
// snapshot gives pods IPv6 addresses). Pod side as Calico's CNI sets it up
// (spec ipv6-and-policy §A7): `<podIPv6>/128` on eth0 with DAD off, and
// `default via fe80::ecee:eeff:feee:eeee dev eth0` — the EUI-64 link-local of
// the host-side veth, whose MAC is ee:ee:ee:ee:ee:ee. Host side: accept_dad=0,
// proxy_ndp=1, forwarding=1, accept_ra=0 on the cali veth, and the route
// `<podIPv6>/128 dev cali…`. Between nodes (the "harness" routing mode, as for
// IPv4): a blackhole for each of the node's own /122 blocks and a route to each
// of the other nodes' /122 blocks via that node's IPv6 uplink address, which is
// what BIRD programs on a directly connected BGP-native node (§A7: `<block>/122
// via <next hop> dev <uplink> proto bird`). netpolc's own IPv6 routes stay unused.
import type { NodeSpec, PodSpec, TopologySpec } from "./snapshot.js";

/** The pod's IPv6 default gateway: the EUI-64 link-local address of the host veth's MAC ee:ee:ee:ee:ee:ee. */
export const HOST_VETH_LINK_LOCAL = "fe80::ecee:eeff:feee:eeee";
/** Calico's default IPv6 block size (spec ipv6-and-policy §A1). */
export const BLOCK6_PREFIX = 122;

/** Whether the snapshot is dual-stack for the harness: some pod has an IPv6 address. */
export const isDualStack = (spec: TopologySpec): boolean => spec.pods.some((p) => p.ip6 !== undefined);

/** Parse an IPv6 address into a 128-bit integer (throws on anything else). */
export function ip6ToBigInt(ip: string): bigint {
  if (ip.includes(".")) throw new Error(`${ip}: embedded IPv4 is not supported here`);
  const halves = ip.split("::");
  if (halves.length > 2) throw new Error(`${ip}: not an IPv6 address`);
  const words = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) throw new Error(`${ip}: not an IPv6 address`);
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  return all.reduce((acc, w) => {
    if (!/^[0-9a-f]{1,4}$/i.test(w)) throw new Error(`${ip}: not an IPv6 address`);
    return (acc << 16n) | BigInt(parseInt(w, 16));
  }, 0n);
}

/** RFC 5952 text of a 128-bit integer (lower case, the longest run of ≥ 2 zero words compressed). */
export function bigIntToIp6(n: bigint): string {
  const w = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  return best.at < 0 ? hex(w) : `${hex(w.slice(0, best.at))}::${hex(w.slice(best.at + best.len))}`;
}

/** The /122 block holding an IPv6 address, e.g. fd00:10:244::51 → fd00:10:244::40/122. */
export function block6Of(ip: string, prefix = BLOCK6_PREFIX): string {
  const host = 128n - BigInt(prefix);
  return `${bigIntToIp6((ip6ToBigInt(ip) >> host) << host)}/${prefix}`;
}

/** Each node's IPv6 blocks (those its pods' addresses fall in); a block with pods of two nodes is refused. */
export function blocks6(spec: TopologySpec): Map<string, string[]> {
  const owner = new Map<string, string>();
  for (const p of spec.pods) {
    if (p.ip6 === undefined) continue;
    const b = block6Of(p.ip6);
    const had = owner.get(b);
    if (had !== undefined && had !== p.node) throw new Error(`IPv6 block ${b} holds pods of ${had} and ${p.node}: the harness routes whole blocks to one node`);
    owner.set(b, p.node);
  }
  const byNode = new Map<string, string[]>(spec.nodes.map((n) => [n.name, []]));
  for (const [b, n] of owner) byNode.get(n)!.push(b);
  return byNode;
}

/** The address plan the harness can wire: every node has an IPv6 uplink address when any pod has an IPv6 address. */
export function checkAddresses6(spec: TopologySpec): void {
  if (!isDualStack(spec)) return;
  for (const n of spec.nodes) {
    if (n.ip6 === undefined) throw new Error(`node ${n.name}: a dual-stack topology needs the projectcalico.org/IPv6Address annotation`);
    ip6ToBigInt(n.ip6);
  }
  blocks6(spec);
}

/** Sysctls of a namespace before any of its links exists: new interfaces start without DAD, so no address is ever tentative. */
export const NAMESPACE_SYSCTLS6: Readonly<Record<string, string>> = {
  "net.ipv6.conf.default.accept_dad": "0",
  "net.ipv6.conf.all.accept_dad": "0",
  "net.ipv6.conf.default.accept_ra": "0",
};

/** The node's IPv6 uplink address (its /64 makes the peers on-link) and forwarding. */
export function nodeLines6(node: NodeSpec): string[] {
  return node.ip6 === undefined ? [] : [`address add ${node.ip6}/${node.prefixLength6 ?? 64} dev eth0 nodad`];
}

export const NODE_SYSCTLS6: Readonly<Record<string, string>> = {
  // Writing all.forwarding also sets default.forwarding, so the pods' veths created later forward too.
  "net.ipv6.conf.all.forwarding": "1",
};

/** Pod namespace: the /128 on eth0 (DAD off), and the default route via the host veth's link-local. */
export function podLines6(pod: PodSpec): string[] {
  if (pod.ip6 === undefined) return [];
  return [`address add ${pod.ip6}/128 dev eth0 nodad`, `route add ::/0 via ${HOST_VETH_LINK_LOCAL} dev eth0`];
}

/** Node namespace, host side of the pod's veth: the /128 route Felix programs (proto boot, no metric). */
export function hostLines6(pod: PodSpec): string[] {
  return pod.ip6 === undefined ? [] : [`route add ${pod.ip6}/128 dev ${pod.iface}`];
}

/** Host veth sysctls as Calico's CNI writes them (and Felix re-asserts), §A7. */
export function hostSysctls6(pod: PodSpec): Record<string, string> {
  if (pod.ip6 === undefined) return {};
  const c = `net.ipv6.conf.${pod.iface}`;
  return { [`${c}.accept_dad`]: "0", [`${c}.disable_ipv6`]: "0", [`${c}.proxy_ndp`]: "1", [`${c}.forwarding`]: "1", [`${c}.accept_ra`]: "0" };
}

/** Blackholes for the node's own blocks, routes to every other node's blocks via its IPv6 uplink address. */
export function nodeRoutes6(self: NodeSpec, spec: TopologySpec): string[] {
  if (!isDualStack(spec)) return [];
  const blocks = blocks6(spec);
  const lines = (blocks.get(self.name) ?? []).map((b) => `route add blackhole ${b}`);
  for (const peer of spec.nodes) {
    if (peer === self) continue;
    for (const b of blocks.get(peer.name) ?? []) lines.push(`route add ${b} via ${peer.ip6!} dev eth0`);
  }
  return lines;
}
