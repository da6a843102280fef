// Felix invariants: what Felix guarantees for every workload on every node,
// whatever the NetworkPolicies say. They are NOT NetworkPolicy semantics —
// the reference evaluator has no verdict for these packets — but Felix's own
// contract, from the fixed head of every endpoint chain (felix-format §3.2,
// rules 1, 2 and 4 of `cali-tw-*` / `cali-fw-*`):
//
//   established  a packet of a known connection (ctstate ESTABLISHED) forwarded
//                to or sent by a workload is accepted;
//   invalid      a packet in ctstate INVALID forwarded to or sent by a workload
//                is dropped;
//   ipip         an IPIP packet (`-p 4`) sent by a workload is dropped
//                (AllowIPIPPacketsFromWorkloads=false, the default);
//   vxlan        a VXLAN packet (UDP 4789) sent by a workload is dropped
//                (AllowVXLANPacketsFromWorkloads=false, the default).
//
// Each is decided by the endpoint chain before any policy or profile chain
// is consulted — that is the guarantee: no policy can let an INVALID or
// encapsulated packet through, and no policy can cut an established
// connection. So a probe also fails when its walk enters a policy or profile
// chain, even if the verdict happens to come out right.
//
// "Forwarded to" a workload: Felix filters host-originated traffic to a local
// pod not at all (`cali-OUTPUT -o cali+ -j RETURN`, felix-format §2.3), so the
// inbound probes take a forward hop; outbound ones take the pod's first hop
// (forward, or INPUT for traffic to its own host, via cali-wl-to-host).
import { podIPv4 } from "../ir/cluster.js";
import type { Packet } from "../simulate/types.js";
import type { Flow } from "../semantics/index.js";
import type { Hop } from "./routing.js";
import { isWorkloadIface, probePacket, PROBE_SOURCE_PORT, podKey, type Topology } from "./topology.js";

/** Felix's VXLANPort default (felix-format §3.2 rule 4). */
export const FELIX_VXLAN_PORT = 4789;

export type InvariantId = "established-to" | "established-from" | "invalid-to" | "invalid-from" | "ipip-from" | "vxlan-from";

export interface Invariant {
  readonly id: InvariantId;
  /** What Felix guarantees, one sentence without the subject, for reports ("a packet … is dropped …"). */
  readonly statement: string;
  /** Whether the probe enters ("to") or leaves ("from") the workload. */
  readonly direction: "to" | "from";
  readonly verdict: "ACCEPT" | "DROP";
  /** Short label of the probe packet in reports ("INVALID", "IPIP"). */
  readonly label: string;
  /** The probe packet, from the first packet of the flow whose hop carries it. */
  packet(base: Packet): Packet;
}

const BEFORE_POLICY = "by the workload's endpoint chain before any policy or profile chain (felix-format §3.2)";

