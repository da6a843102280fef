// "Does rule B allow everything rule A allows?", decided syntactically and
// conservatively: a `true` is always right, a `false` may miss a subsumption
// that needs the snapshot (two different selectors matching the same pods).
// Used by the redundant-rule lint, where a missed finding is harmless and a
// wrong one would tell the user to delete a rule that matters.
import type { Peer, PolicyRule, PortEntry } from "../ir/policy.js";
import { isEmptySelector } from "../ir/selector.js";
import { cidrContains, parseCidr } from "../semantics/ip.js";

const strip = (p: Peer): string => JSON.stringify({ ...p, span: null });

function peerSubsumes(b: Peer, a: Peer): boolean {
  if (strip(a) === strip(b)) return true;
  if (a.kind === "pods" && b.kind === "pods") {
    return JSON.stringify(a.namespaces) === JSON.stringify(b.namespaces) && isEmptySelector(b.pods);
  }
  if (a.kind === "ipBlock" && b.kind === "ipBlock" && b.except.length === 0) {
    const [ca, cb] = [parseCidr(a.cidr), parseCidr(b.cidr)];
    return ca !== null && cb !== null && ca.family === cb.family && cb.prefix <= ca.prefix && cidrContains(cb, { family: ca.family, value: ca.network });
  }
  return false;
}

function portSubsumes(b: PortEntry, a: PortEntry): boolean {
  if (a.protocol !== b.protocol) return false;
  const [pa, pb] = [a.port, b.port];
  if (pb.kind === "all") return true;
  if (pa.kind === "named" || pb.kind === "named") return pa.kind === "named" && pb.kind === "named" && pa.name === pb.name;
  if (pa.kind === "all") return false;
  return pb.port <= pa.port && (pa.endPort ?? pa.port) <= (pb.endPort ?? pb.port);
}

export function ruleSubsumes(b: PolicyRule, a: PolicyRule): boolean {
  const peersOk = b.peers.kind === "any" || (a.peers.kind === "peers" && a.peers.peers.every((pa) => (b.peers as { peers: readonly Peer[] }).peers.some((pb) => peerSubsumes(pb, pa))));
  if (!peersOk) return false;
  if (b.ports.kind === "any") return true;
  if (a.ports.kind === "any") return false;
  const bPorts = b.ports.ports;
  return a.ports.ports.every((pa) => bPorts.some((pb) => portSubsumes(pb, pa)));
}
