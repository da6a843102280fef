// Calico selectors for the Kubernetes → Calico translation (§10.2, §10.4).
// The AST, its canonical printing (what selector IP-set IDs hash, §7.2) and
// its evaluator (§7.3) live in src/ir/calico-selector.ts, because IPPool
// nodeSelectors are parsed in the frontend, which may not import a backend;
// they are re-exported here for the backend's own modules.
//
// Calico builds selector *text* (`(ns == 'x') && (orch == 'k8s' && app == 'y')`)
// and re-parses it; the canonical string is the parser's String(). Rather
// than print and re-parse, we build the tree the parser would build: a
// parenthesised group around one term is that term, a group around an
// `a && b` chain is a nested and-node, and `a && b && c` at one level is a
// single and-node. The comments below say where each shape comes from.
import { ALL, type CalicoSelector } from "../../ir/calico-selector.js";
import type { LabelSelector, SelectorRequirement } from "../../ir/selector.js";
import { byteCompare } from "../../rules/writer.js";

export { ALL, canonical, evaluate, type CalicoSelector } from "../../ir/calico-selector.js";

/** Calico label keys (§7.3, libcalico-go conversion). */
export const LABEL = {
  namespace: "projectcalico.org/namespace",
  orchestrator: "projectcalico.org/orchestrator",
  serviceAccount: "projectcalico.org/serviceaccount",
  name: "projectcalico.org/name",
  namespacePrefix: "pcns.",
  serviceAccountPrefix: "pcsa.",
} as const;
export const ORCHESTRATOR_K8S = "k8s";

/** A `&&` chain at one level: one term stays itself, several become one and-node. */
function conjunction(terms: readonly CalicoSelector[]): CalicoSelector {
  if (terms.length === 0) return ALL;
  if (terms.length === 1) return terms[0] as CalicoSelector;
  return { kind: "and", operands: terms };
}

function requirementTerm(r: SelectorRequirement): CalicoSelector {
  switch (r.operator) {
    case "In":
      return { kind: "in", label: r.key, values: r.values, negated: false };
    case "NotIn":
      return { kind: "in", label: r.key, values: r.values, negated: true };
    case "Exists":
      return { kind: "has", label: r.key };
    case "DoesNotExist":
      return { kind: "not", operand: { kind: "has", label: r.key } };
  }
}

/** matchLabels sorted by key, then matchExpressions as written (§10.2 rules 4–5). */
function selectorTerms(sel: LabelSelector): CalicoSelector[] {
  // Sorted for determinism (the IR promises this order; Calico sorts too).
  const labels = [...sel.matchLabels].sort((a, b) => byteCompare(a[0], b[0]));
  return [
    ...labels.map(([k, v]): CalicoSelector => ({ kind: "eq", label: k, value: v })),
    ...sel.matchExpressions.map(requirementTerm),
  ];
}

/** k8sSelectorToCalico for a pod selector: the orchestrator term comes first (§10.2 rule 1). */
export function podSelectorToCalico(sel: LabelSelector): CalicoSelector {
  const orchestrator: CalicoSelector = { kind: "eq", label: LABEL.orchestrator, value: ORCHESTRATOR_K8S };
  return conjunction([orchestrator, ...selectorTerms(sel)]);
}

/** A namespace equality term `projectcalico.org/namespace == '<ns>'`. */
function namespaceIs(namespace: string): CalicoSelector {
  return { kind: "eq", label: LABEL.namespace, value: namespace };
}

function prefixLabels(s: CalicoSelector, prefix: string): CalicoSelector {
  switch (s.kind) {
    case "all":
    case "global":
      return s;
    case "eq":
    case "ne":
    case "contains":
    case "starts-with":
    case "ends-with":
    case "in":
    case "has":
      return { ...s, label: prefix + s.label };
    case "not":
      return { kind: "not", operand: prefixLabels(s.operand, prefix) };
    case "and":
    case "or":
      return { kind: s.kind, operands: s.operands.map((o) => prefixLabels(o, prefix)) };
  }
}

/**
 * namespaceSelector → pcns.-prefixed selector (§10.4). `{}` is `all()`, which
 * Calico then rewrites textually to `has(projectcalico.org/namespace)`.
 */
export function namespaceSelectorToCalico(sel: LabelSelector): CalicoSelector {
  const terms = selectorTerms(sel);
  if (terms.length === 0) return { kind: "has", label: LABEL.namespace };
  return prefixLabels(conjunction(terms), LABEL.namespacePrefix);
}

/**
 * getEndpointSelector (§10.4): `(<nsSel>) && (<podSel>)`. Each parenthesised
 * side re-parses to itself (a single term, or its own and-node), so the result
 * is a two-operand and-node.
 */
export function peerSelector(namespaceScope: CalicoSelector | { readonly policyNamespace: string }, pods: LabelSelector): CalicoSelector {
  const ns = "policyNamespace" in namespaceScope ? namespaceIs(namespaceScope.policyNamespace) : namespaceScope;
  return { kind: "and", operands: [ns, podSelectorToCalico(pods)] };
}

/**
 * The policy's own selector (§10.1): `(<podSel>) && projectcalico.org/namespace == '<ns>'`
 * — used to decide which endpoints a policy applies to.
 */
export function policySelector(namespace: string, podSelector: LabelSelector): CalicoSelector {
  return { kind: "and", operands: [podSelectorToCalico(podSelector), namespaceIs(namespace)] };
}
