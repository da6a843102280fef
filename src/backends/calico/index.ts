// The Calico backend: a Model and a node name in, that node's Felix P27
// iptables tables, IP sets and routes out (spec felix-format, whole
// document; pipeline summary in §0). Pure: no I/O, no clock.
import type { Model, NetworkPolicy } from "../../ir/policy.js";
import type { Chain, RuleSet } from "../../ruleset/types.js";
import type { NodeOutput } from "../types.js";
import { dispatchChains } from "./dispatch.js";
import { endpointChain, policiesFor, policyChain, profileChain } from "./endpoints.js";
import { buildIpSets } from "./ipsets.js";
import { isV6 } from "./ipv4.js";
import type { Direction } from "./names.js";
import { ipencapSpelling } from "./options.js";
import type { CalicoOptions } from "./options.js";
import { buildRoutes, findNode, ipipPool, tunnelAddress } from "./routes.js";
import { SetRegistry } from "./sets.js";
import { mangleChains, natChains, rawChains, staticFilterChains } from "./static.js";
import type { StaticContext } from "./static.js";
import { allWorkloads, localWorkloads } from "./workloads.js";
import type { Profile, Workload } from "./workloads.js";

export { DEFAULT_CALICO_OPTIONS } from "./options.js";
export type { CalicoOptions } from "./options.js";
export { workloadInterfaceName } from "./names.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/**
 * Endpoint chains for the local workloads plus every policy and profile chain
 * they jump to — and nothing else, since Felix only programs referenced
 * chains (§2.1): an ingress-only policy gets no cali-po chain.
 */
function workloadChains(model: Model, local: readonly Workload[], sets: SetRegistry, ipencap: string): Chain[] {
  const endpoints: Chain[] = [];
  const policies = new Map<string, { policy: NetworkPolicy; dir: Direction }>();
  const profiles = new Map<string, { profile: Profile; dir: Direction }>();
  for (const w of local) {
    for (const dir of DIRECTIONS) {
      const selected = policiesFor(w, dir, model.policies);
      endpoints.push(endpointChain(w, dir, selected, ipencap));
      for (const p of selected) policies.set(`${dir} ${p.namespace}/${p.name}`, { policy: p, dir });
      for (const pr of w.profiles) profiles.set(`${dir} ${pr.name}`, { profile: pr, dir });
    }
  }
  // Sorted for determinism: the set registry fills in rendering order.
  // (Keys are unique; the default sort compares UTF-16 code units, byteCompare's order, without a comparator call per pair.)
  const byKey = <T>(m: Map<string, T>): T[] => [...m.keys()].sort().map((k) => m.get(k)!);
  return [
    ...endpoints,
    ...byKey(policies).map(({ policy, dir }) => policyChain(policy, dir, sets)),
    ...byKey(profiles).map(({ profile, dir }) => profileChain(profile, dir)),
  ];
}

export function renderCalicoNode(model: Model, nodeName: string, opts: CalicoOptions): NodeOutput {
  const { cluster } = model;
  const all = allWorkloads(cluster, opts.interfacePrefix);
  const local = localWorkloads(all, nodeName);
  const ipipEnabled = cluster.pools.some((p) => !isV6(p.cidr) && ipipPool(p));
  const ctx: StaticContext = {
    opts,
    ipipEnabled,
    hasTunnelAddress: ipipEnabled && tunnelAddress(cluster, findNode(cluster, nodeName), all) !== null,
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
  return {
    node: nodeName,
    ruleset,
    ipsets: buildIpSets(cluster, all, sets.all(), ipipEnabled),
    routes: buildRoutes(cluster, nodeName, all, ipipEnabled),
  };
}
