// The IPv6 half of a dual-stack topology (topology.ts calls these when the
// snapshot gives pods IPv6 addresses). Pod side as Calico's CNI sets it up
// (spec ipv6-and-policy §A7): `<podIPv6>/128` on eth0 with DAD off, and
// `default via fe80::ecee:eeff:feee:eeee dev eth0` — the EUI-64 link-local of
// the host-side veth, whose MAC is ee:ee:ee:ee:ee:ee. Host side: accept_dad=0,
// proxy_ndp=1, forwarding=1, accept_ra=0 on the cali veth. The node side gets
// NO IPv6 route from the harness (hostLines6 and nodeRoutes6 are empty): the
// suite loads the IPv6 lines of netpolc's own `<node>.routes` (loadRoutes6 —
// the pods' `/128 dev cali…`, a blackhole for the node's own /122 and each
// other node's /122 via that node's IPv6 uplink address, §A7) with
// `ip -n <node ns> -batch -`, and they alone carry the IPv6 packets between
// pods. The IPv4 lines of the same file need tunl0 (no ipip module on this
// kernel), so the IPv4 side stays the harness's ("harness" routing).
import { parseRoutes } from "../../src/rules/route-parser.js";
import type { RouteCommand } from "../../src/rules/routes.js";
import type { NodeSpec, PodSpec, TopologySpec } from "./snapshot.js";
import type { NsGuard } from "./sys.js";

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

/** Node namespace, host side of the pod's veth: no route — the pod's `/128 dev cali…` is the emitted `.routes` file's (loadRoutes6). */
export function hostLines6(_pod: PodSpec): string[] {
  return [];
}

/** Host veth sysctls as Calico's CNI writes them (and Felix re-asserts), §A7. */
export function hostSysctls6(pod: PodSpec): Record<string, string> {
  if (pod.ip6 === undefined) return {};
  const c = `net.ipv6.conf.${pod.iface}`;
  return { [`${c}.accept_dad`]: "0", [`${c}.disable_ipv6`]: "0", [`${c}.proxy_ndp`]: "1", [`${c}.forwarding`]: "1", [`${c}.accept_ra`]: "0" };
}

/** Routes between the nodes: none from the harness — the blackholes and the peers' blocks are the emitted `.routes` file's (loadRoutes6). */
export function nodeRoutes6(_self: NodeSpec, _spec: TopologySpec): string[] {
  return [];
}

// ---------------------------------------------------------------------------
// The emitted IPv6 routes: the IPv6 lines of a node's `<node>.routes`.

/** The destination of a `route add|replace [blackhole] <dst> …` line, else null. */
const routeDst = (line: string): string | null => /^route\s+(?:add|replace|append)\s+(?:blackhole\s+|unicast\s+)?(\S+)/.exec(line)?.[1] ?? null;

/**
 * The IPv6 lines of a `.routes` file, in file order: every `route` line whose
 * destination is an IPv6 prefix. Any other line mentioning an IPv6 address
 * (an address, a neighbour…) is not something this suite knows how to load,
 * and is refused rather than silently dropped.
 */
export function routeLines6(text: string): string[] {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const out: string[] = [];
  for (const l of lines) {
    const dst = routeDst(l);
    if (dst !== null && dst.includes(":")) out.push(l);
    // Colons left once MAC addresses are taken out are an IPv6 address.
    else if (dst === null && l.replace(/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi, "").includes(":")) throw new Error(`an IPv6 line that is not a route: ${l}`);
  }
  return out;
}

/** Why the kernel refused an emitted IPv6 route line: `ip -batch`'s exit, message and the line it names. */
export class Routes6Rejected extends Error {}

/** `ip -n <ns> -batch -` with the IPv6 lines of the node's `.routes` (`label` names the file in errors); returns the lines loaded. */
export async function loadRoutes6(g: NsGuard, ns: string, routesText: string, label: string): Promise<string[]> {
  const lines = routeLines6(routesText);
  if (!lines.length) throw new Error(`${label}.routes has no IPv6 route`);
  const r = await g.tryIp(ns, ["-batch", "-"], lines.join("\n") + "\n");
  if (r.code !== 0) {
    const n = Number(/Command failed -:(\d+)/.exec(r.stderr)?.[1] ?? 0);
    const at = n > 0 && lines[n - 1] !== undefined ? `\n  line: ${lines[n - 1]}` : "";
    throw new Routes6Rejected(`${label}.routes (IPv6 lines): ip -batch exited ${r.code}: ${r.stderr.trim()}${at}`);
  }
  return lines;
}

/**
 * How `ip -6 route show` prints an emitted route once the kernel holds it
 * (as routes6.test.ts): no `/128` on a host route, no proto for ip's default
 * `boot`, blackholes on `lo`, IPv6's default metric 1024, and no scope (the
 * IPv6 FIB keeps `scope link` as global).
 */
export function shown6(c: RouteCommand, uplink: string): string {
  const dst = (cidr: string): string => (cidr.endsWith("/128") ? cidr.slice(0, -4) : cidr);
  const proto = (p: string | null): string => (p === null ? "" : ` proto ${p}`);
  const tail = ` metric ${"metric" in c && c.metric !== null ? c.metric : 1024} pref medium`;
  switch (c.kind) {
    case "dev":
      return `${dst(c.cidr)} dev ${c.dev}${proto(c.proto)}${tail}`;
    case "blackhole":
      return `blackhole ${dst(c.cidr)} dev lo${proto(c.proto)}${tail}`;
    case "via":
      return `${dst(c.cidr)} via ${c.via} dev ${c.dev ?? uplink}${proto(c.proto)}${tail}`;
    default:
      throw new Error(`not a route: ${c.kind}`);
  }
}

/** What `ip -6 route show` must list (less `proto kernel` routes) once the IPv6 lines are loaded, read by netpolc's own parser. */
export function expectedRoutes6(routesText: string, label: string, uplink = "eth0"): string[] {
  const parsed = parseRoutes(routeLines6(routesText).join("\n") + "\n", { file: `${label}.routes` });
  if (parsed.diagnostics.length) throw new Error(`netpolc's parser rejects the IPv6 lines of its own ${label}.routes: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  return parsed.commands.map((c) => shown6(c, uplink)).sort();
}

/** The namespace's IPv6 main table as `ip -6 route show` prints it, less the routes the kernel made for addresses and links (`proto kernel`). */
export async function heldRoutes6(g: NsGuard, ns: string): Promise<string[]> {
  return (await g.ip(ns, ["-6", "route", "show"]))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/ proto kernel /.test(l))
    .sort();
}

/** The `via` next hops of the IPv6 lines (each must be a peer node's eth0 address). */
export function nextHops6(routesText: string): string[] {
  return [...new Set(routeLines6(routesText).flatMap((l) => /\svia\s+(\S+)/.exec(l)?.[1] ?? []))];
}
