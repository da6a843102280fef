// Hand-built IR for the Calico backend tests (spec felix-format §11 scenario
// and variations). Everything is already "validated and defaulted".
import { DEFAULT_CALICO_OPTIONS, type CalicoOptions } from "../../../src/backends/calico/index.js";
import { DiagnosticSink } from "../../../src/diagnostics/diagnostic.js";
import { resolveAddressing } from "../../../src/frontend/addressing/index.js";
import { ALL } from "../../../src/ir/calico-selector.js";
import type { Cluster, ContainerPort, IPPool, Namespace, Node, Pod, Protocol, ServiceAccount } from "../../../src/ir/cluster.js";
import type { IPAMObjects } from "../../../src/ir/ipam.js";
import type { Model, NetworkPolicy, Peer, PeerList, PolicyRule, PortEntry, PortList } from "../../../src/ir/policy.js";
import type { LabelSelector, SelectorRequirement } from "../../../src/ir/selector.js";

export function sel(matchLabels: Record<string, string> = {}, matchExpressions: SelectorRequirement[] = []): LabelSelector {
  const pairs = Object.entries(matchLabels).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { matchLabels: pairs, matchExpressions };
}

export function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { name, labels: new Map([["kubernetes.io/metadata.name", name], ...Object.entries(labels)]), span: null };
}

export function sa(namespace: string, name: string, labels: Record<string, string> = {}): ServiceAccount {
  return { namespace, name, labels: new Map(Object.entries(labels)) };
}

export interface PodOpts {
  namespace?: string;
  labels?: Record<string, string>;
  node?: string | null;
  ip?: string | string[];
  serviceAccount?: string;
  hostNetwork?: boolean;
  phase?: string | null;
  ports?: ContainerPort[];
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const ips = o.ip === undefined ? [] : Array.isArray(o.ip) ? o.ip : [o.ip];
  return {
    namespace: o.namespace ?? "default",
    name,
    labels: new Map(Object.entries(o.labels ?? {})),
    nodeName: o.node === undefined ? "node1" : o.node,
    serviceAccount: o.serviceAccount ?? "default",
    hostNetwork: o.hostNetwork ?? false,
    ips,
    phase: o.phase === undefined ? "Running" : o.phase,
    ports: o.ports ?? [],
    span: null,
  };
}

export function node(name: string, ip: string | null, tunnelAddress: string | null = null): Node {
  return {
    name,
    labels: new Map(),
    ip,
    ipPrefix: null,
    ip6: null,
    tunnelAddress,
    vxlanTunnelAddress: null,
    vxlanMac: null,
    annotationSpans: { ipipTunnel: null, vxlanTunnel: null },
    span: null,
  };
}

export function pool(cidr: string, o: Partial<IPPool> = {}): IPPool {
  return {
    name: o.name ?? "default-ipv4-ippool",
    cidr,
    ipipMode: o.ipipMode ?? "Always",
    vxlanMode: o.vxlanMode ?? "Never",
    natOutgoing: o.natOutgoing ?? true,
    blockSize: o.blockSize ?? 26,
    disabled: o.disabled ?? false,
    nodeSelector: o.nodeSelector ?? "all()",
    nodeSelectorAst: o.nodeSelectorAst ?? ALL,
    span: null,
  };
}

export function podPeer(pods: LabelSelector, namespaces: LabelSelector | null = null): Peer {
  return {
    kind: "pods",
    namespaces: namespaces === null ? { kind: "policy-namespace" } : { kind: "selector", selector: namespaces },
    pods,
    podSelectorGiven: true,
    span: null,
  };
}

export function ipBlock(cidr: string, except: string[] = []): Peer {
  return { kind: "ipBlock", cidr, except, span: null };
}

