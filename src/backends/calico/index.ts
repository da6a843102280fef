// The Calico backend: a Model and a node name in, that node's Felix P27
// iptables tables, IP sets and routes out (spec felix-format, whole
// document; pipeline summary in §0). Pure: no I/O, no clock.
import type { Model, NetworkPolicy } from "../../ir/policy.js";
import type { Chain, RuleSet } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import type { NodeOutput } from "../types.js";
import { dispatchChains } from "./dispatch.js";
import { endpointChain, policiesFor, policyChain, profileChain } from "./endpoints.js";
import { buildIpSets } from "./ipsets.js";
import { isV6 } from "./ipv4.js";
import type { Direction } from "./names.js";
import { ipencapSpelling } from "./options.js";
import type { CalicoOptions } from "./options.js";
import { buildRoutes, ipipTunnelOf, type NodeRoutes } from "./routes.js";
import { SetRegistry } from "./sets.js";
import { encapsulationOf, mangleChains, natChains, rawChains, staticFilterChains, vxlanTunnelOf } from "./static.js";
import type { StaticContext } from "./static.js";
import { allWorkloads, localWorkloads } from "./workloads.js";
import type { Profile, Workload } from "./workloads.js";

export { DEFAULT_CALICO_OPTIONS } from "./options.js";
export type { CalicoOptions } from "./options.js";
export type { RouteProgrammer } from "./routes.js";
export { blockProgrammer } from "./routes.js";
export { workloadInterfaceName } from "./names.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/**
 * Endpoint chains for the local workloads plus every policy and profile chain
 * they jump to — and nothing else, since Felix only programs referenced
 * chains (§2.1): an ingress-only policy gets no cali-po chain.
 */
function workloadChains(model: Model, local: readonly Workload[], sets: SetRegistry, ipencap: string): Chain[] {
  const endpoints: Chain[] = [];
  const policies: Record<Direction, Set<NetworkPolicy>> = { ingress: new Set(), egress: new Set() };
  const profiles: Record<Direction, Set<Profile>> = { ingress: new Set(), egress: new Set() };
  for (const w of local) {
    for (const dir of DIRECTIONS) {
      const selected = policiesFor(w, dir, model.policies);
      endpoints.push(endpointChain(w, dir, selected, ipencap));
      for (const p of selected) policies[dir].add(p);
      for (const pr of w.profiles) profiles[dir].add(pr);
    }
  }
  // Sorted for determinism (the set registry fills in rendering order), by
  // "<dir> <ns>/<name>" and "<dir> <profile>" in byte order: egress sorts
  // before ingress, then the name, computed once per policy rather than per comparison.
  const chains = [...endpoints];
  for (const dir of BY_NAME_ORDER) {
    for (const p of [...policies[dir]].sort((a, b) => byteCompare(policyKey(a), policyKey(b)))) chains.push(policyChain(p, dir, sets));
  }
  for (const dir of BY_NAME_ORDER) {
    for (const pr of [...profiles[dir]].sort((a, b) => byteCompare(a.name, b.name))) chains.push(profileChain(pr, dir));
  }
  return chains;
}

/** Directions in the byte order of their names ("egress" < "ingress"). */
const BY_NAME_ORDER: readonly Direction[] = ["egress", "ingress"];

const policyKeys = new WeakMap<NetworkPolicy, string>();

function policyKey(p: NetworkPolicy): string {
  let k = policyKeys.get(p);
  if (k === undefined) policyKeys.set(p, (k = `${p.namespace}/${p.name}`));
  return k;
}

/** Only the node's routes and VXLAN forwarding entries (what verify routes with, without rendering any rule). */
export function renderCalicoRoutes(model: Model, nodeName: string, opts: CalicoOptions): NodeRoutes {
  const local = localWorkloads(allWorkloads(model.cluster, opts.interfacePrefix), nodeName);
  return buildRoutes(model.cluster, nodeName, local, opts);
}

export function renderCalicoNode(model: Model, nodeName: string, opts: CalicoOptions): NodeOutput {
  const { cluster } = model;
  const all = allWorkloads(cluster, opts.interfacePrefix);
  const local = localWorkloads(all, nodeName);
  const encap = encapsulationOf(cluster.pools);
  const ipipEnabled = encap.ipip;
  const ctx: StaticContext = {
    opts,
    ipipEnabled,
    hasTunnelAddress: ipipEnabled && ipipTunnelOf(cluster, nodeName) !== null,
    vxlanEnabled: encap.vxlan,
    hasVxlanTunnelAddress: vxlanTunnelOf(cluster, nodeName) !== null,
    natOutgoing: cluster.pools.some((p) => !isV6(p.cidr) && p.natOutgoing),
  };
  const sets = new SetRegistry();
  const ifaces = local.map((w) => w.iface);
  const filter = [
    ...staticFilterChains(ctx),
    ...dispatchChains("from", ifaces),
    ...dispatchChains("to", ifaces),
    ...workloadChains(model, local, sets, ipencapSpelling(opts)),
  ];
  const ruleset: RuleSet = {
    tables: [
      { name: "raw", chains: rawChains(ctx) },
      { name: "mangle", chains: mangleChains(ctx) },
      { name: "nat", chains: natChains(ctx) },
      { name: "filter", chains: filter },
    ],
  };
  const { routes, fdb } = buildRoutes(cluster, nodeName, local, opts);
  return { node: nodeName, ruleset, ipsets: buildIpSets(cluster, all, sets.all(), { encap, nodeName }), routes, fdb };
}
