// Kubernetes NetworkPolicy rules → Calico rules, as libcalico-go's
// k8sRuleToCalico does it (§10.3, §10.4). Pure data; rendering is in
// policy-rules.ts.
import type { Protocol } from "../../ir/cluster.js";
import type { Peer, PolicyRule, PortEntry } from "../../ir/policy.js";
import { byteCompare } from "../../rules/writer.js";
import { normalizeCidr } from "./ipv4.js";
import { namespaceSelectorToCalico, peerSelector } from "./selector.js";
import type { CalicoSelector } from "./selector.js";

export type CalicoProtocol = "tcp" | "udp" | "sctp";

export type CalicoPort =
  | { readonly kind: "range"; readonly first: number; readonly last: number }
  | { readonly kind: "named"; readonly name: string };

/** One Calico allow rule, reduced to the fields k8s can populate. */
export interface CalicoRule {
  readonly protocol: CalicoProtocol | null;
  readonly srcSelector: CalicoSelector | null;
  readonly dstSelector: CalicoSelector | null;
  readonly srcNets: readonly string[];
  readonly notSrcNets: readonly string[];
  readonly dstNets: readonly string[];
  readonly notDstNets: readonly string[];
  /** Destination ports (k8s ports are always destination ports, §10.6.11). */
  readonly dstPorts: readonly CalicoPort[];
}

interface PeerFields {
  readonly selector: CalicoSelector | null;
  readonly nets: readonly string[];
  readonly notNets: readonly string[];
}

const NO_PEER: PeerFields = { selector: null, nets: [], notNets: [] };

/** k8sPeerToCalicoFields (§10.3.7, §10.4). */
function peerFields(peer: Peer, policyNamespace: string): PeerFields {
  if (peer.kind === "ipBlock") {
    return { selector: null, nets: [normalizeCidr(peer.cidr)], notNets: peer.except.map(normalizeCidr) };
  }
  const scope =
    peer.namespaces.kind === "policy-namespace"
      ? { policyNamespace }
      : namespaceSelectorToCalico(peer.namespaces.selector);
  return { selector: peerSelector(scope, peer.pods), nets: [], notNets: [] };
}

function toCalicoPort(e: PortEntry): CalicoPort | null {
  const p = e.port;
  if (p.kind === "all") return null;
  if (p.kind === "named") return { kind: "named", name: p.name };
  return { kind: "range", first: p.port, last: p.endPort ?? p.port };
}

/**
 * Group ports by protocol (§10.3.4): "all ports" for a protocol wins over any
 * explicit list for it. Key "" with null = no ports field at all.
 */
function groupByProtocol(rule: PolicyRule): Map<string, CalicoPort[] | null> {
  const groups = new Map<string, CalicoPort[] | null>();
  if (rule.ports.kind === "any") return groups.set("", null);
  for (const e of rule.ports.ports) {
    const port = toCalicoPort(e);
    const prev = groups.get(e.protocol);
    if (port === null || prev === null) groups.set(e.protocol, null);
    else groups.set(e.protocol, [...(prev ?? []), port]);
  }
  return groups;
}

/**
 * SimplifyPorts (§10.3.6): named ports first in their order, then the numeric
 * ports merged into maximal contiguous ranges — unless there is at most one
 * distinct numeric port, when the list is returned untouched.
 */
export function simplifyPorts(ports: readonly CalicoPort[]): readonly CalicoPort[] {
  if (ports.length <= 1) return ports;
  const numbers = new Set<number>();
  for (const p of ports) if (p.kind === "range") for (let n = p.first; n <= p.last; n++) numbers.add(n);
  if (numbers.size <= 1) return ports;
  const sorted = [...numbers].sort((a, b) => a - b);
  const ranges: CalicoPort[] = [];
  let first = sorted[0] as number;
  let last = first;
  for (const n of sorted.slice(1)) {
    if (n === last + 1) last = n;
    else {
      ranges.push({ kind: "range", first, last });
      first = last = n;
    }
  }
  ranges.push({ kind: "range", first, last });
  return [...ports.filter((p) => p.kind === "named"), ...ranges];
}

function lowerProtocol(p: string): CalicoProtocol | null {
  return p === "" ? null : (p.toLowerCase() as Lowercase<Protocol>);
}

/**
 * k8sRuleToCalico (§10.3): protocol-major, then peer order. Ingress peers
 * become the source; egress peers the destination; ports are always the
 * destination.
 */
export function k8sRuleToCalico(rule: PolicyRule, dir: "ingress" | "egress", policyNamespace: string): CalicoRule[] {
  const peers = rule.peers.kind === "any" ? [NO_PEER] : rule.peers.peers.map((p) => peerFields(p, policyNamespace));
  const groups = groupByProtocol(rule);
  const out: CalicoRule[] = [];
  // "" < SCTP < TCP < UDP (§10.3.5); sorted for determinism.
  for (const proto of [...groups.keys()].sort(byteCompare)) {
    const dstPorts = simplifyPorts(groups.get(proto) ?? []);
    for (const peer of peers) {
      const src = dir === "ingress" ? peer : NO_PEER;
      const dst = dir === "egress" ? peer : NO_PEER;
      out.push({
        protocol: lowerProtocol(proto),
        srcSelector: src.selector,
        dstSelector: dst.selector,
        srcNets: src.nets,
        notSrcNets: src.notNets,
        dstNets: dst.nets,
        notDstNets: dst.notNets,
        dstPorts,
      });
    }
  }
  return out;
}
