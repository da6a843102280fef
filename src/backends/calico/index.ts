// The Calico backend: a Model and a node name in, that node's Felix P27
// iptables tables, IP sets and routes out (spec felix-format, whole
// document; pipeline summary in §0). Pure: no I/O, no clock.
import { memoTable, type Compilation } from "../../compilation.js";
import type { NetworkPolicy } from "../../ir/policy.js";
import type { Chain, RuleSet } from "../../rules/types.js";
import type { IpSet } from "../../rules/ipset.js";
import { byteCompare } from "../../rules/writer.js";
import type { NodeOutput } from "../types.js";
import type { WorkloadPlace } from "../index.js";
import { dispatchChains } from "./dispatch.js";
import { endpointChain, policiesFor, policyChain, profileChain } from "./endpoints.js";
import { policyChainSuffix, profileOf, type CalicoVersion, type FelixProfile } from "./profile.js";
import { policyChainNameWith } from "./names.js";
import { buildIpSets } from "./ipsets.js";
import { isV6 } from "./ipv4.js";
import type { Direction } from "./names.js";
import type { CalicoOptions } from "./options.js";
import { buildRoutes, buildRoutes6, ipipTunnelOf, type NodeRoutes } from "./routes.js";
import { SetRegistry } from "./sets.js";
import { encapsulationOf, mangleChains, natChains, rawChains, staticFilterChains, vxlanTunnelOf } from "./static.js";
import type { StaticContext } from "./static.js";
import { allWorkloads, localWorkloads } from "./workloads.js";
import type { Profile, Workload } from "./workloads.js";

export { DEFAULT_CALICO_OPTIONS, renderOptionsOf } from "./options.js";
export type { CalicoOptions } from "./options.js";
export type { RouteProgrammer } from "./routes.js";
export { blockProgrammer } from "./routes.js";
export { DEVICE, MARK, isPolicyChain, policyChainName, workloadInterfaceName } from "./names.js";

/** A policy's chain name in the given Calico version's naming (App. B). */
export function policyChainNameIn(version: CalicoVersion, dir: Direction, namespace: string, k8sName: string): string {
  return policyChainNameWith(dir, policyChainSuffix(profileOf(version), namespace, k8sName));
}
export { optimizeCalicoNode, passesOf } from "./optimize/index.js";
export { renderCalicoNft } from "./nft/table.js";
export { calicoHasNftables } from "./nft/names.js";
export { nftNamePanics, type NftNamePanic } from "./nft/chain-names.js";

/** Every workload endpoint Felix programs (snapshot order), as verify's topology places pods. */
export function workloadPlaces(comp: Compilation, interfacePrefix: string): WorkloadPlace[] {
  return allWorkloads(comp, interfacePrefix).map((w) => ({ namespace: w.pod.namespace, pod: w.pod.name, node: w.pod.nodeName ?? "", iface: w.iface, ip: w.ip, ip6: w.ip6 }));
}

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/**
 * Endpoint chains for the local workloads plus every policy and profile chain
 * they jump to — and nothing else, since Felix only programs referenced
 * chains (§2.1): an ingress-only policy gets no cali-po chain.
 */
function workloadChains(comp: Compilation, local: readonly Workload[], sets: SetRegistry, profile: FelixProfile): Chain[] {
  const endpoints: Chain[] = [];
  const groups = new Map<string, Chain>();
  const policies: Record<Direction, Set<NetworkPolicy>> = { ingress: new Set(), egress: new Set() };
  const profiles: Record<Direction, Set<Profile>> = { ingress: new Set(), egress: new Set() };
  for (const w of local) {
    for (const dir of DIRECTIONS) {
      const selected = policiesFor(comp, w, dir, profile);
      endpoints.push(endpointChain(comp, w, dir, selected, null, profile, groups));
      for (const p of selected) policies[dir].add(p);
      for (const pr of w.profiles) profiles[dir].add(pr);
    }
  }
  // Sorted for determinism (the set registry fills in rendering order), by
  // "<dir> <ns>/<name>" and "<dir> <profile>" in byte order: egress sorts
  // before ingress, then the name (each policy's key computed once).
  const chains = [...endpoints];
  for (const dir of BY_NAME_ORDER) {
    const keyed = [...policies[dir]].map((p) => ({ p, key: `${p.namespace}/${p.name}` })).sort((a, b) => byteCompare(a.key, b.key));
    for (const { p } of keyed) chains.push(policyChain(comp, p, dir, sets, profile));
  }
  // Sorted for determinism (the writer sorts chains by name anyway).
  for (const name of [...groups.keys()].sort(byteCompare)) chains.push(groups.get(name)!);
  for (const dir of BY_NAME_ORDER) {
    for (const pr of [...profiles[dir]].sort((a, b) => byteCompare(a.name, b.name))) chains.push(profileChain(comp, pr, dir, profile));
  }
  return chains;
}

/** Directions in the byte order of their names ("egress" < "ingress"). */
const BY_NAME_ORDER: readonly Direction[] = ["egress", "ingress"];

