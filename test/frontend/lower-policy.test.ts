// Defaulting (spec netpol-semantics.md §2) and lowering into the policy IR.
import { describe, expect, it } from "vitest";
import type { NetworkPolicy } from "../../src/ir/policy.js";
import { load, policy } from "./helpers.js";

function one(spec: string, meta?: string): NetworkPolicy {
  const l = load(policy(spec, meta));
  expect(l.diag.hasErrors()).toBe(false);
  const p = l.model.policies[0];
  if (!p) throw new Error("no policy");
  return p;
}

describe("policyTypes defaulting", () => {
  it("egress: [] without policyTypes is ingress-only", () => {
    expect(one("  egress: []\n").types).toEqual({ ingress: true, egress: false });
  });
  it("egress with a rule adds Egress", () => {
    expect(one("  egress: [{}]\n").types).toEqual({ ingress: true, egress: true });
  });
  it("an empty list is defaulted like an absent one", () => {
    expect(one("  policyTypes: []\n  egress: [{}]\n").types).toEqual({ ingress: true, egress: true });
  });
  it("explicit policyTypes are used as given (a set)", () => {
    const p = one("  policyTypes: [Egress, Egress]\n  ingress: [{}]\n");
    expect(p.types).toEqual({ ingress: false, egress: true });
    expect(p.ingress).toHaveLength(1); // kept, but never governs
  });
  it("no spec at all: deny all ingress for every pod of the namespace", () => {
    const l = load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: prod}\n");
    expect(l.model.policies).toEqual([
      { namespace: "prod", name: "deny", podSelector: { matchLabels: [], matchExpressions: [] }, types: { ingress: true, egress: false }, ingress: [], egress: [], span: expect.anything() },
    ]);
  });
});

describe("ports", () => {
  it("ports: [{}] is every TCP port", () => {
    expect(one("  ingress: [{ports: [{}]}]\n").ingress[0]?.ports).toEqual({ kind: "ports", ports: [{ protocol: "TCP", port: { kind: "all" }, span: expect.anything() }] });
  });
  it("absent or empty ports is any", () => {
    const p = one("  ingress: [{}, {ports: []}]\n");
    expect(p.ingress.map((r) => r.ports)).toEqual([{ kind: "any" }, { kind: "any" }]);
  });
  it("numbers with and without endPort, names, protocols", () => {
    const p = one("  egress:\n  - ports: [{port: 80}, {protocol: UDP, port: 5000, endPort: 5010}, {protocol: SCTP, port: dns}, {protocol: UDP}]\n");
    const ports = p.egress[0]?.ports;
    expect(ports?.kind === "ports" && ports.ports.map(({ protocol, port }) => ({ protocol, port }))).toEqual([
      { protocol: "TCP", port: { kind: "number", port: 80, endPort: null } },
      { protocol: "UDP", port: { kind: "number", port: 5000, endPort: 5010 } },
      { protocol: "SCTP", port: { kind: "named", name: "dns" } },
      { protocol: "UDP", port: { kind: "all" } },
    ]);
  });
});

describe("peers", () => {
  it("absent or empty from is any peer", () => {
    const p = one("  ingress: [{}, {from: []}]\n");
    expect(p.ingress.map((r) => r.peers)).toEqual([{ kind: "any" }, { kind: "any" }]);
  });
  it("podSelector alone ranges over the policy namespace; namespaceSelector {} over all", () => {
    const p = one("  ingress:\n  - from:\n    - podSelector: {matchLabels: {b: '2', a: '1'}}\n    - namespaceSelector: {}\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n");
    const peers = p.ingress[0]?.peers;
    expect(peers?.kind).toBe("peers");
    if (peers?.kind !== "peers") return;
    expect(peers.peers[0]).toMatchObject({
      kind: "pods",
      namespaces: { kind: "policy-namespace" },
      pods: { matchLabels: [["a", "1"], ["b", "2"]], matchExpressions: [] },
      podSelectorGiven: true,
    });
    expect(peers.peers[1]).toMatchObject({ kind: "pods", namespaces: { kind: "selector", selector: { matchLabels: [], matchExpressions: [] } }, podSelectorGiven: false });
    expect(peers.peers[2]).toMatchObject({ kind: "ipBlock", cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] });
  });
  it("keeps matchExpressions in written order", () => {
    const p = one("  podSelector:\n    matchExpressions: [{key: z, operator: Exists}, {key: a, operator: NotIn, values: [d, c]}]\n");
    expect(p.podSelector.matchExpressions).toEqual([
      { key: "z", operator: "Exists", values: [] },
      { key: "a", operator: "NotIn", values: ["d", "c"] },
    ]);
  });
});

describe("spans", () => {
  it("point at the policy, each rule, peer and port", () => {
    const l = load(policy("  ingress:\n  - from:\n    - podSelector: {}\n    ports:\n    - port: 80\n"));
    const p = l.model.policies[0]!;
    const at = (s: { start: number } | null | undefined): string => {
      const q = l.sources.position("input.yaml", s?.start ?? -1);
      return `${q.line}:${q.col}`;
    };
    const rule = p.ingress[0]!;
    expect(at(p.span)).toBe("1:1");
    expect(at(rule.span)).toBe("6:5");
    expect(rule.peers.kind === "peers" && at(rule.peers.peers[0]?.span)).toBe("7:7");
    expect(rule.ports.kind === "ports" && at(rule.ports.ports[0]?.span)).toBe("9:7");
  });
});

describe("namespace default", () => {
  it("puts a policy without metadata.namespace in default", () => {
    expect(one("  podSelector: {}\n", "metadata: {name: p}").namespace).toBe("default");
  });
});
