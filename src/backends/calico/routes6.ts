// A node's IPv6 routes (spec ipv6-and-policy §A7), read off the same address
// plan as the IPv4 ones (Cluster.addressing: IPv6 blocks are resolved there
// like IPv4 blocks, exact from IPAM objects or inferred per calico-routes §5.2).
//
// Who programs what:
//   Felix: `<pod v6>/128 dev cali…` for each local workload (endpoint_mgr.go);
//   BIRD:  everything else, BGP-native. IPIP is never used for IPv6 (Calico
//          refuses it on a v6 pool, and bird6.cfg has no krt_tunnel), so
//          there is no route programmer option here: a v6 block is always
//          BIRD's — its blackhole on the nodes with an affinity, its route via
//          the advertising node elsewhere, and every address held outside the
//          holder's confirmed blocks as a /128 from where it lives (§2.3, as
//          for IPv4).
// VXLANv6 pools (opt-in, Felix's vxlan-v6.calico device) are not modelled: BIRD
// rejects them from kernel programming and netpolc does not render Felix's
// routes for them yet, so their blocks give no route here.
import { memoTable, type Compilation } from "../../compilation.js";
import { parseIP } from "../../frontend/validation/ip.js";
import type { IPPool, Node } from "../../ir/cluster.js";
import type { AddressBlock } from "../../ir/ipam.js";
import type { RouteCommand } from "../../rules/routes.js";
import type { RouteOptions } from "./routes.js";
import type { Workload } from "./workloads.js";

/** BIRD's protocol name for the routes it exports to the kernel (rt_protos 12). */
const BIRD = "bird";

type Route6 = Extract<RouteCommand, { kind: "via" | "dev" | "blackhole" }>;

/** A destination some node serves, reached via that node's IPv6 address. */
interface Remote6 {
  readonly cidr: string;
  readonly target: string;
}

/** A block with an affinity for `node`, blackholed there. */
interface Blackhole6 {
  readonly cidr: string;
  readonly node: string;
}

interface Plan6 {
  readonly remotes: readonly Remote6[];
  readonly blackholes: readonly Blackhole6[];
}

const isV6Block = (b: AddressBlock): boolean => b.cidr.includes(":");

/** One IPv6 block as BIRD programs it (calico-routes §2.3, the IPv4 birdBlock with /128 host routes). */
function birdBlock6(b: AddressBlock, pool: IPPool | null, out: { remotes: Remote6[]; blackholes: Blackhole6[] }): void {
  // A /128 block is one address: its host route is the workload's own, never a blackhole.
  if (!b.cidr.endsWith("/128")) for (const a of b.affinities) out.blackholes.push({ cidr: b.cidr, node: a.node });
  // Routes outside every pool are not exported at all (§2.3 rule 3).
  if (!pool) return;
  const advertiser = b.affinities.find((a) => a.state === "confirmed") ?? b.affinities[0];
  if (advertiser) out.remotes.push({ cidr: b.cidr, target: advertiser.node });
  const confirmed = new Set(b.affinities.filter((a) => a.state === "confirmed").map((a) => a.node));
  for (const x of b.addresses) {
    if (x.node === null || x.use === "allocation" || confirmed.has(x.node)) continue;
    out.remotes.push({ cidr: `${x.address}/128`, target: x.node });
  }
}

function planRoutes6(blocks: readonly AddressBlock[], pools: readonly IPPool[]): Plan6 {
  const byName = new Map(pools.map((p) => [p.name, p] as const));
  const out = { remotes: [] as Remote6[], blackholes: [] as Blackhole6[] };
  for (const b of blocks) {
    if (!isV6Block(b)) continue;
    const pool = b.pool === null ? null : (byName.get(b.pool) ?? null);
    if (pool && pool.vxlanMode !== "Never") continue; // VXLANv6: Felix's, not modelled (file comment).
    birdBlock6(b, pool, out);
  }
  return out;
}

/** The IPv6 route plan, once per compilation: every node's routes are read off it. */
const ROUTE_PLAN6 = memoTable<"bird", Plan6>("calico/route-plan6");

