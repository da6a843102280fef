// Random SMALL cluster snapshots: 1–3 namespaces, 2–3 nodes, 2–6 pods. Labels
// and port names come from tiny alphabets so that random selectors and named
// ports actually match something (a selector over a large alphabet almost
// always selects nothing, which tests very little).
import fc from "fast-check";
import type { YamlValue } from "./yaml.js";

export type Protocol = "TCP" | "UDP" | "SCTP";
export type Labels = Readonly<Record<string, string>>;

export interface NsShape {
  readonly name: string;
  /** Without kubernetes.io/metadata.name: the frontend adds it (and selectors may use it). */
  readonly labels: Labels;
}

export interface PortShape {
  readonly name: string | null;
  readonly port: number;
  readonly protocol: Protocol;
}

export type PodKind = "endpoint" | "hostNetwork" | "pending" | "succeeded";

export interface PodShape {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly kind: PodKind;
  readonly node: string | null;
  readonly ip: string | null;
  /** Container ports, one list per container. */
  readonly containers: readonly (readonly PortShape[])[];
}

export interface NodeShape {
  readonly name: string;
  readonly ip: string;
  /** IPIP tunnel address = first address of the node's /26 block. */
  readonly tunnel: string;
}

/** What the policy generator needs to know about a cluster (also built from the kernel harness's fixed snapshot). */
export interface ClusterShape {
  readonly namespaces: readonly NsShape[];
  readonly nodes: readonly NodeShape[];
  readonly pods: readonly PodShape[];
  /** Whether the snapshot carries an explicit IPPool (else the frontend's default 192.168.0.0/16). */
  readonly explicitPool: boolean;
}

export const NS_NAMES = ["x", "y", "z"] as const;
export const NS_LABEL_KEYS = ["team", "env"] as const;
export const NS_LABEL_VALUES = ["a", "b", ""] as const;
export const POD_LABEL_KEYS = ["app", "tier", "role"] as const;
export const POD_LABEL_VALUES = ["a", "b", "c"] as const;
const POD_NAMES = ["a", "b", "c", "d", "e", "f"] as const;

// Names are unique within a pod (this frontend refuses duplicates pod-wide),
// but `http` and `dns` mean different (number, protocol) pairs on different
// pods, and serve-80-udp vs serve-80-tcp differ only in protocol: named-port
// resolution must be per destination pod and per protocol (netpol-semantics §5).
export const PORT_CATALOG: readonly PortShape[] = [
  { name: "serve-80-tcp", port: 80, protocol: "TCP" },
  { name: "serve-80-udp", port: 80, protocol: "UDP" },
  { name: "serve-81-tcp", port: 81, protocol: "TCP" },
  { name: "serve-81-udp", port: 81, protocol: "UDP" },
  { name: "serve-80-sctp", port: 80, protocol: "SCTP" },
  { name: "http", port: 80, protocol: "TCP" },
  { name: "http", port: 8080, protocol: "TCP" },
  { name: "http", port: 81, protocol: "UDP" },
  { name: "dns", port: 53, protocol: "UDP" },
  { name: "dns", port: 5353, protocol: "TCP" },
  { name: null, port: 9000, protocol: "TCP" },
];

/** Distinct /26 blocks inside 192.168.0.0/16 (Calico's default pool). */
const BLOCK_BASES = ["192.168.1.0", "192.168.1.64", "192.168.7.128", "192.168.200.192"] as const;

export const labelsArb = (keys: readonly string[], values: readonly string[]): fc.Arbitrary<Labels> =>
  fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: keys.length });

export const portsArb: fc.Arbitrary<PortShape[][]> = fc
  .subarray([...PORT_CATALOG], { maxLength: 4 })
  .chain((ports) => {
    const seen = new Set<string>();
    const unique = ports.filter((p) => p.name === null || (!seen.has(p.name) && seen.add(p.name)));
    // Spread over one or two containers: a pod's named ports come from all of them.
    return fc.array(fc.boolean(), { minLength: unique.length, maxLength: unique.length }).map((second) => [
      unique.filter((_, i) => !second[i]),
      unique.filter((_, i) => second[i]),
    ]);
  })
  .map((cs) => cs.filter((c, i) => c.length > 0 || i === 0));

interface PodDraft {
  readonly ns: number;
  readonly node: number;
  readonly labels: Labels;
  readonly kind: PodKind;
  readonly containers: PortShape[][];
}

const podDraftArb = (nsCount: number, nodeCount: number): fc.Arbitrary<PodDraft> =>
  fc.record({
    ns: fc.nat(nsCount - 1),
    node: fc.nat(nodeCount - 1),
    labels: labelsArb(POD_LABEL_KEYS, POD_LABEL_VALUES),
    // Mostly real endpoints; now and then a pod that must be in no set and get no chain (felix-format §3.4).
    kind: fc.oneof(
      { weight: 12, arbitrary: fc.constant<PodKind>("endpoint") },
      { weight: 1, arbitrary: fc.constantFrom<PodKind>("hostNetwork", "pending", "succeeded") },
    ),
    containers: portsArb,
  });

