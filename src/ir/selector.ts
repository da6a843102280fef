// Kubernetes label selectors in the policy IR (apimachinery semantics,
// spec/netpol-semantics.md §6). No Calico or iptables words here.

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** As written (order kept; backends sort where their canonical form requires it). */
  readonly values: readonly string[];
}

/** A LabelSelector. Empty (no labels, no expressions) matches everything. */
export interface LabelSelector {
  /** matchLabels as [key, value] pairs, sorted by key (byte order). */
  readonly matchLabels: readonly (readonly [string, string])[];
  /** matchExpressions in the order written (the Calico conversion keeps that order). */
  readonly matchExpressions: readonly SelectorRequirement[];
}

export type Labels = ReadonlyMap<string, string>;

export const EMPTY_SELECTOR: LabelSelector = { matchLabels: [], matchExpressions: [] };

export function isEmptySelector(s: LabelSelector): boolean {
  return s.matchLabels.length === 0 && s.matchExpressions.length === 0;
}

/** apimachinery Requirement.Matches: note NotIn matches objects without the key. */
export function selectorMatches(s: LabelSelector, labels: Labels): boolean {
  for (const [k, v] of s.matchLabels) {
    if (labels.get(k) !== v) return false;
  }
  for (const r of s.matchExpressions) {
    const has = labels.has(r.key);
    const value = labels.get(r.key);
    switch (r.operator) {
      case "In":
        if (!has || !r.values.includes(value as string)) return false;
        break;
      case "NotIn":
        if (has && r.values.includes(value as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