function routePlan6(comp: Compilation): Plan6 {
  return comp.memo(ROUTE_PLAN6, "bird", () => planRoutes6(comp.model.cluster.addressing.blocks, comp.model.cluster.pools));
}

/** Numeric order of IPv6 prefixes (network, then length); each key parsed once, not per comparison. */
function sortByCidr<T extends { readonly cidr: string }>(xs: readonly T[]): T[] {
  const keyed = xs.map((x) => {
    const [addr = "", len = "128"] = x.cidr.split("/");
    return { x, v: parseIP(addr)?.value ?? 0n, len: Number(len) };
  });
  keyed.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.len - b.len));
  return keyed.map((k) => k.x);
}

/**
 * Felix's route to a local workload's IPv6 address. `scope link` as for IPv4:
 * Felix asks for RT_SCOPE_LINK on a workload route whatever the family
 * (felix/routetable/route_table.go Target.RouteScope: a target without a type),
 * and `ip` accepts it, but the IPv6 FIB keeps no scope (the kernel reports every
 * IPv6 route as scope global and `ip -6 route` prints none; test/kernel/routes6.test.ts),
 * so the word changes nothing there; keeping it keeps one shape of device route
 * in the model, the writer and the parser (which already reads a bare IPv6
 * device route as `scope link`).
 */
const deviceRoute = (w: Workload & { readonly ip6: string }): Route6 => ({ kind: "dev", cidr: `${w.ip6}/128`, dev: w.iface, scope: "link", proto: null, metric: null });

/**
 * The node's IPv6 `ip -batch` commands, in this order: Felix's `/128` device
 * route to each local workload with an IPv6 address (by address), BIRD's
 * blackhole for each IPv6 block the node has an affinity for (by block), then
 * BIRD's route to every other node's IPv6 blocks and borrowed addresses, `via`
 * that node's IPv6 address `dev <uplink>` (by destination). One route per
 * destination, the first kept (Felix's workload route, then BIRD's static
 * blackhole, then a BGP-learned route: calico-routes §2.3, §4).
 *
 * BGP runs only between nodes with IPv6 addresses (bird6.cfg.template: "IPv6
 * disabled on this node" without one, a mesh peer without one is skipped), so
 * a node without `ip6` learns no remote route, and a peer without `ip6`
 * advertises none: its blocks and addresses get no route here. A node and
 * cluster without IPv6 addresses or pools get `[]`.
 *
 * Not yet part of renderCalicoNode; the caller appends these to the IPv4 routes.
 */
export function buildRoutes6(comp: Compilation, nodeName: string, local: readonly Workload[], opts: RouteOptions): RouteCommand[] {
  const { cluster } = comp.model;
  const plan = routePlan6(comp);
  const nodes = new Map<string, Node>(cluster.nodes.map((n) => [n.name, n] as const));
  const selfIp6 = nodes.get(nodeName)?.ip6 ?? null;
  const taken = new Set<string>();
  const take = (r: Route6): Route6[] => (taken.has(r.cidr) ? [] : (taken.add(r.cidr), [r]));
  // Sorted for determinism: by address, whatever order the workloads came in.
  const mine = local.filter((w): w is Workload & { readonly ip6: string } => w.ip6 !== null);
  const devices = sortByCidr(mine.map(deviceRoute)).flatMap(take);
  const holes = sortByCidr(plan.blackholes.filter((b) => b.node === nodeName))
    .map((b): Route6 => ({ kind: "blackhole", cidr: b.cidr, proto: BIRD }))
    .flatMap(take);
  const remote = selfIp6 === null ? [] : plan.remotes.flatMap((r): Route6[] => {
    const via = r.target === nodeName ? null : (nodes.get(r.target)?.ip6 ?? null);
    return via === null ? [] : [{ kind: "via", cidr: r.cidr, via, dev: opts.uplink, proto: BIRD, onlink: false, mtu: null }];
  });
  return [...devices, ...holes, ...sortByCidr(remote).flatMap(take)];
}
