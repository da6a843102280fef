// The lints `netpolc check` runs, declared once: id, one-line summary and the
// fix hint every finding carries. SARIF's tool.driver.rules and `--disable`
// both read this table, so they cannot drift from what is reported.

export interface LintRule {
  /** "lint/kebab-name" (STYLE.md: diagnostics ids are "category/kebab-name"). */
  readonly id: string;
  readonly summary: string;
  /** One line, shown as `note: fix: …` under every finding. */
  readonly hint: string;
}

export const LINT_RULES: readonly LintRule[] = [
  {
    id: "lint/policy-selects-no-pod",
    summary: "the policy's podSelector selects no pod of its namespace in the snapshot",
    hint: "fix the podSelector labels (or the namespace), or delete the policy if the workload is gone",
  },
  {
    id: "lint/peer-selects-nothing",
    summary: "a from/to peer's selectors match no pod (or no namespace) in the snapshot",
    hint: "fix the peer's podSelector/namespaceSelector labels; a peer matching nothing allows nothing",
  },
  {
    id: "lint/egress-without-dns",
    summary: "pods isolated for egress have no egress rule allowing UDP 53 (DNS)",
    hint: "add an egress rule to kube-system/k8s-app=kube-dns on UDP and TCP port 53",
  },
  {
    id: "lint/ipblock-covers-pod-ips",
    summary: "an ipBlock names pod addresses (inside an IP pool); pod IPs are ephemeral",
    hint: "select the pods with podSelector/namespaceSelector instead of their addresses",
  },
  {
    id: "lint/named-port-undefined",
    summary: "a named port that no pod the rule applies to defines",
    hint: "use the containerPort name of the target pods (ports[].name), or a port number",
  },
  {
    id: "lint/redundant-rule",
    summary: "a rule whose peers and ports are all covered by another rule of the same policy",
    hint: "delete the redundant rule (or merge it into the wider one)",
  },
  {
    id: "lint/duplicate-policy",
    summary: "two NetworkPolicies with the same namespace/name: applying both keeps only the last",
    hint: "rename one of them, or delete the stale copy",
  },
  {
    id: "lint/policy-types-missing",
    summary: "spec.egress is given but spec.policyTypes is not (it is defaulted from which rule lists are present)",
    hint: "write policyTypes explicitly, e.g. policyTypes: [Ingress, Egress]",
  },
];

export const LINT_IDS: ReadonlySet<string> = new Set(LINT_RULES.map((r) => r.id));

export function lintRule(id: string): LintRule {
  const r = LINT_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown lint ${id}`);
  return r;
}
