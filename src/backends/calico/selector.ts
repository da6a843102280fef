// Calico selectors: the AST, its canonical printing (what selector IP-set IDs
// hash, §7.2), an evaluator over Calico endpoint labels (§7.3), and the
// Kubernetes → Calico translation (§10.2, §10.4).
//
// Calico builds selector *text* (`(ns == 'x') && (orch == 'k8s' && app == 'y')`)
// and re-parses it; the canonical string is the parser's String(). Rather
// than print and re-parse, we build the tree the parser would build: a
// parenthesised group around one term is that term, a group around an
// `a && b` chain is a nested and-node, and `a && b && c` at one level is a
// single and-node. The comments below say where each shape comes from.
import type { LabelSelector, Labels, SelectorRequirement } from "../../ir/selector.js";
import { byteCompare } from "../../ruleset/writer.js";

export type CalicoSelector =
  | { readonly kind: "all" }
  | { readonly kind: "eq"; readonly label: string; readonly value: string }
  | { readonly kind: "in"; readonly label: string; readonly values: readonly string[]; readonly negated: boolean }
  | { readonly kind: "has"; readonly label: string }
  | { readonly kind: "not"; readonly operand: CalicoSelector }
  | { readonly kind: "and"; readonly operands: readonly CalicoSelector[] };

export const ALL: CalicoSelector = { kind: "all" };

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

/** Double quotes unless the value contains one (then single quotes), as the parser prints. */
function quote(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

/** The parser's String() (§7.2): `in` values sorted and de-duplicated; and-nodes always parenthesised. */
export function canonical(s: CalicoSelector): string {
  switch (s.kind) {
    case "all":
      return "all()";
    case "eq":
      return `${s.label} == ${quote(s.value)}`;
    case "in": {
      // Sorted for determinism, as the parser's set printing does.
      const values = [...new Set(s.values)].sort(byteCompare).map(quote);
      return `${s.label} ${s.negated ? "not in" : "in"} {${values.join(", ")}}`;
    }
    case "has":
      return `has(${s.label})`;
    case "not":
      return "!" + canonical(s.operand);
    case "and":
      return "(" + s.operands.map(canonical).join(" && ") + ")";
  }
}

/** Calico selector semantics: `not in` (like `!=`) matches a missing label. */
export function evaluate(s: CalicoSelector, labels: Labels): boolean {
  switch (s.kind) {
    case "all":
      return true;
    case "eq":
      return labels.get(s.label) === s.value;
    case "in": {
      const v = labels.get(s.label);
      const inSet = v !== undefined && s.values.includes(v);
      return s.negated ? !inSet : inSet;
    }
    case "has":
      return labels.has(s.label);
    case "not":
      return !evaluate(s.operand, labels);
    case "and":
      return s.operands.every((o) => evaluate(o, labels));
  }
}

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
      return s;
    case "eq":
    case "in":
    case "has":
      return { ...s, label: prefix + s.label };
    case "not":
      return { kind: "not", operand: prefixLabels(s.operand, prefix) };
    case "and":
      return { kind: "and", operands: s.operands.map((o) => prefixLabels(o, prefix)) };
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
