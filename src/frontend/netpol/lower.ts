// A validated, defaulted NetworkPolicy → the policy IR. Nil and empty become
// explicit variants here so no backend compares undefined with [] (STYLE.md).
import type { Span } from "../../diagnostics/diagnostic.js";
import type { Protocol } from "../../ir/cluster.js";
import type { NetworkPolicy, Peer, PeerList, PolicyRule, PortEntry, PortList } from "../../ir/policy.js";
import type { LabelSelector, SelectorOperator } from "../../ir/selector.js";
import { FieldPath } from "../field-path.js";
import { nodeAt, type YNode } from "../yaml/tree.js";
import type { LabelSelectorJson, NetworkPolicyJson, PeerJson, PortJson, RuleJson } from "./types.js";

const SPEC = FieldPath.root("spec");

export function lowerLabelSelector(sel: LabelSelectorJson | undefined): LabelSelector {
  // Sorted for determinism: matchLabels by key, byte order.
  const matchLabels = Object.entries(sel?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const matchExpressions = (sel?.matchExpressions ?? []).map((r) => ({
    key: r.key ?? "",
    operator: (r.operator ?? "") as SelectorOperator,
    values: [...(r.values ?? [])],
  }));
  return { matchLabels, matchExpressions };
}

/** `np` must be defaulted (applyDefaults) and valid. */
export function lowerNetworkPolicy(np: NetworkPolicyJson, root: YNode): NetworkPolicy {
  const spec = np.spec ?? {};
  const types = spec.policyTypes ?? [];
  const spanAt = (p: FieldPath): Span => nodeAt(root, p.segments).node.span;
  const rules = (dir: "ingress" | "egress"): PolicyRule[] =>
    (spec[dir] ?? []).map((r, i) => lowerRule(r, SPEC.child(dir).index(i), dir === "ingress" ? "from" : "to", i, spanAt));
  return {
    namespace: np.metadata?.namespace ?? "",
    name: np.metadata?.name ?? "",
    podSelector: lowerLabelSelector(spec.podSelector),
    types: { ingress: types.includes("Ingress"), egress: types.includes("Egress") },
    ingress: rules("ingress"),
    egress: rules("egress"),
    span: root.span,
  };
}

function lowerRule(r: RuleJson, path: FieldPath, peersKey: "from" | "to", index: number, spanAt: (p: FieldPath) => Span): PolicyRule {
  const peerJson = r[peersKey] ?? [];
  const portJson = r.ports ?? [];
  const peers: PeerList =
    peerJson.length === 0 ? { kind: "any" } : { kind: "peers", peers: peerJson.map((p, j) => lowerPeer(p, spanAt(path.child(peersKey).index(j)))) };
  const ports: PortList =
    portJson.length === 0 ? { kind: "any" } : { kind: "ports", ports: portJson.map((p, j) => lowerPort(p, spanAt(path.child("ports").index(j)))) };
  return { index, peers, ports, span: spanAt(path) };
}

function lowerPeer(p: PeerJson, span: Span): Peer {
  if (p.ipBlock) return { kind: "ipBlock", cidr: p.ipBlock.cidr ?? "", except: [...(p.ipBlock.except ?? [])], span };
  return {
    kind: "pods",
    namespaces: p.namespaceSelector ? { kind: "selector", selector: lowerLabelSelector(p.namespaceSelector) } : { kind: "policy-namespace" },
    pods: lowerLabelSelector(p.podSelector),
    podSelectorGiven: p.podSelector !== undefined,
    span,
  };
}

function lowerPort(p: PortJson, span: Span): PortEntry {
  const protocol = (p.protocol ?? "TCP") as Protocol;
  if (p.port === undefined) return { protocol, port: { kind: "all" }, span };
  if (typeof p.port === "string") return { protocol, port: { kind: "named", name: p.port }, span };
  return { protocol, port: { kind: "number", port: p.port, endPort: p.endPort ?? null }, span };
}
