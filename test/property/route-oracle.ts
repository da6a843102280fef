// Independent oracles over a generated IpamCase (ipam-arb.ts) and the route
// files compiled from it (route-walk.ts reads them):
//   - which blocks each node owns in the route programmer's view, i.e. where
//     its blackholes must be (calico-routes §2.3 rule 1, §2.4, §2.7, §5.2);
//   - whether a probe flow (and its reply) gets where it is going over a set
//     of route files, and which lines it takes.
import type { Flow, FlowEndpoint } from "../../src/semantics/index.js";
import { encapOf, ipToInt, intToIp, type IpamCase } from "./ipam-arb.js";
import { arrived, hostOf, walk, workloadIface, type LineRef, type Network, type NodeTable, type WalkEnd } from "./route-walk.js";

export type Programmer = "bird" | "felix";

/** Who programs a pool's routes (§0): VXLAN is always Felix's, plain BGP always BIRD's, IPIP the option's. */
export function programmerOfPool(c: IpamCase, pool: number, option: Programmer): Programmer {
  const encap = encapOf(c.pools[pool]!.mode);
  return encap === "vxlan" ? "felix" : encap === null ? "bird" : option;
}

const alignedBlock = (c: IpamCase, ip: string): { pool: number; cidr: string } | null => {
  const a = ipToInt(ip);
  const pool = c.pools.findIndex((p) => a >= p.network && a < p.network + 2 ** 16);
  if (pool < 0) return null;
  const size = 2 ** (32 - c.pools[pool]!.blockSize);
  return { pool, cidr: `${intToIp(Math.floor(a / size) * size)}/${c.pools[pool]!.blockSize}` };
};

interface Use {
  readonly address: number;
  readonly node: string;
  readonly pod: boolean;
}

/**
 * §5.2's owner of an inferred block, by the first rule that decides: (a) the
 * only node with a tunnel address in it, (b) the most pods, (c) the lowest
 * address among the tied nodes, (d) the smallest name.
 */
function inferredOwner(uses: readonly Use[]): string {
  const tunnelNodes = [...new Set(uses.filter((u) => !u.pod).map((u) => u.node))];
  if (tunnelNodes.length === 1) return tunnelNodes[0]!;
  let tied = [...new Set(uses.map((u) => u.node))];
  const pods = (n: string): number => uses.filter((u) => u.pod && u.node === n).length;
  const top = Math.max(...tied.map(pods));
  tied = tied.filter((n) => pods(n) === top);
  if (tied.length === 1) return tied[0]!;
  const lowest = [...uses].sort((x, y) => x.address - y.address).find((u) => tied.includes(u.node));
  return lowest?.node ?? [...tied].sort()[0]!;
}

/** Inferred plan: candidate blocks from pod and annotated tunnel addresses; a node's inferred tunnel outside all of them claims its block. */
function inferredOwners(c: IpamCase, tables: ReadonlyMap<string, NodeTable>): Map<string, string> {
  const uses = new Map<string, Use[]>();
  const add = (ip: string, node: string, pod: boolean): void => {
    const b = alignedBlock(c, ip);
    if (b) uses.set(b.cidr, [...(uses.get(b.cidr) ?? []), { address: ipToInt(ip), node, pod }]);
  };
  for (const p of c.shape.pods) if (p.kind === "endpoint" && p.ip && p.node) add(p.ip, p.node, true);
  for (const n of c.nodes) {
    if (n.ipip && n.annotate.ipip) add(n.ipip, n.name, false);
    if (n.vxlan && n.annotate.vxlan) add(n.vxlan, n.name, false);
  }
  const owners = new Map([...uses].map(([cidr, us]) => [cidr, inferredOwner(us)] as const));
  for (const t of tables.values()) {
    for (const a of t.addrs.values()) {
      const b = alignedBlock(c, a);
      if (b && !owners.has(b.cidr)) owners.set(b.cidr, t.node);
    }
  }
  return owners;
}