function addOffset(base: string, n: number): string {
  const parts = base.split(".").map(Number);
  return [parts[0], parts[1], parts[2], (parts[3] ?? 0) + n].join(".");
}

function buildPods(drafts: readonly PodDraft[], namespaces: readonly NsShape[], nodes: readonly NodeShape[]): PodShape[] {
  const perNs = new Map<string, number>();
  const perNode = new Map<string, number>();
  return drafts.map((d) => {
    const ns = namespaces[d.ns]!.name;
    const node = nodes[d.node]!;
    const nameIdx = perNs.get(ns) ?? 0;
    perNs.set(ns, nameIdx + 1);
    // Host .0 of each block is the tunnel address; pods take .1, .2, … of their node's block.
    const hostIdx = (perNode.get(node.name) ?? 0) + 1;
    perNode.set(node.name, hostIdx);
    const ip = d.kind === "hostNetwork" ? node.ip : d.kind === "pending" ? null : addOffset(node.tunnel, hostIdx);
    return {
      namespace: ns,
      name: POD_NAMES[nameIdx]!,
      labels: d.labels,
      kind: d.kind,
      node: d.kind === "pending" ? null : node.name,
      ip,
      containers: d.containers,
    };
  });
}

export const clusterArb: fc.Arbitrary<ClusterShape> = fc
  .record({
    nsNames: fc.shuffledSubarray([...NS_NAMES], { minLength: 1, maxLength: 3 }),
    nsLabels: fc.array(labelsArb(NS_LABEL_KEYS, NS_LABEL_VALUES), { minLength: 3, maxLength: 3 }),
    blocks: fc.shuffledSubarray([...BLOCK_BASES], { minLength: 2, maxLength: 3 }),
    explicitPool: fc.boolean(),
  })
  .chain(({ nsNames, nsLabels, blocks, explicitPool }) => {
    const namespaces = nsNames.map((name, i) => ({ name, labels: nsLabels[i] ?? {} }));
    const nodes = blocks.map((tunnel, i) => ({ name: `node-${i + 1}`, ip: `10.0.0.${11 + i}`, tunnel }));
    return fc
      .array(podDraftArb(namespaces.length, nodes.length), { minLength: 2, maxLength: 6 })
      // The first two pods are always endpoints, so every case has pod-to-pod flows to verify.
      .map((drafts) => drafts.map((d, i) => (i < 2 ? { ...d, kind: "endpoint" as const } : d)))
      .map((drafts) => ({ namespaces, nodes, pods: buildPods(drafts, namespaces, nodes), explicitPool }));
  });

/** The snapshot as Kubernetes objects (what `kubectl get -o yaml` would print, trimmed). */
export function clusterDocs(c: ClusterShape): YamlValue[] {
  const docs: YamlValue[] = [];
  for (const ns of c.namespaces) {
    docs.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels } });
  }
  for (const n of c.nodes) {
    const annotations = { "projectcalico.org/IPv4Address": `${n.ip}/24`, "projectcalico.org/IPv4IPIPTunnelAddr": n.tunnel };
    const status = { addresses: [{ type: "InternalIP", address: n.ip }] };
    docs.push({ apiVersion: "v1", kind: "Node", metadata: { name: n.name, annotations }, status });
  }
  if (c.explicitPool) {
    const spec = { cidr: "192.168.0.0/16", ipipMode: "Always", natOutgoing: true, blockSize: 26 };
    docs.push({ apiVersion: "crd.projectcalico.org/v1", kind: "IPPool", metadata: { name: "default-ipv4-ippool" }, spec });
  }
  for (const p of c.pods) docs.push(podDoc(p));
  return docs;
}

/** A pod as the API server prints it (trimmed): phase, podIP(s), nodeName, container ports. */
export function podDoc(p: PodShape): YamlValue {
  const containers = p.containers.map((ports, i) => ({
    name: `c${i}`,
    image: "agnhost",
    ports: ports.map((q) => ({ ...(q.name ? { name: q.name } : {}), containerPort: q.port, protocol: q.protocol })),
  }));
  const spec = { ...(p.node ? { nodeName: p.node } : {}), ...(p.kind === "hostNetwork" ? { hostNetwork: true } : {}), containers };
  const phase = p.kind === "pending" ? "Pending" : p.kind === "succeeded" ? "Succeeded" : "Running";
  const status = { phase, ...(p.ip ? { podIP: p.ip, podIPs: [{ ip: p.ip }] } : {}) };
  return { apiVersion: "v1", kind: "Pod", metadata: { name: p.name, namespace: p.namespace, labels: p.labels }, spec, status };
}
