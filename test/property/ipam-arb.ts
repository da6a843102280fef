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
// progress; another node's pending claim or a deleted one beside a block's
// own), in either API group; otherwise netpolc must infer the plan (§5.2).
// Now and then a block is affine to a node that is gone (§2.6), a pool
// selects only some nodes, blocks are small (/27–/32), and pods are
// host-networked, pending, or finished with a stale or reused address.
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
import { allocateBlocks, GONE_NODE, intToIp, type BlockCase, type ClaimState, type NodeCase, type PoolCase, type PoolMode, type PoolSelector } from "./ipam-blocks.js";
import { yamlFile, type YamlStyle, type YamlValue } from "./yaml.js";

export { cidrName, encapOf, GONE_NODE, ipToInt, intToIp, poolSelects, type Allocation, type BlockCase, type Claim, type ClaimState, type Encap, type NodeCase, type PoolCase, type PoolMode } from "./ipam-blocks.js";

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
  /** IPAM objects in projectcalico.org/v3 (else crd.projectcalico.org/v1); `confirmed` written as "" (older data). */
  readonly spelling: { readonly v3: boolean; readonly emptyState: boolean };
  readonly policies: readonly YamlValue[];
  readonly style: YamlStyle;
}

const MODES: readonly PoolMode[] = ["ipip-always", "ipip-cross", "vxlan-always", "vxlan-cross", "never"];
const POD_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;
const V1 = "crd.projectcalico.org/v1";
const V3 = "projectcalico.org/v3";

type ExtraKind = "endpoint" | "hostNetwork" | "pending" | "succeeded";

const rawPod = fc.record({
  node: fc.nat(4),
  block: fc.nat(5),
  ns: fc.nat(1),
  labels: labelsArb(POD_LABEL_KEYS, POD_LABEL_VALUES),
  containers: portsArb,
  kind: fc.oneof(
    { weight: 12, arbitrary: fc.constant<ExtraKind>("endpoint") },
    { weight: 1, arbitrary: fc.constantFrom<ExtraKind>("hostNetwork", "pending", "succeeded") },
  ),
});

