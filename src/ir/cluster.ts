// The cluster model of the policy IR: what the snapshot says exists.
import type { Span } from "../diagnostics/diagnostic.js";
import { evaluate, type CalicoSelector } from "./calico-selector.js";
import type { Addressing, IPAMObjects } from "./ipam.js";
import type { Labels } from "./selector.js";
import type { ServiceModel } from "./service.js";

import type { Protocol } from "./protocol.js";

export type { Protocol };

export interface Namespace {
  readonly name: string;
  /** Includes the automatic kubernetes.io/metadata.name label. */
  readonly labels: Labels;
  readonly span: Span | null;
}

export interface ServiceAccount {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
}

export interface ContainerPort {
  readonly name: string | null;
  readonly protocol: Protocol;
  readonly containerPort: number;
}

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly nodeName: string | null;
  /** spec.serviceAccountName, defaulted to "default". */
  readonly serviceAccount: string;
  readonly hostNetwork: boolean;
  /** IPv4 and IPv6 addresses from status.podIPs / status.podIP, de-duplicated, in the order given. */
  readonly ips: readonly string[];
  readonly phase: string | null;
  /** Every container port of every container, in document order. */
  readonly ports: readonly ContainerPort[];
  readonly span: Span | null;
}

export interface Node {
  readonly name: string;
  readonly labels: Labels;
  /** The node's IPv4 address (projectcalico.org/IPv4Address without its prefix, else the InternalIP, else the ExternalIP). */
  readonly ip: string | null;
  /** The prefix length of projectcalico.org/IPv4Address (its subnet decides CrossSubnet); null when not given. */
  readonly ipPrefix: number | null;
  /** The node's IPv6 address (projectcalico.org/IPv6Address without its prefix, else the first IPv6 InternalIP, else ExternalIP); null when it has none. */
  readonly ip6: string | null;
  /** projectcalico.org/IPv4IPIPTunnelAddr when given (the resolved one, inferred or not, is in Cluster.addressing). */
  readonly tunnelAddress: string | null;
  /** projectcalico.org/IPv4VXLANTunnelAddr when given. */
  readonly vxlanTunnelAddress: string | null;
  /** projectcalico.org/VXLANTunnelMACAddr when given, lower case. */
  readonly vxlanMac: string | null;
  /** Where the tunnel annotations sit (diagnostics about them point there). */
  readonly annotationSpans: { readonly ipipTunnel: Span | null; readonly vxlanTunnel: Span | null };
  readonly span: Span | null;
}

export type EncapMode = "Always" | "CrossSubnet" | "Never";

export interface IPPool {
  readonly name: string;
  /** Normalised network CIDR, e.g. "192.168.0.0/16". */
  readonly cidr: string;
  readonly ipipMode: EncapMode;
  readonly vxlanMode: EncapMode;
  readonly natOutgoing: boolean;
  readonly blockSize: number;
  readonly disabled: boolean;
  /** Calico selector over node labels (`all()` when absent): which nodes allocate from the pool. */
  readonly nodeSelector: string;
  /**
   * `nodeSelector` parsed once, at decode time (an invalid one is a decode
   * error, so every IPPool has one). Plain data: it crosses worker threads by structured clone.
   */
  readonly nodeSelectorAst: CalicoSelector;
  readonly span: Span | null;
}

/**
 * The snapshot after lowering. Every list is sorted (namespace, then name) for
 * determinism, whatever the input order.
 */
export interface Cluster {
  readonly namespaces: readonly Namespace[];
  readonly serviceAccounts: readonly ServiceAccount[];
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  /** Never empty: Calico's manifest default 192.168.0.0/16 when the input has none. */
  readonly pools: readonly IPPool[];
  /** IPAMBlock, BlockAffinity, IPAMHandle and IPAMConfig objects; null when the snapshot has none. */
  readonly ipam: IPAMObjects | null;
  /** Blocks, their owners, borrowed and tunnel addresses: from `ipam`, else inferred (spec calico-routes §5). */
  readonly addressing: Addressing;
  /** Services, their endpoints and kube-proxy's configuration; absent when the snapshot declares none (src/ir/service.ts). */
  readonly services?: ServiceModel;
  /** The Calico release a ClusterInformation in the snapshot names (spec.calicoVersion); null when there is none. */
  readonly calicoRelease: CalicoRelease | null;
}

/** A Calico release as ClusterInformation's spec.calicoVersion gives it. */
export interface CalicoRelease {
  /** As written, e.g. `v3.28.1`. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly span: Span;
}

/**
 * A pod that is a policy endpoint: has a node and an address (IPv4, IPv6 or
 * both), is not host-networked, and is not Succeeded/Failed (spec
 * felix-format §3.4, §10.6.16). Felix programs its interface in the tables of
 * both families (ipv6-and-policy A1); the IPv4 checks (verify's flows) take
 * the endpoints with an IPv4 address (`podIPv4`).
 */
export function isEndpoint(p: Pod): boolean {
  if (p.hostNetwork || !p.nodeName) return false;
  if (p.phase === "Succeeded" || p.phase === "Failed") return false;
  return p.ips.length > 0;
}

/**
 * Whether a node allocates from the pool: its nodeSelector over the node's
 * labels (libcalico-go ipam SelectsNode). Disabled pools are the caller's concern.
 */
export function poolSelectsNode(pool: Pick<IPPool, "nodeSelectorAst">, node: Pick<Node, "labels">): boolean {
  return evaluate(pool.nodeSelectorAst, node.labels);
}

export function podIPv4(p: Pod): string | null {
  return p.ips.find((ip) => !ip.includes(":")) ?? null;
}

/** The pod's first IPv6 address (status.podIPs), or null. */
export function podIPv6(p: Pod): string | null {
  return p.ips.find((ip) => ip.includes(":")) ?? null;
}

/** A node's own IPv4 addresses: its IP and its tunnel addresses as the address plan resolved them. */
export function hostAddresses(cluster: Cluster, node: Node): string[] {
  const plan = cluster.addressing.nodes.get(node.name);
  return [node.ip, plan?.ipipTunnel?.address ?? null, plan?.vxlanTunnel?.address ?? null].filter((a): a is string => a !== null);
}
