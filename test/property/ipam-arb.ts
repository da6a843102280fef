// Random clusters whose pods of one block sit on several nodes (spec
// calico-routes §2.3–§2.7, §5): 2–5 nodes, some in a second subnet so that
// CrossSubnet matters, 1–3 pools (IPIP Always / CrossSubnet, VXLAN Always /
// CrossSubnet, Never), random blocks with a random affinity (or none), and
// every pod placed on a random node in a random block — so blocks are shared
// and addresses borrowed — unless strictAffinity forbids borrowing. Tunnel
// addresses are allocated like pods (in an own block, or borrowed), and only
// sometimes annotated on the Node. In half the cases the snapshot carries
// IPAMBlocks (allocations whose secondary.node is where the pod runs), mostly
// with BlockAffinities (confirmed, pending or pendingDeletion; an
// affinity-less block now and then gets a pendingDeletion one: a release in
// progress); otherwise netpolc must infer the plan (§5.2).
//
// Raw draws are plain numbers and booleans; `build` turns them into a
// consistent case deterministically, so fast-check shrinks the draws and the
// case stays consistent while it does.
import fc from "fast-check";
import {
  labelsArb, NS_LABEL_KEYS, NS_LABEL_VALUES, NS_NAMES, podDoc, POD_LABEL_KEYS, POD_LABEL_VALUES, portsArb,
  type ClusterShape, type Labels, type NsShape, type PodShape, type PortShape,
} from "./cluster-arb.js";
import { policyArbs } from "./policy-arb.js";
import { allocateBlocks, type BlockCase, type ClaimState, type NodeCase, type PoolCase, type PoolMode } from "./ipam-blocks.js";
import { yamlFile, type YamlStyle, type YamlValue } from "./yaml.js";

export { cidrName, encapOf, ipToInt, intToIp, type Allocation, type BlockCase, type ClaimState, type Encap, type NodeCase, type PoolCase, type PoolMode } from "./ipam-blocks.js";

/** Which IPAM objects the snapshot carries: none (inferred plan), IPAMBlocks only, or IPAMBlocks + BlockAffinities. */
export type IpamObjects = "none" | "blocks" | "blocks+affinities";

export interface IpamCase {
  /** What the policy generator reads (names, labels, addresses). */
  readonly shape: ClusterShape;
  readonly pools: readonly PoolCase[];
  readonly nodes: readonly NodeCase[];
  readonly blocks: readonly BlockCase[];
  readonly objects: IpamObjects;
  /** IPAMConfig strictAffinity; null: no IPAMConfig object. */
  readonly strictAffinity: boolean | null;
  readonly policies: readonly YamlValue[];
  readonly style: YamlStyle;
}

const MODES: readonly PoolMode[] = ["ipip-always", "ipip-cross", "vxlan-always", "vxlan-cross", "never"];
const POD_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;
const V1 = "crd.projectcalico.org/v1";

const rawPod = fc.record({
  node: fc.nat(4),
  block: fc.nat(5),
  ns: fc.nat(1),
  labels: labelsArb(POD_LABEL_KEYS, POD_LABEL_VALUES),
  containers: portsArb,
  hostNetwork: fc.nat(11).map((n) => n === 0),
});

