// The kube-proxy (iptables mode) backend: a Model and a node name in, that
// node's KUBE-* chains out, in one of two forms (spec kubeproxy-format):
//   "test-sorted": kube-proxy's restore payload (§3, §4.1) in the sorted
//                  layout of its unit tests (§4.2) — what fixtures F1–F10 show;
//   "saved":       what iptables-save prints on the node (§4.3), with the
//                  jumps from built-in chains (§1.2) and kubelet's chains.
// Pure: no I/O, no clock.
import type { Compilation } from "../../compilation.js";
import type { Model } from "../../ir/policy.js";
import { chain } from "./names.js";
import type { Rule, RuleSet } from "../../rules/types.js";
import { asSaved } from "./as-saved.js";
import { testSorted } from "./canonical.js";
import { nodeContext } from "./context.js";
import { writeLegacyPort } from "./legacy.js";
import { writeModernPort } from "./modern.js";
import { builtinJumps, nodeState } from "./node.js";
import type { KubeProxyOptions } from "./options.js";
import { planServices, type PortPlan } from "./plan.js";
import { declareStatic, forwardRules, nodePortsTail } from "./static.js";
import { Tables } from "./tables.js";

export { DEFAULT_KUBE_PROXY_OPTIONS, KUBE_PROXY_VERSIONS } from "./options.js";
export type { KubeProxyOptions, KubeProxyVersion } from "./options.js";

export { mergeNodeRuleSets } from "./merge.js";

/** KUBE-SEP-<hash(spn + protocol + endpoint)> (§2): the chain of one endpoint of a service port. */
export const serviceEndpointChain = (spn: string, protocol: string, endpoint: string): string => chain.sep(spn, protocol, endpoint);

export type KubeProxyForm = "test-sorted" | "saved";

/** largeClusterEndpointsThreshold (§3.2.9). */
const LARGE_CLUSTER_ENDPOINTS = 1000;

/** kube-proxy's restore payload for the node, in the order kube-proxy writes it (§4.1). */
export function kubeProxyPayload(model: Model, nodeName: string, opts: KubeProxyOptions): RuleSet {
  const ctx = nodeContext(model.cluster, nodeName, opts);
  const out = new Tables();
  declareStatic(ctx, out);
  const plans = planServices(model.cluster.services?.services ?? [], ctx);
  for (const p of plans) (ctx.profile.legacy ? writeLegacyPort : writeModernPort)(p, ctx, out);
  forwardRules(ctx, out);
  nodePortsTail(ctx, out);
  const payload = { tables: out.toTables(["filter", "nat"]) };
  return !ctx.profile.legacy && endpointCount(plans) > LARGE_CLUSTER_ENDPOINTS ? withoutEndpointComments(payload) : payload;
}

export function renderKubeProxyNode(comp: Compilation, nodeName: string, opts: KubeProxyOptions, form: KubeProxyForm): RuleSet {
  const { model } = comp;
  const payload = kubeProxyPayload(model, nodeName, opts);
  if (form === "test-sorted") return testSorted(payload);
  return nodeState(asSaved(payload), nodeContext(model.cluster, nodeName, opts));
}

/** Rules kube-proxy puts into built-in chains, per "<table> <chain>", in node order (§1.2); for merging with another backend. */
export function kubeProxyBuiltinRules(model: Model, nodeName: string, opts: KubeProxyOptions): Map<string, Rule[]> {
  return builtinJumps(nodeContext(model.cluster, nodeName, opts));
}

function endpointCount(plans: readonly PortPlan[]): number {
  // Counts every endpoint of the family, ready or not (§8 question 4).
  return plans.reduce((n, p) => n + new Set([...p.clusterEndpoints, ...p.localEndpoints, ...p.reachable].map((e) => e.endpoint)).size, 0);
}

/** Large-cluster mode: no comment on SVC/SVL → SEP rules nor inside SEP chains (§3.2.9). */
function withoutEndpointComments(rs: RuleSet): RuleSet {
  const strip = (r: Rule): Rule => ({ ...r, parts: r.parts.filter((p) => !(p.kind === "match" && p.module === "comment")) });
  const sepJump = (r: Rule): boolean => r.target?.kind === "jump" && r.target.name.startsWith("KUBE-SEP-");
  return {
    tables: rs.tables.map((t) => ({
      ...t,
      chains: t.chains.map((c) => ({ ...c, rules: c.rules.map((r) => (c.name.startsWith("KUBE-SEP-") || sepJump(r) ? strip(r) : r)) })),
    })),
  };
}
