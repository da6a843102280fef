// The address plan (src/frontend/addressing): exact from IPAM objects
// (calico-routes §5.1), inferred without them (§5.2), tunnel addresses, and
// the contradictions that are refused.
import { describe, expect, it } from "vitest";
import type { AddressBlock } from "../../src/ir/ipam.js";
import { load, pos, type Loaded } from "./helpers.js";

const node = (name: string, ip: string, extra = ""): string =>
  `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, annotations: {projectcalico.org/IPv4Address: ${ip}/24${extra}}}\n`;
const pod = (name: string, nodeName: string, ip: string, ns = "default"): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {nodeName: ${nodeName}, containers: [{name: c, image: x}]}\nstatus: {phase: Running, podIP: ${ip}}\n`;
const pool = (name: string, spec: string): string => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const block = (cidr: string, affinity: string | null, allocations: string, attributes: string): string =>
  `apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: ${cidr.replace(/[./]/g, "-")}}\n` +
  `spec: {cidr: ${cidr}, affinity: ${affinity ? `"host:${affinity}"` : "null"}, allocations: ${allocations}, attributes: ${attributes}, unallocated: [], strictAffinity: false}\n`;
const affinity = (node: string, cidr: string, state = "confirmed"): string =>
  `apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata: {name: ${node}-${cidr.replace(/[./]/g, "-")}}\nspec: {cidr: ${cidr}, node: ${node}, state: ${state}, deleted: "false"}\n`;
const yaml = (...docs: string[]): string => docs.join("---\n");

const plan = (l: Loaded) => l.model.cluster.addressing;
const blockOf = (l: Loaded, cidr: string): AddressBlock => {
  const b = plan(l).blocks.find((x) => x.cidr === cidr);
  if (!b) throw new Error(`no block ${cidr}: ${plan(l).blocks.map((x) => x.cidr).join(", ")}`);
  return b;
};
const found = (l: Loaded, prefix: string): string[] => l.all.filter((d) => d.id.startsWith(prefix)).map((d) => `${pos(l, d)} ${d.severity} ${d.id} ${d.message}`);
const tunnels = (l: Loaded): Record<string, string | undefined> =>
  Object.fromEntries([...plan(l).nodes].map(([n, a]) => [n, a.ipipTunnel?.address]));

describe("inferred plan (no IPAM objects, §5.2)", () => {
  const three = [node("n1", "10.0.0.11"), node("n2", "10.0.0.12"), node("n3", "10.0.0.13")];

  it("one owner per block by the first rule that decides; everyone else borrows", () => {
    // most pods: n2 holds two of the block's four pods.
    const l = load(yaml(...three, pod("a", "n1", "192.168.5.2"), pod("b", "n2", "192.168.5.3"), pod("c", "n2", "192.168.5.4"), pod("d", "n3", "192.168.5.9")));
    const b = blockOf(l, "192.168.5.0/26");
    expect([b.owner, b.source, b.affinities]).toEqual(["n2", "most-pods", [{ node: "n2", state: "confirmed" }]]);
    expect(b.addresses.filter((a) => a.use === "pod").map((a) => `${a.address}@${a.node}`)).toEqual(["192.168.5.2@n1", "192.168.5.3@n2", "192.168.5.4@n2", "192.168.5.9@n3"]);
    expect(plan(l).exact).toBe(false);
    expect(found(l, "addressing/inferred-block")).toEqual([
      '- note addressing/inferred-block block 192.168.5.0/26 (IPPool "default-ipv4-ippool"): owner n2 inferred because it holds the most of the block\'s pods (rule b); 2 addresses in it borrowed by other nodes; give IPAMBlock/BlockAffinity objects for exact routes',
    ]);
  });

  it("rule a (annotated tunnel address) beats the most pods; rule c (lowest address of the tied nodes) breaks a tie", () => {
    const a = load(yaml(node("n1", "10.0.0.11", ", projectcalico.org/IPv4IPIPTunnelAddr: 192.168.5.40"), node("n2", "10.0.0.12"), pod("p1", "n2", "192.168.5.3"), pod("p2", "n2", "192.168.5.4")));
    expect([blockOf(a, "192.168.5.0/26").owner, blockOf(a, "192.168.5.0/26").source]).toEqual(["n1", "tunnel-address"]);
    const c = load(yaml(...three, pod("p1", "n3", "192.168.5.7"), pod("p2", "n1", "192.168.5.9")));
    expect([blockOf(c, "192.168.5.0/26").owner, blockOf(c, "192.168.5.0/26").source]).toEqual(["n3", "lowest-address"]);
  });

  it("every node gets its own tunnel address: the lowest free one of its block, else one in a block claimed for it", () => {
    const l = load(yaml(...three, pod("a", "n1", "192.168.5.0"), pod("b", "n1", "192.168.5.1"), pod("c", "n2", "192.168.5.3")));
    expect(tunnels(l)).toEqual({ n1: "192.168.5.2", n2: "192.168.0.0", n3: "192.168.0.64" });
    expect(blockOf(l, "192.168.0.0/26")).toMatchObject({ owner: "n2", source: "claimed" });
    expect(new Set(Object.values(tunnels(l))).size).toBe(3);
  });

  it("an IPPool's nodeSelector decides which pool a node's tunnel address comes from", () => {
    const pools = [pool("a", "{cidr: 10.1.0.0/16, ipipMode: Always, nodeSelector: zone == 'a'}"), pool("b", "{cidr: 10.2.0.0/16, ipipMode: Always}")];
    const nodes = [node("n1", "10.0.0.11").replace("metadata: {name: n1,", "metadata: {name: n1, labels: {zone: a},"), node("n2", "10.0.0.12")];
    expect(tunnels(load(yaml(...pools, ...nodes)))).toEqual({ n1: "10.1.0.0", n2: "10.2.0.0" });
  });

  it("no IPPool given: the manifest default, plus an assumed /16 around pod addresses outside it (a note each)", () => {
    const l = load(yaml(node("n1", "10.0.0.11"), pod("a", "n1", "10.244.3.4")));
    expect(l.model.cluster.pools.map((p) => p.cidr)).toEqual(["10.244.0.0/16", "192.168.0.0/16"]);
    expect(found(l, "addressing/assumed-pool")).toHaveLength(1);
  });
});

describe("exact plan (IPAM objects, §5.1)", () => {
  const nodes = [node("n1", "10.0.0.11"), node("n2", "10.0.0.12"), node("n3", "10.0.0.13")];
  const attrs = "[{handle_id: ipip-tunnel-addr-n1, secondary: {node: n1, type: ipipTunnelAddress}}, {handle_id: h2, secondary: {namespace: default, node: n2, pod: b}}, {handle_id: h3, secondary: {namespace: default, node: n9, pod: gone}}]";

  it("owners from affinities, allocations' nodes, an allocation no pod holds, and IPAM's tunnel address", () => {
    const l = load(yaml(...nodes, pod("b", "n2", "192.168.1.6"), block("192.168.1.0/26", "n1", "[0, null, null, null, null, null, 1, 2]", attrs), affinity("n1", "192.168.1.0/26")));
    const b = blockOf(l, "192.168.1.0/26");
    expect([plan(l).exact, b.owner, b.source, b.allocated]).toEqual([true, "n1", "ipam", 3]);
    expect(b.addresses.map((a) => [a.address, a.use, a.node, a.allocationNode])).toEqual([
      ["192.168.1.0", "ipip-tunnel", "n1", "n1"],
      ["192.168.1.6", "pod", "n2", "n2"],
      ["192.168.1.7", "allocation", null, "n9"],
    ]);
    expect(tunnels(l)).toEqual({ n1: "192.168.1.0", n2: undefined, n3: undefined });
    expect(found(l, "addressing/no-tunnel-address")).toHaveLength(2);
  });

  it("a pod whose allocation names another node is a warning (BIRD follows the pod, Felix the allocation)", () => {
    const l = load(yaml(...nodes, pod("b", "n3", "192.168.1.6"), block("192.168.1.0/26", "n1", "[0, null, null, null, null, null, 1]", attrs)));
    expect(found(l, "addressing/allocation-node-mismatch")[0]).toContain("IPAMBlock 192.168.1.0/26 allocates it to node n2, but pod default/b runs on n3");
    expect(blockOf(l, "192.168.1.0/26").addresses.find((a) => a.address === "192.168.1.6")).toMatchObject({ node: "n3", allocationNode: "n2" });
  });

  it("BIRD's view: pending affinities are skipped, a stale affinity without its block still blackholes, no BlockAffinity = the block's own", () => {
    const l = load(yaml(...nodes, block("192.168.1.0/26", "n1", "[]", "[]"), affinity("n1", "192.168.1.0/26"), affinity("n2", "192.168.1.0/26", "pending"), affinity("n3", "192.168.9.0/26")));
    expect(blockOf(l, "192.168.1.0/26").affinities).toEqual([{ node: "n1", state: "confirmed" }]);
    expect(blockOf(l, "192.168.9.0/26")).toMatchObject({ owner: null, affinities: [{ node: "n3", state: "confirmed" }] });
    const noAff = load(yaml(...nodes, block("192.168.1.0/26", "n2", "[]", "[]")));
    expect(blockOf(noAff, "192.168.1.0/26").affinities).toEqual([{ node: "n2", state: "confirmed" }]);
  });

  it("a pod in no IPAMBlock gets a block of its own without owner, and a warning", () => {
    const l = load(yaml(...nodes, pod("b", "n2", "192.168.7.6"), block("192.168.1.0/26", "n1", "[]", "[]")));
    expect(blockOf(l, "192.168.7.0/26")).toMatchObject({ owner: null, affinities: [], source: "ipam" });
    expect(found(l, "addressing/unallocated-address")[0]).toContain("pod default/b address 192.168.7.6: no IPAMBlock holds it");
  });
});

describe("contradictions are errors at the object that comes second", () => {
  it("two pods with one address; a tunnel address that is a pod's; two nodes with one tunnel address", () => {
    const l = load(yaml(node("n1", "10.0.0.11", ", projectcalico.org/IPv4IPIPTunnelAddr: 192.168.1.9"), node("n2", "10.0.0.12", ", projectcalico.org/IPv4VXLANTunnelAddr: 192.168.1.9"), pod("a", "n1", "192.168.1.5"), pod("b", "n2", "192.168.1.5")));
    expect(found(l, "addressing/duplicate")).toEqual([
      "15:1 error addressing/duplicate-pod-address pod default/b: address 192.168.1.5 is also the address of pod default/a: one address cannot be in two places",
      "7:120 error addressing/duplicate-tunnel-address node n2: VXLAN tunnel address 192.168.1.9 is also node n1's IPIP tunnel address: one address cannot be in two places",
    ]);
    expect(l.model.cluster.addressing.blocks).toEqual([]);
  });

  it("finished and host-network pods hold no address", () => {
    const done = pod("a", "n1", "192.168.1.5").replace("phase: Running", "phase: Succeeded");
    expect(found(load(yaml(node("n1", "10.0.0.11"), done, pod("b", "n1", "192.168.1.5"))), "addressing/duplicate")).toEqual([]);
  });

  it("overlapping pools; a pod outside every enabled pool", () => {
    const l = load(yaml(pool("a", "{cidr: 10.1.0.0/16}"), pool("b", "{cidr: 10.1.2.0/24}"), node("n1", "10.0.0.11"), pod("x", "n1", "10.9.0.1")));
    expect(found(l, "addressing/").map((s) => s.replace(/^\S+ /, ""))).toEqual([
      'error addressing/overlapping-pools IPPool "b" (10.1.2.0/24) overlaps IPPool "a" (10.1.0.0/16): Calico refuses overlapping pools',
      "error addressing/address-outside-pools pod default/x: address 10.9.0.1 is in no enabled IPPool; pools: a 10.1.0.0/16, b 10.1.2.0/24",
    ]);
  });
});
