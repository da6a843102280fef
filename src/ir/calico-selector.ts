// Calico selectors (libcalico-go/lib/selector/parser/ast.go): the AST, its
// canonical printing (the parser's String(), which selector IP-set IDs hash,
// spec felix-format §7.2) and its evaluation over a label map (§7.3).
//
// Why here and not in src/backends/calico/selector.ts, where the type began:
// IPPool.spec.nodeSelector is parsed at decode time (src/frontend) and kept
// on the IR's IPPool, and neither src/ir nor src/frontend may import a
// backend. So the one AST lives in the IR; the Calico backend builds the same
// type from Kubernetes selectors and re-exports it, which keeps one printer
// (one place that quotes) for both. The tree is plain data: IPPools cross
// worker threads by structured clone (src/frontend/parallel.ts).
import type { Labels } from "./selector.js";

/** `label <op> "value"`; `ne` is `!=`, true when the label is absent (as `not in`). */
export type ValueOperator = "eq" | "ne" | "contains" | "starts-with" | "ends-with";

export type CalicoSelector =
  | { readonly kind: "all" }
  /** `global()`: matches every label set (its meaning for namespaced policies is not the evaluator's business). */
  | { readonly kind: "global" }
  | { readonly kind: ValueOperator; readonly label: string; readonly value: string }
  | { readonly kind: "in"; readonly label: string; readonly values: readonly string[]; readonly negated: boolean }
  | { readonly kind: "has"; readonly label: string }
  | { readonly kind: "not"; readonly operand: CalicoSelector }
  | { readonly kind: "and"; readonly operands: readonly CalicoSelector[] }
  | { readonly kind: "or"; readonly operands: readonly CalicoSelector[] };

export const ALL: CalicoSelector = { kind: "all" };

const OPERATOR_TEXT: Readonly<Record<ValueOperator, string>> = {
  eq: " == ",
  ne: " != ",
  contains: " contains ",
  "starts-with": " starts with ",
  "ends-with": " ends with ",
};

/**
 * Go's string order (byte-wise UTF-8), which is code point order. For the
 * ASCII label values Kubernetes allows it is plain `<`; it differs from
 * UTF-16 `<` only between astral characters and U+E000–U+FFFF.
 */
export function codePointCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** A set literal's values as the parser keeps them: sorted, de-duplicated (parser/stringset.go). */
export function selectorSet(values: readonly string[]): string[] {
  // Sorted for determinism, as upstream's ConvertToStringSetInPlace does.
  return [...new Set(values)].sort(codePointCompare);
}

/** Double quotes unless the value contains one (then single quotes), as the parser prints. */
function quote(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

/** The parser's String() (§7.2): `in` values sorted and de-duplicated; and/or-nodes always parenthesised. */
export function canonical(s: CalicoSelector): string {
  switch (s.kind) {
    case "all":
      return "all()";
    case "global":
      return "global()";
    case "eq":
    case "ne":
    case "contains":
    case "starts-with":
    case "ends-with":
      return s.label + OPERATOR_TEXT[s.kind] + quote(s.value);
    case "in":
      return `${s.label} ${s.negated ? "not in" : "in"} {${selectorSet(s.values).map(quote).join(", ")}}`;
    case "has":
      return `has(${s.label})`;
    case "not":
      return "!" + canonical(s.operand);
    case "and":
      return "(" + s.operands.map(canonical).join(" && ") + ")";
    case "or":
      return "(" + s.operands.map(canonical).join(" || ") + ")";
  }
}

/** Calico selector semantics (ast.go Evaluate): `!=` and `not in` match a missing label; the string tests do not. */
export function evaluate(s: CalicoSelector, labels: Labels): boolean {
  switch (s.kind) {
    case "all":
    case "global":
      return true;
    case "eq":
    case "ne":
    case "contains":
    case "starts-with":
    case "ends-with":
      return valueTest(s.kind, labels.get(s.label), s.value);
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
    case "or":
      return s.operands.some((o) => evaluate(o, labels));
  }
}

function valueTest(op: ValueOperator, actual: string | undefined, value: string): boolean {
  if (actual === undefined) return op === "ne";
  switch (op) {
    case "eq":
      return actual === value;
    case "ne":
      return actual !== value;
    case "contains":
      return actual.includes(value);
    case "starts-with":
      return actual.startsWith(value);
    case "ends-with":
      return actual.endsWith(value);
  }
}