export const INVARIANTS: readonly Invariant[] = [
  {
    id: "established-to", direction: "to", verdict: "ACCEPT", label: "ESTABLISHED",
    statement: `a packet in ctstate ESTABLISHED forwarded to a workload is accepted ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, ctstate: "ESTABLISHED" }),
  },
  {
    id: "invalid-to", direction: "to", verdict: "DROP", label: "INVALID",
    statement: `a packet in ctstate INVALID forwarded to a workload is dropped ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, ctstate: "INVALID" }),
  },
  {
    id: "established-from", direction: "from", verdict: "ACCEPT", label: "ESTABLISHED",
    statement: `a packet in ctstate ESTABLISHED sent by a workload is accepted ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, ctstate: "ESTABLISHED" }),
  },
  {
    id: "invalid-from", direction: "from", verdict: "DROP", label: "INVALID",
    statement: `a packet in ctstate INVALID sent by a workload is dropped ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, ctstate: "INVALID" }),
  },
  {
    id: "ipip-from", direction: "from", verdict: "DROP", label: "IPIP",
    statement: `an IPIP packet (-p 4) sent by a workload is dropped ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, protocol: "4", srcPort: 0, dstPort: 0, ctstate: "NEW" }),
  },
  {
    id: "vxlan-from", direction: "from", verdict: "DROP", label: "VXLAN",
    statement: `a VXLAN packet (UDP ${FELIX_VXLAN_PORT}) sent by a workload is dropped ${BEFORE_POLICY}`,
    packet: (b) => ({ ...b, protocol: "udp", srcPort: PROBE_SOURCE_PORT, dstPort: FELIX_VXLAN_PORT, ctstate: "NEW" }),
  },
];

export interface InvariantProbe {
  readonly invariant: Invariant;
  /** "ns/name" of the workload the invariant is about. */
  readonly pod: string;
  /** The flow whose hop carries the probe (it gives the addresses and the route). */
  readonly flow: Flow;
  /** The one hop walked: the workload's own node. */
  readonly hop: Hop;
  readonly packet: Packet;
}

interface Candidate {
  readonly flow: Flow;
  readonly hop: Hop;
  readonly rank: number;
}

/**
 * How well a hop isolates the workload's own endpoint chain; lower is
 * better. Into the pod: from the wire or tunnel (0) rather than from another
 * local pod (1), whose `cali-fw-*` would decide first. Out of the pod: to the
 * wire or tunnel (0), to its own host (1; the INPUT path drops IPIP from
 * non-hosts before cali-wl-to-host), to another local pod (2). Null: the hop
 * does not cross the workload's chain.
 */
function rankOf(topo: Topology, hop: Hop, iface: string, direction: "to" | "from"): number | null {
  const p = hop.path;
  const local = (i: string): boolean => isWorkloadIface(topo, hop.node, i);
  if (direction === "to") return p.kind === "forward" && p.outIface === iface ? (local(p.inIface) ? 1 : 0) : null;
  if (p.kind === "input") return p.inIface === iface ? 1 : null;
  return p.kind === "forward" && p.inIface === iface ? (local(p.outIface) ? 2 : 0) : null;
}

function offer(best: Map<string, Candidate>, key: string, c: Candidate): void {
  const had = best.get(key);
  if (!had || c.rank < had.rank) best.set(key, c);
}

/**
 * One probe per invariant per endpoint pod, each on a hop chosen from the
 * flows verify walks anyway (the first best-ranked one, so the choice is
 * stable). Flows are offered one at a time, so a caller that makes flows as it
 * goes (class verify) keeps two candidates per pod, not the flows.
 */
export class InvariantCandidates {
  private readonly best = new Map<string, Candidate>();

  constructor(
    private readonly topo: Topology,
    private readonly hopsOf: (f: Flow) => readonly Hop[] | null,
  ) {}

  offer(flow: Flow): void {
    const hops = this.hopsOf(flow);
    if (!hops?.length) return;
    for (const [ep, direction, hop] of [[flow.dst, "to", hops[hops.length - 1]!], [flow.src, "from", hops[0]!]] as const) {
      if (ep.kind !== "pod" || podIPv4(ep.pod) === null) continue;
      const key = podKey(ep.pod.namespace, ep.pod.name);
      const at = this.topo.pods.get(key);
      const rank = at && at.node === hop.node ? rankOf(this.topo, hop, at.iface, direction) : null;
      if (rank !== null) offer(this.best, `${key}\u0000${direction}`, { flow, hop, rank });
    }
  }

  /** The probes of the flows offered so far, sorted by pod, then in INVARIANTS order. */
  probes(): InvariantProbe[] {
    const probes: InvariantProbe[] = [];
    // Sorted for determinism ("ns/name\0direction" keys, byte order).
    const pods = [...new Set([...this.best.keys()].map((k) => k.split("\u0000")[0]!))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const pod of pods) {
      for (const invariant of INVARIANTS) {
        const c = this.best.get(`${pod}\u0000${invariant.direction}`);
        if (c) probes.push({ invariant, pod, flow: c.flow, hop: c.hop, packet: invariant.packet(probePacket(c.flow)) });
      }
    }
    return probes;
  }
}

/** InvariantCandidates of `flows`, in their order. */
export function invariantProbes(topo: Topology, flows: readonly Flow[], hopsOf: (f: Flow) => readonly Hop[] | null): InvariantProbe[] {
  const candidates = new InvariantCandidates(topo, hopsOf);
  for (const flow of flows) candidates.offer(flow);
  return candidates.probes();
}