/** Only the node's routes and VXLAN forwarding entries (what verify routes with, without building any rule). */
export function renderCalicoRoutes(comp: Compilation, nodeName: string, opts: CalicoOptions): NodeRoutes {
  const local = localWorkloads(comp, allWorkloads(comp, opts.interfacePrefix), nodeName);
  return nodeRoutes(comp, nodeName, local, opts);
}

/** The node's IPv4 routes, then (IPv6 on) its IPv6 routes (routes6.ts; ipv6-and-policy A7). */
function nodeRoutes(comp: Compilation, nodeName: string, local: readonly Workload[], opts: CalicoOptions): NodeRoutes {
  const v4 = buildRoutes(comp, nodeName, local, opts);
  return opts.ipv6 ? { routes: [...v4.routes, ...buildRoutes6(comp, nodeName, local, opts)], fdb: v4.fdb } : v4;
}

export function renderCalicoNode(comp: Compilation, nodeName: string, opts: CalicoOptions): NodeOutput {
  const { cluster } = comp.model;
  const all = allWorkloads(comp, opts.interfacePrefix);
  const local = localWorkloads(comp, all, nodeName);
  const encap = encapsulationOf(cluster.pools);
  const ipipEnabled = encap.ipip;
  const ctx: StaticContext = {
    opts,
    family: 4,
    ipipEnabled,
    hasTunnelAddress: ipipEnabled && ipipTunnelOf(cluster, nodeName) !== null,
    vxlanEnabled: encap.vxlan,
    hasVxlanTunnelAddress: vxlanTunnelOf(cluster, nodeName) !== null,
    natOutgoing: cluster.pools.some((p) => !isV6(p.cidr) && p.natOutgoing),
  };
  const v4 = familyTables(comp, ctx, local, all, nodeName);
  const v6 = opts.ipv6 ? familyTables(comp, ipv6Context(comp, opts), local, all, nodeName) : null;
  const { routes, fdb } = nodeRoutes(comp, nodeName, local, opts);
  return { node: nodeName, ruleset: v4.ruleset, ruleset6: v6?.ruleset ?? null, ipsets: [...v4.ipsets, ...(v6?.ipsets ?? [])], routes, fdb };
}

/**
 * The IPv6 twin's context (ipv6-and-policy A1, A2): IPIP is IPv4 only, VXLAN over IPv6 is not modelled, so no
 * tunnel rules and no tunnel MASQUERADE; cali-nat-outgoing when some IPv6 pool has natOutgoing.
 */
function ipv6Context(comp: Compilation, opts: CalicoOptions): StaticContext {
  const natOutgoing = comp.model.cluster.pools.some((p) => isV6(p.cidr) && p.natOutgoing);
  return { opts, family: 6, ipipEnabled: false, hasTunnelAddress: false, vxlanEnabled: false, hasVxlanTunnelAddress: false, natOutgoing };
}

interface StaticTables {
  readonly raw: readonly Chain[];
  readonly mangle: readonly Chain[];
  readonly nat: readonly Chain[];
  readonly filter: readonly Chain[];
}

// The static chains depend on the options (one set per compilation) and on what the context says of the node — the
// same on most nodes: built once per distinct context, so the renderer hashes and prints them once.
const STATIC_TABLES = memoTable<string, StaticTables>("calico/static-tables");

function staticTables(comp: Compilation, ctx: StaticContext): StaticTables {
  const key = [ctx.family, ctx.ipipEnabled, ctx.hasTunnelAddress, ctx.vxlanEnabled, ctx.hasVxlanTunnelAddress, ctx.natOutgoing].join(" ");
  return comp.memo(STATIC_TABLES, key, () => ({ raw: rawChains(ctx), mangle: mangleChains(ctx), nat: natChains(ctx), filter: staticFilterChains(ctx) }));
}

/**
 * One family's tables and sets. Felix renders both families with the same functions (A2): the same endpoint and
 * dispatch chains for every local workload (chains are per interface, not per address), policy chains whose CIDRs
 * are filtered to the family (A5), and sets named and filled per family (A6).
 */
function familyTables(comp: Compilation, ctx: StaticContext, local: readonly Workload[], all: readonly Workload[], nodeName: string): { ruleset: RuleSet; ipsets: IpSet[] } {
  const { opts, family } = ctx;
  const profile = profileOf(opts.calicoVersion, family, opts.flowLogs);
  const sets = new SetRegistry(family);
  const ifaces = local.map((w) => w.iface);
  const fixed = staticTables(comp, ctx);
  const filter = [...fixed.filter, ...dispatchChains("from", ifaces), ...dispatchChains("to", ifaces), ...workloadChains(comp, local, sets, profile)];
  const ruleset: RuleSet = {
    tables: [
      { name: "raw", chains: fixed.raw },
      { name: "mangle", chains: fixed.mangle },
      { name: "nat", chains: fixed.nat },
      { name: "filter", chains: filter },
    ],
  };
  const encap = encapsulationOf(comp.model.cluster.pools);
  return { ruleset, ipsets: buildIpSets(comp, all, sets.all(), { family, encap, nodeName, profile }) };
}