export function port(protocol: Protocol, p?: number | string, endPort?: number): PortEntry {
  const portMatch =
    p === undefined
      ? ({ kind: "all" } as const)
      : typeof p === "string"
        ? ({ kind: "named", name: p } as const)
        : ({ kind: "number", port: p, endPort: endPort ?? null } as const);
  return { protocol, port: portMatch, span: null };
}

export function rule(peers: Peer[] | null, ports: PortEntry[] | null = null, index = 0): PolicyRule {
  const peerList: PeerList = peers === null || peers.length === 0 ? { kind: "any" } : { kind: "peers", peers };
  const portList: PortList = ports === null || ports.length === 0 ? { kind: "any" } : { kind: "ports", ports };
  return { index, peers: peerList, ports: portList, span: null };
}

export interface PolicyOpts {
  namespace?: string;
  podSelector?: LabelSelector;
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
  types?: ("Ingress" | "Egress")[];
}

export function policy(name: string, o: PolicyOpts = {}): NetworkPolicy {
  const egress = o.egress ?? [];
  const types = o.types ?? (egress.length ? ["Ingress", "Egress"] : ["Ingress"]);
  return {
    namespace: o.namespace ?? "default",
    name,
    podSelector: o.podSelector ?? sel(),
    types: { ingress: types.includes("Ingress"), egress: types.includes("Egress") },
    ingress: o.ingress ?? [],
    egress,
    span: null,
  };
}

export interface ClusterOpts {
  namespaces?: Namespace[];
  serviceAccounts?: ServiceAccount[];
  pods?: Pod[];
  nodes?: Node[];
  pools?: IPPool[];
  ipam?: IPAMObjects;
}

export function model(c: ClusterOpts, policies: NetworkPolicy[] = []): Model {
  const pods = c.pods ?? [];
  const nodes = c.nodes ?? [];
  const pools = c.pools ?? [pool("192.168.0.0/16")];
  const cluster: Cluster = {
    calicoRelease: null,
    namespaces: c.namespaces ?? [ns("default")],
    serviceAccounts: c.serviceAccounts ?? [sa("default", "default")],
    pods,
    nodes,
    pools,
    ipam: c.ipam ?? null,
    addressing: resolveAddressing({ pods, nodes, pools, ipam: c.ipam ?? null }, new DiagnosticSink()),
  };
  return { cluster, policies };
}

/** The §11 scenario: node1 10.0.0.11 with db and backend, two other nodes. */
export const DB = pod("db-8d66ff5f7-bp6kf", { labels: { app: "db" }, ip: "192.168.231.5" });
export const BACKEND = pod("backend-867fd6dff-mjf92", {
  labels: { app: "backend", "networking/allow-db-access": "true" },
  ip: "192.168.231.6",
});
export const NODES = [node("node0", "10.0.0.10"), node("node1", "10.0.0.11"), node("node2", "10.0.0.12")];

export function scenario(policies: NetworkPolicy[], extraPods: Pod[] = []): Model {
  return model({ pods: [BACKEND, DB, ...extraPods], nodes: NODES }, policies);
}

/** F1 allow-db-access. */
export const ALLOW_DB_ACCESS = policy("allow-db-access", {
  podSelector: sel({ app: "db" }),
  types: ["Ingress"],
  ingress: [rule([podPeer(sel({ "networking/allow-db-access": "true" }))])],
});
/** F2 default-deny. */
export const DEFAULT_DENY = policy("default-deny", { types: ["Ingress"] });

/** Lines of `text` that start with `-A <chain> `. */
export function chainLines(text: string, chainName: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`-A ${chainName} `));
}

/** Lines of the spec's fenced blocks, for comparing against spec text. */
export function lines(s: string): string[] {
  return s.trim().split("\n").map((l) => l.trim());
}

/** The Calico v3.27 ("P27") options: the spec's fixtures F1–F5 and these tests are written in its layout. */
export const P27_OPTIONS: CalicoOptions = { ...DEFAULT_CALICO_OPTIONS, calicoVersion: "3.27" };
