// The NetworkPolicy half of the policy IR. Nil and empty are different in
// Kubernetes, so they are explicit variants here (STYLE.md): a backend never
// compares `undefined` with `[]`.
import type { Span } from "../diagnostics/diagnostic.js";
import type { Protocol } from "./protocol.js";
import type { LabelSelector } from "./selector.js";

/** Which namespaces a pod peer ranges over. */
export type NamespaceScope =
  /** namespaceSelector absent: the policy's own namespace. */
  | { readonly kind: "policy-namespace" }
  /** namespaceSelector present ({} = every namespace). */
  | { readonly kind: "selector"; readonly selector: LabelSelector };

export type Peer =
  | {
      readonly kind: "pods";
      readonly namespaces: NamespaceScope;
      /** podSelector; absent and {} both mean every pod (EMPTY_SELECTOR). */
      readonly pods: LabelSelector;
      /** Whether podSelector was written at all (for diagnostics and faithful Calico text). */
      readonly podSelectorGiven: boolean;
      readonly span: Span | null;
    }
  | {
      readonly kind: "ipBlock";
      /** As written by the user (validated); backends normalise to the network address. */
      readonly cidr: string;
      readonly except: readonly string[];
      readonly span: Span | null;
    };

/** `from`/`to`: absent or [] = every peer including non-pods. */
export type PeerList = { readonly kind: "any" } | { readonly kind: "peers"; readonly peers: readonly Peer[] };

export type PortMatch =
  /** `port` absent: every port of the protocol. */
  | { readonly kind: "all" }
  | { readonly kind: "number"; readonly port: number; readonly endPort: number | null }
  | { readonly kind: "named"; readonly name: string };

export interface PortEntry {
  /** Defaulted to TCP (spec/netpol-semantics.md §2). */
  readonly protocol: Protocol;
  readonly port: PortMatch;
  readonly span: Span | null;
}

/** `ports`: absent or [] = every protocol and port. */
export type PortList = { readonly kind: "any" } | { readonly kind: "ports"; readonly ports: readonly PortEntry[] };

export interface PolicyRule {
  /** Index in spec.ingress / spec.egress. */
  readonly index: number;
  readonly peers: PeerList;
  readonly ports: PortList;
  readonly span: Span | null;
}

export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Defaulted policyTypes (spec/netpol-semantics.md §2.1), as a set. */
  readonly types: { readonly ingress: boolean; readonly egress: boolean };
  /** Rules as written; a direction not in `types` keeps its rules but never governs. */
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
  readonly span: Span | null;
}

/** Policies sorted by (namespace, name) for determinism. */
export interface PolicySet {
  readonly policies: readonly NetworkPolicy[];
}

export interface Model {
  readonly cluster: import("./cluster.js").Cluster;
  readonly policies: readonly NetworkPolicy[];
}
