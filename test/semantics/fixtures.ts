// Hand-built policy IR for tests: a small builder so a test reads like the
// YAML it stands for. Reusable by any test that needs a Model without the
// frontend (the evaluator must be testable while the loader is in flux).
//
// The builders apply the API server's defaulting (spec/netpol-semantics.md §2)
// where the IR expects it: protocol TCP, and policyTypes = [Ingress] plus
// Egress iff there is at least one egress rule, unless `types` is given.
import { DiagnosticSink } from "../../src/diagnostics/diagnostic.js";
import { resolveAddressing } from "../../src/frontend/addressing/index.js";
import { ALL } from "../../src/ir/calico-selector.js";
import type { Cluster, ContainerPort, IPPool, Namespace, Node, Pod, Protocol } from "../../src/ir/cluster.js";
import type { Model, NetworkPolicy, Peer, PeerList, PortEntry, PortList, PolicyRule } from "../../src/ir/policy.js";
import type { LabelSelector, Labels, SelectorRequirement } from "../../src/ir/selector.js";
import type { Flow, FlowEndpoint } from "../../src/semantics/types.js";

export type LabelMap = Readonly<Record<string, string>>;

// Sorted for determinism: the IR keeps label pairs in byte order.
const byKey = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

export function labels(map: LabelMap = {}): Labels {
  return new Map(Object.entries(map).sort(byKey));
}

/** A LabelSelector: `sel()` is `{}` (everything), `sel({app: "a"}, notIn("tier", "db"))`. */
export function sel(matchLabels: LabelMap = {}, ...matchExpressions: SelectorRequirement[]): LabelSelector {
  return { matchLabels: Object.entries(matchLabels).sort(byKey), matchExpressions };
}

export const inSet = (key: string, ...values: string[]): SelectorRequirement => ({ key, operator: "In", values });
export const notIn = (key: string, ...values: string[]): SelectorRequirement => ({ key, operator: "NotIn", values });
export const exists = (key: string): SelectorRequirement => ({ key, operator: "Exists", values: [] });
export const doesNotExist = (key: string): SelectorRequirement => ({ key, operator: "DoesNotExist", values: [] });

export function namespace(name: string, extra: LabelMap = {}): Namespace {
  return { name, labels: labels({ ...extra, "kubernetes.io/metadata.name": name }), span: null };
}

export function cport(name: string | null, containerPort: number, protocol: Protocol = "TCP"): ContainerPort {
  return { name, containerPort, protocol };
}

export interface PodOptions {
  readonly labels?: LabelMap;
  readonly node?: string | null;
  /** Shorthand for a single IP; `ips` wins when both are given. */
  readonly ip?: string;
  readonly ips?: readonly string[];
  readonly ports?: readonly ContainerPort[];
  readonly hostNetwork?: boolean;
  readonly phase?: string | null;
  readonly serviceAccount?: string;
}

