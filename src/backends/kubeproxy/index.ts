// The kube-proxy (iptables mode) backend: a compilation and a node name in,
// that node's KUBE-* chains out, in one of two forms (spec kubeproxy-format):
//   "test-sorted": kube-proxy's restore payload (§3, §4.1) in the sorted
//                  layout of its unit tests (§4.2) — what fixtures F1–F10 show;
//   "saved":       what iptables-save prints on the node (§4.3), with the
//                  jumps from built-in chains (§1.2) and kubelet's chains.
// Pure: no I/O, no clock.
//
// Almost all of a node's kube-proxy rules are the same on every node, so
// they are planned and built once per compilation and shared: the service
// plans (plan.ts), each port's chains per distinct way nodes see the port
// (ports.ts), the fixed chains (static.ts), the built-in jumps and kubelet's
// chains (node.ts), and each shared chain's saved and large-cluster forms.
// What a node adds is its name (which endpoints are local: KUBE-SVL, KUBE-EXT
// and KUBE-XLB of traffic policy Local, the no-local-endpoints verdicts), its
// address (a source range holding it, §3.3(i)), its nodePort addresses (the
// KUBE-SERVICES tail, §3.1) and whether it counts as a large cluster
// (§3.2.9); its KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES and
// KUBE-PROXY-FIREWALL are assembled from the ports' shared rules.
import type { Compilation } from "../../compilation.js";
import { chain } from "./names.js";
import * as nftNames from "./nft/names.js";
import type { Rule, RuleSet } from "../../rules/types.js";
import { savedChain, savedRuleOnce } from "./as-saved.js";
import { testSorted } from "./canonical.js";
import { nodeContext, proxierContext, type NodeContext, type ProxierContext } from "./context.js";
import { largeClusterChain, largeClusterRules, LARGE_CLUSTER_ENDPOINTS } from "./large-cluster.js";
import { builtinJumps, nodeState } from "./node.js";
import type { KubeProxyOptions } from "./options.js";
import { endpointCount, planServices } from "./plan.js";
import { portOutput } from "./ports.js";
import { addNodePortsTail, staticChains } from "./static.js";
import { Tables, type ChainView } from "./tables.js";

export { DEFAULT_KUBE_PROXY_OPTIONS, KUBE_PROXY_VERSIONS } from "./options.js";
export type { KubeProxyOptions, KubeProxyVersion } from "./options.js";

export { mergeNodeRuleSets } from "./merge.js";

/** kube-proxy's nftables mode (spec nftables.md §A): the `ip`/`ip6 kube-proxy` table on a node. */
export { renderKubeProxyNft } from "./nft/build.js";
export { nftLayoutOf, type NftLayout } from "./nft/context.js";
export { hashAndTruncate } from "./nft/names.js";

/** nftables mode: the ClientIP affinity set of one endpoint (`affinity-<hash>-<ns>/<svc>/<proto>/<port>__<ip>/<port>`, nftables.md §A.4). */
export function serviceAffinitySet(spn: string, protocol: string, ip: string, port: number): string {
  return nftNames.affinitySet(nftNames.endpointBase(nftNames.portNameOf(spn, protocol.toLowerCase()), ip, port));
}

/** KUBE-SEP-<hash(spn + protocol + endpoint)> (§2): the chain of one endpoint of a service port. */
export const serviceEndpointChain = (spn: string, protocol: string, endpoint: string): string => chain.sep(spn, protocol, endpoint);

export type KubeProxyForm = "test-sorted" | "saved";

/** kube-proxy's restore payload for the node, in the order kube-proxy writes it (§4.1). */
export function kubeProxyPayload(comp: Compilation, nodeName: string, opts: KubeProxyOptions): RuleSet {
  const px = proxierContext(comp, opts);
  return payload(comp, px, nodeContext(px, nodeName), false);
}

export function renderKubeProxyNode(comp: Compilation, nodeName: string, opts: KubeProxyOptions, form: KubeProxyForm): RuleSet {
  const px = proxierContext(comp, opts);
  const node = nodeContext(px, nodeName);
  if (form === "test-sorted") return testSorted(payload(comp, px, node, false));
  return nodeState(comp, px, payload(comp, px, node, true));
}

/** Rules kube-proxy puts into built-in chains, per "<table> <chain>", in node order (§1.2; the same on every node); for merging with another backend. */
export function kubeProxyBuiltinRules(comp: Compilation, opts: KubeProxyOptions): Map<string, Rule[]> {
  return builtinJumps(proxierContext(comp, opts));
}

/** The payload (§4.1), in restore spelling or, with `saved`, as iptables-save prints it (§4.3). */
function payload(comp: Compilation, px: ProxierContext, node: NodeContext, saved: boolean): RuleSet {
  const plans = planServices(comp, px);
  const out = new Tables();
  for (const c of staticChains(comp, px)) out.put(c.table, c.chain);
  for (const p of plans) for (const c of portOutput(comp, px, p, node)) out.put(c.table, c.chain);
  addNodePortsTail(comp, px, node, out);
  const large = !px.profile.legacy && endpointCount(plans, node.localName) > LARGE_CLUSTER_ENDPOINTS;
  return { tables: out.toTables(["filter", "nat"], chainView(comp, large, saved)) };
}

/** Large-cluster mode first, then the saved form, as kube-proxy writes and the kernel prints back; shared chains through the compilation's memos. */
function chainView(comp: Compilation, large: boolean, saved: boolean): ChainView {
  return {
    shared: (c) => {
      const l = large ? largeClusterChain(comp, c) : c;
      return saved ? savedChain(comp, l) : l;
    },
    assembled: (name, rules) => {
      const l = large ? largeClusterRules(name, rules) : rules;
      return { name, policy: null, rules: saved ? l.map((r) => savedRuleOnce(comp, r)) : l };
    },
  };
}
