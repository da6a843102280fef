// Canonical Calico selectors and their set IDs (spec felix-format §7.2,
// §10.2, §10.4), and the evaluator over Calico labels (§7.3).
import { describe, expect, test } from "vitest";
import { selectorSetId } from "../../../src/backends/calico/names.js";
import {
  ALL,
  canonical,
  evaluate,
  namespaceSelectorToCalico,
  peerSelector,
  podSelectorToCalico,
  policySelector,
} from "../../../src/backends/calico/selector.js";
import { sel } from "./fixtures.js";

const own = (ns: string) => ({ policyNamespace: ns });

describe("canonical strings", () => {
  test("all()", () => {
    expect(canonical(ALL)).toBe("all()");
    expect(selectorSetId(canonical(ALL))).toBe("s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug");
  });
  test("F1 pod peer in the policy namespace", () => {
    const s = peerSelector(own("default"), sel({ "networking/allow-db-access": "true" }));
    expect(canonical(s)).toBe(
      '(projectcalico.org/namespace == "default" && (projectcalico.org/orchestrator == "k8s" && networking/allow-db-access == "true"))',
    );
    expect(selectorSetId(canonical(s))).toBe("s:LrVD8vMIGQDyv8Y7sPFB1GezRBswirYVYq1Wfw");
  });
  test("F3 selectors", () => {
    const db = peerSelector(own("default"), sel({ app: "db" }));
    expect(canonical(db)).toBe('(projectcalico.org/namespace == "default" && (projectcalico.org/orchestrator == "k8s" && app == "db"))');
    const dns = peerSelector(namespaceSelectorToCalico(sel({ "kubernetes.io/metadata.name": "kube-system" })), sel({ "k8s-app": "kube-dns" }));
    expect(canonical(dns)).toBe(
      '(pcns.kubernetes.io/metadata.name == "kube-system" && (projectcalico.org/orchestrator == "k8s" && k8s-app == "kube-dns"))',
    );
  });
  test("F4 namespaceSelector {} → has(projectcalico.org/namespace)", () => {
    const s = peerSelector(namespaceSelectorToCalico(sel()), sel());
    expect(canonical(s)).toBe('(has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s")');
  });
  test("F6 namespace selector by name, no pod selector", () => {
    const s = peerSelector(namespaceSelectorToCalico(sel({ "kubernetes.io/metadata.name": "team-b" })), sel());
    expect(canonical(s)).toBe('(pcns.kubernetes.io/metadata.name == "team-b" && projectcalico.org/orchestrator == "k8s")');
  });
  test("multi-term namespace selector stays a nested and-node", () => {
    const s = peerSelector(namespaceSelectorToCalico(sel({ namespaceRole: "dev", namespaceFoo: "bar" })), sel());
    expect(canonical(s)).toBe(
      '((pcns.namespaceFoo == "bar" && pcns.namespaceRole == "dev") && projectcalico.org/orchestrator == "k8s")',
    );
  });
  test("expressions: in sorted and de-duplicated, not in, has, !has", () => {
    const s = podSelectorToCalico(
      sel({}, [
        { key: "k", operator: "In", values: ["v2", "v1", "v2"] },
        { key: "n", operator: "NotIn", values: ["x"] },
        { key: "e", operator: "Exists", values: [] },
        { key: "d", operator: "DoesNotExist", values: [] },
      ]),
    );
    expect(canonical(s)).toBe(
      '(projectcalico.org/orchestrator == "k8s" && k in {"v1", "v2"} && n not in {"x"} && has(e) && !has(d))',
    );
  });
  test("matchLabels in sorted key order", () => {
    expect(canonical(podSelectorToCalico(sel({ b: "2", a: "1" })))).toBe(
      '(projectcalico.org/orchestrator == "k8s" && a == "1" && b == "2")',
    );
  });
  test("a value containing a double quote is single-quoted", () => {
    expect(canonical({ kind: "eq", label: "a", value: 'x"y' })).toBe(`a == 'x"y'`);
  });
  test("policy selector puts the namespace last", () => {
    expect(canonical(policySelector("default", sel({ app: "db" })))).toBe(
      '((projectcalico.org/orchestrator == "k8s" && app == "db") && projectcalico.org/namespace == "default")',
    );
  });
});

describe("evaluation", () => {
  const labels = new Map([
    ["app", "db"],
    ["projectcalico.org/namespace", "default"],
    ["projectcalico.org/orchestrator", "k8s"],
  ]);
  test("eq / and", () => {
    expect(evaluate(policySelector("default", sel({ app: "db" })), labels)).toBe(true);
    expect(evaluate(policySelector("other", sel({ app: "db" })), labels)).toBe(false);
  });
  test("not in matches a missing label; in does not", () => {
    expect(evaluate({ kind: "in", label: "zz", values: ["a"], negated: true }, labels)).toBe(true);
    expect(evaluate({ kind: "in", label: "zz", values: ["a"], negated: false }, labels)).toBe(false);
  });
  test("has / !has", () => {
    expect(evaluate({ kind: "has", label: "app" }, labels)).toBe(true);
    expect(evaluate({ kind: "not", operand: { kind: "has", label: "app" } }, labels)).toBe(false);
  });
});