/** `pod("x/a", {ip: "192.168.0.10"})`; node defaults to "node1", phase to Running. */
export function pod(qualified: string, o: PodOptions = {}): Pod {
  const [ns, name] = split(qualified);
  return {
    namespace: ns,
    name,
    labels: labels(o.labels),
    nodeName: o.node === undefined ? "node1" : o.node,
    serviceAccount: o.serviceAccount ?? "default",
    hostNetwork: o.hostNetwork ?? false,
    ips: o.ips ?? (o.ip !== undefined ? [o.ip] : []),
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

/** A pod peer. `namespaces` undefined = namespaceSelector absent (policy namespace); `sel()` = every namespace. */
export function podPeer(pods: LabelSelector | null, namespaces?: LabelSelector): Peer {
  return {
    kind: "pods",
    namespaces: namespaces === undefined ? { kind: "policy-namespace" } : { kind: "selector", selector: namespaces },
    pods: pods ?? sel(),
    podSelectorGiven: pods !== null,
    span: null,
  };
}

/** A namespaceSelector-only peer. */
export const nsPeer = (namespaces: LabelSelector): Peer => podPeer(null, namespaces);

export function ipBlock(cidr: string, ...except: string[]): Peer {
  return { kind: "ipBlock", cidr, except, span: null };
}

const entry = (protocol: Protocol, port: PortEntry["port"]): PortEntry => ({ protocol, port, span: null });
const numeric = (port: number, endPort: number | null) => ({ kind: "number" as const, port, endPort });
export const tcp = (port: number, endPort: number | null = null): PortEntry => entry("TCP", numeric(port, endPort));
export const udp = (port: number, endPort: number | null = null): PortEntry => entry("UDP", numeric(port, endPort));
export const sctp = (port: number, endPort: number | null = null): PortEntry => entry("SCTP", numeric(port, endPort));
export const named = (name: string, protocol: Protocol = "TCP"): PortEntry => entry(protocol, { kind: "named", name });
/** `{protocol: P}` with no port: every port of P; `allPorts()` is what `ports: [{}]` defaults to. */
export const allPorts = (protocol: Protocol = "TCP"): PortEntry => entry(protocol, { kind: "all" });

export interface RuleDraft {
  /** Absent or [] = any peer (spec §3 table). */
  readonly peers?: readonly Peer[];
  /** Absent or [] = any protocol and port. */
  readonly ports?: readonly PortEntry[];
}

function lowerRule(r: RuleDraft, index: number): PolicyRule {
  const peers: PeerList = r.peers && r.peers.length > 0 ? { kind: "peers", peers: r.peers } : { kind: "any" };
  const ports: PortList = r.ports && r.ports.length > 0 ? { kind: "ports", ports: r.ports } : { kind: "any" };
  return { index, peers, ports, span: null };
}

export interface PolicyDraft {
  readonly podSelector?: LabelSelector;
  /** Explicit spec.policyTypes; absent = API defaulting (§2.1). */
  readonly types?: readonly ("Ingress" | "Egress")[];
  readonly ingress?: readonly RuleDraft[];
  readonly egress?: readonly RuleDraft[];
}

/** `policy("x/deny-all")` is a default-deny-ingress policy for namespace x. */
export function policy(qualified: string, d: PolicyDraft = {}): NetworkPolicy {
  const [ns, name] = split(qualified);
  const egress = d.egress ?? [];
  const types = d.types
    ? { ingress: d.types.includes("Ingress"), egress: d.types.includes("Egress") }
    : { ingress: true, egress: egress.length > 0 };
  return {
    namespace: ns,
    name,
    podSelector: d.podSelector ?? sel(),
    types,
    ingress: (d.ingress ?? []).map(lowerRule),
    egress: egress.map(lowerRule),
    span: null,
  };
}

export interface ModelDraft {
  readonly namespaces?: readonly Namespace[];
  readonly pods?: readonly Pod[];
  readonly nodes?: readonly Node[];
  readonly policies?: readonly NetworkPolicy[];
}

/** A Model; namespaces named by pods or policies but not listed are added with only their name label. */
export function model(d: ModelDraft): Model {
  const pods = [...(d.pods ?? [])].sort(byQualified);
  const policies = [...(d.policies ?? [])].sort(byQualified);
  const namespaces = new Map((d.namespaces ?? []).map((n) => [n.name, n] as const));
  for (const o of [...pods, ...policies]) if (!namespaces.has(o.namespace)) namespaces.set(o.namespace, namespace(o.namespace));
  const nodes = [...(d.nodes ?? [])].sort((a, b) => cmp(a.name, b.name));
  const pools: IPPool[] = [
    {
      name: "default-ipv4-ippool",
      cidr: "192.168.0.0/16",
      ipipMode: "Always",
      vxlanMode: "Never",
      natOutgoing: true,
      blockSize: 26,
      disabled: false,
      nodeSelector: "all()",
      nodeSelectorAst: ALL,
      span: null,
    },
  ];
  const cluster: Cluster = {
    calicoRelease: null,
    namespaces: [...namespaces.values()].sort((a, b) => cmp(a.name, b.name)),
    serviceAccounts: [],
    pods,
    nodes,
    pools,
    ipam: null,
    addressing: resolveAddressing({ pods, nodes, pools, ipam: null }, new DiagnosticSink()),
  };
  return { cluster, policies };
}

/** A pod or a plain IP ("10.0.0.1"). */
export function at(e: Pod | string): FlowEndpoint {
  return typeof e === "string" ? { kind: "ip", ip: e } : { kind: "pod", pod: e };
}

export function flow(src: Pod | string, dst: Pod | string, protocol: Protocol = "TCP", port = 80): Flow {
  return { src: at(src), dst: at(dst), protocol, port };
}

function split(qualified: string): [string, string] {
  const i = qualified.indexOf("/");
  if (i < 0) throw new Error(`fixture: expected "namespace/name", got ${qualified}`);
  return [qualified.slice(0, i), qualified.slice(i + 1)];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byQualified = (a: { namespace: string; name: string }, b: { namespace: string; name: string }): number =>
  cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
