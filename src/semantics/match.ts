// Rule matching for the reference evaluator: peersMatch and portsMatch of
// spec/netpol-semantics.md §8, straight from the policy IR.
import { isEndpoint, type Pod, type Protocol } from "../ir/cluster.js";
import type { NamespaceScope, Peer, PeerList, PortEntry, PortList } from "../ir/policy.js";
import { selectorMatches } from "../ir/selector.js";
import type { FlowEndpoint } from "./types.js";
import { cidrContains, type Address } from "./ip.js";
import type { ModelIndex } from "./model-index.js";

/**
 * The container port numbers a pod exposes under `name` for `protocol`.
 * Matching is by name AND protocol (spec §5: `serve-81-udp` without
 * `protocol: UDP` matches nothing). Pod validation only forbids duplicate
 * names within one container, so two containers may map one name to several
 * numbers: all are returned, sorted and de-duplicated.
 */
export function resolveNamedPort(pod: Pod, name: string, protocol: Protocol): number[] {
  const found = new Set<number>();
  for (const p of pod.ports) {
    if (p.name === name && p.protocol === protocol) found.add(p.containerPort);
  }
  // Sorted for determinism.
  return [...found].sort((a, b) => a - b);
}

/** What a peer list needs to know about the remote end of a flow. */
export interface Remote {
  readonly endpoint: FlowEndpoint;
  /** The address ipBlocks are matched against (pod or not, spec §4); null when there is none in the flow's family. */
  readonly address: Address | null;
}

function namespaceInScope(idx: ModelIndex, scope: NamespaceScope, policyNs: string, podNs: string): boolean {
  if (scope.kind === "policy-namespace") return podNs === policyNs;
  return selectorMatches(scope.selector, idx.namespaceLabels(podNs));
}

function peerMatches(idx: ModelIndex, peer: Peer, policyNs: string, remote: Remote): boolean {
  if (peer.kind === "ipBlock") {
    const addr = remote.address;
    if (!addr) return false;
    // A malformed CIDR (validation reports it) matches nothing.
    const cidr = idx.cidr(peer.cidr);
    if (!cidr || !cidrContains(cidr, addr)) return false;
    // `except` trims this block only; it is not a deny (spec §4).
    return !peer.except.some((e) => {
      const ex = idx.cidr(e);
      return ex !== null && cidrContains(ex, addr);
    });
  }
  // Pod peers select endpoints only: never hostNetwork, IP-less or finished pods (spec §7).
  const ep = remote.endpoint;
  if (ep.kind !== "pod" || !isEndpoint(ep.pod)) return false;
  return namespaceInScope(idx, peer.namespaces, policyNs, ep.pod.namespace) && selectorMatches(peer.pods, ep.pod.labels);
}

export function peersMatch(idx: ModelIndex, list: PeerList, policyNs: string, remote: Remote): boolean {
  if (list.kind === "any") return true;
  return list.peers.some((peer) => peerMatches(idx, peer, policyNs, remote));
}

function entryMatches(entry: PortEntry, dst: FlowEndpoint, protocol: Protocol, port: number): boolean {
  if (entry.protocol !== protocol) return false;
  const m = entry.port;
  switch (m.kind) {
    case "all":
      return true;
    case "number":
      return m.endPort === null ? port === m.port : m.port <= port && port <= m.endPort;
    case "named":
      // Resolved against the destination pod; a non-pod destination cannot resolve a name (spec §5).
      return dst.kind === "pod" && isEndpoint(dst.pod) && resolveNamedPort(dst.pod, m.name, protocol).includes(port);
  }
}

/** `dst` is the flow's destination: the protected pod for ingress, the peer for egress. */
export function portsMatch(list: PortList, dst: FlowEndpoint, protocol: Protocol, port: number): boolean {
  if (list.kind === "any") return true;
  return list.ports.some((e) => entryMatches(e, dst, protocol, port));
}