/** Per node, the block CIDRs it must blackhole: the blocks it owns in the view of whoever programs each pool. */
export function expectedBlackholes(c: IpamCase, option: Programmer, tables: ReadonlyMap<string, NodeTable>): Map<string, Set<string>> {
  const out = new Map(c.nodes.map((n) => [n.name, new Set<string>()] as const));
  // Neither BIRD nor Felix blackholes a /32 block (§2.3 rule 1, §2.4).
  const own = (node: string | null | undefined, cidr: string): void => void (node && !cidr.endsWith("/32") && out.get(node)?.add(cidr));
  if (c.objects === "none") {
    for (const [cidr, node] of inferredOwners(c, tables)) own(node, cidr);
    return out;
  }
  for (const b of c.blocks) {
    if (programmerOfPool(c, b.pool, option) === "felix") own(b.affinity, b.cidr);
    // BIRD: the node's confirmed or pendingDeletion BlockAffinity (deleted ones are not listed); without BlockAffinity objects, the block's host: affinity.
    else if (c.objects === "blocks") own(b.affinity, b.cidr);
    else for (const a of b.claims) if (!a.deleted && a.state !== "pending") own(a.node, b.cidr);
  }
  return out;
}

/** The nodes' tables and the endpoint pods' places (interfaces by Felix's naming recipe). */
export function networkOf(c: IpamCase, tables: ReadonlyMap<string, NodeTable>): Network {
  const pods = new Map<string, { node: string; iface: string }>();
  for (const p of c.shape.pods) if (p.kind === "endpoint" && p.ip && p.node) pods.set(p.ip, { node: p.node, iface: workloadIface(p.namespace, p.name) });
  return { tables, pods };
}

const ipOf = (e: FlowEndpoint): string => (e.kind === "pod" ? (e.pod.ips.find((ip) => !ip.includes(":")) ?? "") : e.ip);

/** Where a packet from `src` to `dst` starts its walk: the pod's or host's node; from outside, the destination pod's node (it comes in on the uplink). */
function startOf(net: Network, src: FlowEndpoint, dst: FlowEndpoint): string | null {
  const s = net.pods.get(ipOf(src))?.node ?? hostOf(net, ipOf(src));
  return s ?? net.pods.get(ipOf(dst))?.node ?? null;
}

export interface Delivery {
  readonly ok: boolean;
  /** Where the walk that failed ended (the flow's, else its reply's). */
  readonly end: WalkEnd | null;
  readonly reply: boolean;
  readonly used: readonly LineRef[];
}

/** Whether the flow's first packet and its reply both arrive, walking `net`; the lines both walks used. */
export function delivery(net: Network, f: Flow): Delivery {
  const used: LineRef[] = [];
  for (const [src, dst, reply] of [[f.src, f.dst, false], [f.dst, f.src, true]] as const) {
    const from = startOf(net, src, dst);
    if (from === null) throw new Error(`no start node for ${ipOf(src)} → ${ipOf(dst)}`);
    const w = walk(net, from, ipOf(dst));
    used.push(...w.used);
    if (!arrived(net, ipOf(dst), w.end)) return { ok: false, end: w.end, reply, used };
  }
  return { ok: true, end: null, reply: false, used };
}

/**
 * Every pod and every node's host to every pod, and back, over `net`: each
 * packet must arrive, crossing at most its source's and its destination's
 * node (calico-routes §2.3–§2.7: a route names the node that holds the
 * address, never a relay). The one exception is a /32 block whose address
 * lives on another node than the block's: BIRD hears it from both, Felix's
 * resolver keeps the block's route (l3_route_resolver.go routesFromBlock
 * writes the block route last under the same key), so others send it to the
 * block's node, which relays it.
 */
export function indirectPaths(c: IpamCase, net: Network): string[] {
  const relayed = new Set(c.blocks.filter((b) => b.cidr.endsWith("/32") && b.allocations.some((a) => a.node !== b.affinity)).map((b) => b.allocations[0]!.address));
  const pods = [...net.pods.entries()];
  const problems: string[] = [];
  const check = (from: string, dst: string, what: string, direct: boolean): void => {
    const w = walk(net, from, dst);
    if (!arrived(net, dst, w.end)) problems.push(`${what}: ends ${JSON.stringify(w.end)} after ${w.nodes.join(" → ")}`);
    else if (direct && w.nodes.length > 2) problems.push(`${what}: relayed ${w.nodes.join(" → ")}`);
  };
  for (const [dst, place] of pods) {
    const direct = !relayed.has(dst);
    for (const [src, from] of pods) if (src !== dst) check(from.node, dst, `${src} → ${dst}`, direct);
    for (const t of net.tables.values()) {
      check(t.node, dst, `host ${t.node} → ${dst}`, direct);
      check(place.node, t.ip, `${dst} → host ${t.node}`, true);
    }
  }
  return problems;
}