const rawArb = fc.record({
  pools: fc.array(fc.record({ mode: fc.constantFrom(...MODES), blockSize: fc.constantFrom(26, 26, 27, 28), natOutgoing: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  nodes: fc.array(
    fc.record({ otherSubnet: fc.boolean(), annotateIpip: fc.boolean(), annotateVxlan: fc.boolean(), mac: fc.boolean(), tunnelPick: fc.nat(5) }),
    { minLength: 2, maxLength: 5 },
  ),
  blocks: fc.array(
    fc.record({
      pool: fc.nat(2),
      index: fc.nat(7),
      affinity: fc.option(fc.nat(4), { nil: null, freq: 4 }),
      state: fc.constantFrom<ClaimState>("confirmed", "confirmed", "confirmed", "pending", "pendingDeletion"),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  releasing: fc.option(fc.nat(4), { nil: null, freq: 2 }),
  pods: fc.array(rawPod, { minLength: 2, maxLength: 8 }),
  objects: fc.constantFrom<IpamObjects>("none", "none", "none", "none", "blocks", "blocks+affinities", "blocks+affinities", "blocks+affinities"),
  strict: fc.constantFrom<boolean | null>(null, null, false, true),
  namespaces: fc.shuffledSubarray([...NS_NAMES], { minLength: 1, maxLength: 2 }),
  nsLabels: fc.array(labelsArb(NS_LABEL_KEYS, NS_LABEL_VALUES), { minLength: 2, maxLength: 2 }),
  style: fc.constantFrom<YamlStyle>("block", "flow-leaves"),
});

type Raw = typeof rawArb extends fc.Arbitrary<infer T> ? T : never;

interface PodDraft {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly containers: PortShape[][];
  readonly node: string;
  readonly hostNetwork: boolean;
  readonly block: number;
}

function podDrafts(r: Raw, namespaces: readonly NsShape[], nodes: readonly string[]): PodDraft[] {
  const perNs = new Map<string, number>();
  return r.pods.map((p, i) => {
    const namespace = namespaces[p.ns % namespaces.length]!.name;
    const idx = perNs.get(namespace) ?? 0;
    perNs.set(namespace, idx + 1);
    // The first two pods are always endpoints, so every case has pod-to-pod flows.
    const hostNetwork = i >= 2 && p.hostNetwork;
    return { namespace, name: POD_NAMES[idx]!, labels: p.labels, containers: p.containers, node: nodes[p.node % nodes.length]!, hostNetwork, block: p.block };
  });
}

function build(r: Raw): Omit<IpamCase, "policies"> {
  const namespaces = r.namespaces.map((name, i) => ({ name, labels: r.nsLabels[i] ?? {} }));
  const strict = r.strict === true;
  const nodeNames = r.nodes.map((_, i) => `node-${i + 1}`);
  const drafts = podDrafts(r, namespaces, nodeNames);
  const { pools, nodes, blocks, podIps } = allocateBlocks({
    pools: r.pools,
    nodes: r.nodes.map((n, i) => ({ ...n, name: nodeNames[i]! })),
    blocks: r.blocks.map((b) => ({ ...b, affinity: b.affinity === null ? null : nodeNames[b.affinity % nodeNames.length]! })),
    releasing: r.objects === "blocks+affinities" && r.releasing !== null ? nodeNames[r.releasing % nodeNames.length]! : null,
    pods: drafts.filter((d) => !d.hostNetwork).map((d) => ({ namespace: d.namespace, name: d.name, node: d.node, pick: d.block })),
    strict,
  });
  const pods: PodShape[] = drafts.map((d) => ({
    namespace: d.namespace,
    name: d.name,
    labels: d.labels,
    kind: d.hostNetwork ? "hostNetwork" : "endpoint",
    node: d.node,
    ip: d.hostNetwork ? nodes.find((n) => n.name === d.node)!.ip : podIps.get(`${d.namespace}/${d.name}`)!,
    containers: d.containers,
  }));
  const firstPool = pools[0]!.cidr.split("/")[0]!;
  const shape: ClusterShape = {
    namespaces,
    nodes: nodes.map((n) => ({ name: n.name, ip: n.ip, tunnel: n.ipip ?? n.vxlan ?? firstPool })),
    pods,
    explicitPool: true,
  };
  return { shape, pools, nodes, blocks, objects: r.objects, strictAffinity: r.strict, style: r.style };
}

export const ipamCaseArb: fc.Arbitrary<IpamCase> = rawArb.map(build).chain((c) =>
  fc
    .oneof({ weight: 2, arbitrary: fc.constant<YamlValue[]>([]) }, { weight: 3, arbitrary: policyArbs(c.shape).policies(1, 3) })
    .map((policies) => ({ ...c, policies })),
);

function nodeDoc(n: NodeCase): YamlValue {
  const annotations: Record<string, string> = { "projectcalico.org/IPv4Address": `${n.ip}/24` };
  if (n.ipip && n.annotate.ipip) annotations["projectcalico.org/IPv4IPIPTunnelAddr"] = n.ipip;
  if (n.vxlan && n.annotate.vxlan) annotations["projectcalico.org/IPv4VXLANTunnelAddr"] = n.vxlan;
  if (n.vxlan && n.mac) annotations["projectcalico.org/VXLANTunnelMACAddr"] = n.mac;
  return { apiVersion: "v1", kind: "Node", metadata: { name: n.name, annotations }, status: { addresses: [{ type: "InternalIP", address: n.ip }] } };
}

function poolDoc(p: PoolCase): YamlValue {
  const ipipMode = p.mode === "ipip-always" ? "Always" : p.mode === "ipip-cross" ? "CrossSubnet" : "Never";
  const vxlanMode = p.mode === "vxlan-always" ? "Always" : p.mode === "vxlan-cross" ? "CrossSubnet" : "Never";
  const spec = { cidr: p.cidr, ipipMode, vxlanMode, natOutgoing: p.natOutgoing, blockSize: p.blockSize };
  return { apiVersion: V1, kind: "IPPool", metadata: { name: p.name }, spec };
}

/** The snapshot's cluster documents: namespaces, nodes, pools, pods. */
export function clusterDocuments(c: IpamCase): YamlValue[] {
  return [
    ...c.shape.namespaces.map((ns): YamlValue => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels } })),
    ...c.nodes.map(nodeDoc),
    ...c.pools.map(poolDoc),
    ...c.shape.pods.map(podDoc),
  ];
}

function blockDoc(b: BlockCase): YamlValue {
  const attributes = b.allocations.map((a): YamlValue =>
    a.pod
      ? { handle_id: `k8s-pod-network.${a.pod.namespace}-${a.pod.name}`, secondary: { namespace: a.pod.namespace, node: a.node, pod: a.pod.name } }
      : { handle_id: `${a.kind}-tunnel-addr-${a.node}`, secondary: { node: a.node, type: `${a.kind}TunnelAddress` } },
  );
  const slots: (number | null)[] = Array.from({ length: b.size }, () => null);
  b.allocations.forEach((a, i) => (slots[a.ordinal] = i));
  const unallocated = slots.flatMap((s, i) => (s === null ? [i] : []));
  const spec = {
    cidr: b.cidr,
    ...(b.affinity ? { affinity: `host:${b.affinity}` } : {}),
    allocations: slots,
    unallocated,
    attributes,
    strictAffinity: false,
    deleted: false,
  };
  return { apiVersion: V1, kind: "IPAMBlock", metadata: { name: b.name }, spec };
}

/** The IPAM objects the case's `objects` and `strictAffinity` call for (maybe none). */
export function ipamDocuments(c: IpamCase): YamlValue[] {
  const docs: YamlValue[] = [];
  if (c.objects !== "none") docs.push(...c.blocks.map(blockDoc));
  if (c.objects === "blocks+affinities") {
    for (const b of c.blocks) {
      if (!b.claim) continue;
      const spec = { cidr: b.cidr, node: b.claim.node, state: b.claim.state, deleted: "false", type: "host" };
      docs.push({ apiVersion: V1, kind: "BlockAffinity", metadata: { name: `${b.claim.node}-${b.name}` }, spec });
    }
  }
  if (c.strictAffinity !== null) {
    docs.push({ apiVersion: V1, kind: "IPAMConfig", metadata: { name: "default" }, spec: { strictAffinity: c.strictAffinity, autoAllocateBlocks: true } });
  }
  return docs;
}

/** Every document of the case, in the order the files list them. */
export const allDocuments = (c: IpamCase): YamlValue[] => [...clusterDocuments(c), ...ipamDocuments(c), ...c.policies];

/** The case as input files: cluster.yaml, ipam.yaml and policy.yaml (the last two only when they hold something). */
export function ipamCaseFiles(c: IpamCase, comment = "Randomly generated case with scattered block pods (test/property/ipam-arb.ts)."): { path: string; text: string }[] {
  const files = [{ path: "cluster.yaml", text: yamlFile(comment, clusterDocuments(c), c.style) }];
  const ipam = ipamDocuments(c);
  if (ipam.length) files.push({ path: "ipam.yaml", text: yamlFile(comment, ipam, c.style) });
  if (c.policies.length) files.push({ path: "policy.yaml", text: yamlFile(comment, c.policies, c.style) });
  return files;
}
