// Large-cluster mode (spec kubeproxy-format §3.2.9): above 1000 endpoints
// kube-proxy drops the comment from SVC/SVL → SEP rules and from the rules
// inside KUBE-SEP chains, and nowhere else.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Chain, Rule } from "../../rules/types.js";

/** largeClusterEndpointsThreshold (§3.2.9). */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

const STRIPPED = memoTable<Chain, Chain>("kubeproxy/large-cluster-chains");

/** A shared chain in large-cluster mode, made once per compilation (the chain itself when nothing changes). */
export function largeClusterChain(comp: Compilation, c: Chain): Chain {
  return comp.memo(STRIPPED, c, () => {
    const rules = largeClusterRules(c.name, c.rules);
    return rules === c.rules ? c : { ...c, rules };
  });
}

/** A chain's rules in large-cluster mode: `rules` itself when none changes. */
export function largeClusterRules(chain: string, rules: readonly Rule[]): readonly Rule[] {
  const sepChain = chain.startsWith("KUBE-SEP-");
  const affected = (r: Rule): boolean => sepChain || (r.target?.kind === "jump" && r.target.name.startsWith("KUBE-SEP-"));
  if (!rules.some(affected)) return rules;
  return rules.map((r) => (affected(r) ? withoutComment(r) : r));
}

function withoutComment(r: Rule): Rule {
  return { ...r, parts: r.parts.filter((p) => !(p.kind === "match" && p.module === "comment")) };
}