const rawArb = fc.record({
  pools: fc.array(
    fc.record({
      mode: fc.constantFrom(...MODES),
      blockSize: fc.constantFrom(26, 26, 26, 27, 28, 30, 32),
      natOutgoing: fc.boolean(),
      selector: fc.constantFrom<PoolSelector>("absent", "absent", "absent", "all", "not-edge", "edge"),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  nodes: fc.array(
    fc.record({
      otherSubnet: fc.boolean(), edge: fc.nat(3).map((n) => n === 0), annotateIpip: fc.boolean(), annotateVxlan: fc.boolean(), mac: fc.boolean(), tunnelPick: fc.nat(5),
    }),
    { minLength: 2, maxLength: 5 },
  ),
  blocks: fc.array(
    fc.record({
      pool: fc.nat(2),
      index: fc.nat(7),
      // null: affinity-less; -1: a node that is gone.
      affinity: fc.option(fc.oneof({ weight: 8, arbitrary: fc.nat(4) }, { weight: 1, arbitrary: fc.constant(-1) }), { nil: null, freq: 4 }),
      state: fc.constantFrom<ClaimState>("confirmed", "confirmed", "confirmed", "pending", "pendingDeletion"),
      extra: fc.option(fc.record({ node: fc.nat(4), deleted: fc.boolean() }), { nil: null, freq: 6 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  releasing: fc.option(fc.nat(4), { nil: null, freq: 2 }),
  pods: fc.array(rawPod, { minLength: 2, maxLength: 8 }),
  objects: fc.constantFrom<IpamObjects>("none", "none", "none", "none", "blocks", "blocks+affinities", "blocks+affinities", "blocks+affinities"),
  strict: fc.constantFrom<boolean | null>(null, null, false, true),
  v3: fc.nat(3).map((n) => n === 0),
  emptyState: fc.nat(3).map((n) => n === 0),
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
  readonly kind: ExtraKind;
  readonly block: number;
}

function podDrafts(r: Raw, namespaces: readonly NsShape[], nodes: readonly string[]): PodDraft[] {
  const perNs = new Map<string, number>();
  return r.pods.map((p, i) => {
    const namespace = namespaces[p.ns % namespaces.length]!.name;
    const idx = perNs.get(namespace) ?? 0;
    perNs.set(namespace, idx + 1);
    // The first two pods are always endpoints, so every case has pod-to-pod flows.
    const kind = i >= 2 ? p.kind : "endpoint";
    return { namespace, name: POD_NAMES[idx]!, labels: p.labels, containers: p.containers, node: nodes[p.node % nodes.length]!, kind, block: p.block };
  });
}

function build(r: Raw): Omit<IpamCase, "policies"> {
  const namespaces = r.namespaces.map((name, i) => ({ name, labels: r.nsLabels[i] ?? {} }));
  const strict = r.strict === true;
  const nodeNames = r.nodes.map((_, i) => `node-${i + 1}`);
  const drafts = podDrafts(r, namespaces, nodeNames);
  const nodeOf = (i: number): string => (i < 0 ? GONE_NODE : nodeNames[i % nodeNames.length]!);
  const { pools, nodes, blocks, podIps } = allocateBlocks({
    pools: r.pools,
    nodes: r.nodes.map((n, i) => ({ ...n, name: nodeNames[i]! })),
    blocks: r.blocks.map((b) => ({ ...b, affinity: b.affinity === null ? null : nodeOf(b.affinity), extra: b.extra && { node: nodeOf(b.extra.node), deleted: b.extra.deleted } })),
    releasing: r.objects === "blocks+affinities" && r.releasing !== null ? nodeOf(r.releasing) : null,
    pods: drafts.filter((d) => d.kind === "endpoint").map((d) => ({ namespace: d.namespace, name: d.name, node: d.node, pick: d.block })),
    strict,
  });
  const live = [...podIps.values()];
  const ipOf = (d: PodDraft): string | null => {
    if (d.kind === "endpoint") return podIps.get(`${d.namespace}/${d.name}`)!;
    if (d.kind === "hostNetwork") return nodes.find((n) => n.name === d.node)!.ip;
    if (d.kind === "pending") return null;
    // A finished pod keeps its address in its status: released (the block's last address, maybe since reused) or reused by a live pod.
    const b = blocks[d.block % blocks.length]!;
    return d.block % 2 === 0 ? live[d.block % live.length]! : intToIp(b.network + b.size - 1);
  };
  const pods: PodShape[] = drafts.map((d) => ({
    namespace: d.namespace,
    name: d.name,
    labels: d.labels,
    kind: d.kind,
    node: d.kind === "pending" ? null : d.node,
    ip: ipOf(d),
    containers: d.containers,
  }));
  const firstPool = pools[0]!.cidr.split("/")[0]!;
  const shape: ClusterShape = {
    namespaces,
    nodes: nodes.map((n) => ({ name: n.name, ip: n.ip, tunnel: n.ipip ?? n.vxlan ?? firstPool })),
    pods,
    explicitPool: true,
  };
  return { shape, pools, nodes, blocks, objects: r.objects, strictAffinity: r.strict, spelling: { v3: r.v3, emptyState: r.emptyState }, style: r.style };
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
  const metadata = { name: n.name, ...(n.edge ? { labels: { edge: "true" } } : {}), annotations };
  return { apiVersion: "v1", kind: "Node", metadata, status: { addresses: [{ type: "InternalIP", address: n.ip }] } };
}

function poolDoc(p: PoolCase): YamlValue {
  const ipipMode = p.mode === "ipip-always" ? "Always" : p.mode === "ipip-cross" ? "CrossSubnet" : "Never";
  const vxlanMode = p.mode === "vxlan-always" ? "Always" : p.mode === "vxlan-cross" ? "CrossSubnet" : "Never";
  const nodeSelector = { absent: null, all: "all()", "not-edge": "!has(edge)", edge: "edge == 'true'" }[p.selector];
  const spec = { cidr: p.cidr, ipipMode, vxlanMode, natOutgoing: p.natOutgoing, blockSize: p.blockSize, ...(nodeSelector ? { nodeSelector } : {}) };
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

function blockDoc(b: BlockCase, apiVersion: string): YamlValue {
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
  return { apiVersion, kind: "IPAMBlock", metadata: { name: b.name }, spec };
}

/** The IPAM objects the case's `objects` and `strictAffinity` call for (maybe none). */
export function ipamDocuments(c: IpamCase): YamlValue[] {
  const docs: YamlValue[] = [];
  const { v3, emptyState } = c.spelling;
  const apiVersion = v3 ? V3 : V1;
  if (c.objects !== "none") docs.push(...c.blocks.map((b) => blockDoc(b, apiVersion)));
  if (c.objects === "blocks+affinities") {
    for (const b of c.blocks) {
      for (const a of b.claims) {
        // crd.projectcalico.org/v1 keeps `deleted` a string, projectcalico.org/v3 a bool (§1.3).
        const deleted = v3 ? a.deleted : String(a.deleted);
        const state = a.state === "confirmed" && emptyState ? "" : a.state;
        const spec = { cidr: b.cidr, node: a.node, state, deleted, type: "host" };
        docs.push({ apiVersion, kind: "BlockAffinity", metadata: { name: `${a.node}-${b.name}` }, spec });
      }
    }
  }
  if (c.strictAffinity !== null) {
    const spec = { strictAffinity: c.strictAffinity, autoAllocateBlocks: true };
    docs.push({ apiVersion, kind: v3 ? "IPAMConfiguration" : "IPAMConfig", metadata: { name: "default" }, spec });
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
