// Calico IPAM objects: every list's order, plain data across threads, and a
// dump as `kubectl get … -o yaml` prints it, which must load without a word.
import { describe, expect, it } from "vitest";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { decodeFile } from "../../src/frontend/collect.js";
import { load } from "./helpers.js";
import { BLOCK_SPEC, decodeOnly, doc, docs, ipam, plain, V1 } from "./ipam-helpers.js";

describe("order", () => {
  it("blocks by address (numeric) then prefix then name; affinities by CIDR then node; handles by name", () => {
    const block = (name: string, cidr: string) => doc(V1, "IPAMBlock", name, `{cidr: "${cidr}"}`);
    const aff = (name: string, node: string, cidr: string) => doc(V1, "BlockAffinity", name, `{cidr: "${cidr}", node: ${node}}`);
    const l = load(
      docs(
        block("v6", "fd00::/122"),
        block("b128", "10.0.0.128/26"),
        block("b64", "10.0.0.64/26"),
        block("b0-25", "10.0.0.0/25"),
        block("b0-26", "10.0.0.0/26"),
        block("c", "9.255.255.192/26"),
        aff("x2", "n2", "10.0.0.64/26"),
        aff("x1", "n1", "10.0.0.128/26"),
        aff("x3", "n1", "10.0.0.64/26"),
        doc(V1, "IPAMHandle", "hb", "{handleID: hb}"),
        doc(V1, "IPAMHandle", "ha", "{handleID: ha}"),
      ),
    );
    expect(decodeOnly(l)).toEqual([]);
    const got = ipam(l);
    expect(got.blocks.map((b) => b.name)).toEqual(["c", "b0-25", "b0-26", "b64", "b128", "v6"]);
    expect(got.affinities.map((a) => a.name)).toEqual(["x3", "x2", "x1"]);
    expect(got.handles.map((h) => h.name)).toEqual(["ha", "hb"]);
  });

  it("decoded items are plain data: a structured clone (what a worker thread returns) is equal", () => {
    const text = docs(doc(V1, "IPAMBlock", "b", BLOCK_SPEC("10.10.1.0/26")), doc(V1, "IPAMHandle", "h", '{handleID: h, block: {"10.10.1.0/26": 1}}'));
    const sources = new SourceMap();
    sources.add("a.yaml", text);
    const items = decodeFile({ path: "a.yaml", text }, sources);
    expect(items.map((i) => i.t)).toEqual(["object", "object"]);
    expect(structuredClone(items)).toEqual(items);
  });
});

/** What `kubectl get ipamblocks.crd.projectcalico.org,blockaffinities…,ipamhandles…,ipamconfigs… -o yaml` prints. */
function kubectlDump(): string {
  const slots = Array.from({ length: 64 }, (_, i) => (i === 0 ? "  - 0" : i === 1 ? "  - 1" : i === 6 ? "  - 2" : "  - null"));
  const unallocated = Array.from({ length: 64 }, (_, i) => i).filter((i) => i !== 0 && i !== 1 && i !== 6).map((i) => `    - ${i}`);
  return `apiVersion: v1
items:
- apiVersion: crd.projectcalico.org/v1
  kind: IPAMBlock
  metadata:
    annotations:
      projectcalico.org/metadata: '{"creationTimestamp":null}'
    creationTimestamp: "2024-12-04T08:13:20Z"
    generation: 5
    name: 10-244-120-64-26
    resourceVersion: "1893"
    uid: 0d4f1f0e-3a52-4f6b-9d8c-0c1b2f3e4a5b
  spec:
    affinity: host:worker-1
    allocations:
${slots.map((s) => `  ${s}`).join("\n")}
    attributes:
    - handle_id: ipip-tunnel-addr-worker-1
      secondary:
        node: worker-1
        type: ipipTunnelAddress
    - handle_id: k8s-pod-network.5e0c3f9a0b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e
      secondary:
        namespace: kube-system
        node: worker-1
        pod: coredns-5dd5756b68-8x2kq
        timestamp: 2024-12-04 08:13:25.418911 +0000 UTC
    - handle_id: k8s-pod-network.9c1e7d6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d
      secondary:
        namespace: default
        node: worker-2
        pod: web-7f9c8d-abcde
        timestamp: 2024-12-04 09:01:02.5 +0000 UTC
    cidr: 10.244.120.64/26
    deleted: false
    sequenceNumber: 1733300000000000005
    sequenceNumberForAllocation:
      "0": 1733300000000000000
      "1": 1733300000000000001
      "6": 1733300000000000004
    strictAffinity: false
    unallocated:
${unallocated.join("\n")}
- apiVersion: crd.projectcalico.org/v1
  kind: BlockAffinity
  metadata:
    annotations:
      projectcalico.org/metadata: '{"creationTimestamp":null}'
    creationTimestamp: "2024-12-04T08:13:20Z"
    generation: 2
    labels:
      projectcalico.org/affinity-type: host
      projectcalico.org/ip-version: "4"
    name: worker-1-10-244-120-64-26
    resourceVersion: "1890"
    uid: 7a0e9f3c-1d2b-4c5e-8f6a-9b0c1d2e3f4a
  spec:
    cidr: 10.244.120.64/26
    deleted: "false"
    node: worker-1
    state: confirmed
    type: host
- apiVersion: crd.projectcalico.org/v1
  kind: IPAMHandle
  metadata:
    annotations:
      projectcalico.org/metadata: '{"creationTimestamp":null}'
    creationTimestamp: "2024-12-04T08:13:21Z"
    generation: 1
    name: ipip-tunnel-addr-worker-1
    resourceVersion: "1891"
    uid: 3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9
  spec:
    block:
      10.244.120.64/26: 1
    deleted: false
    handleID: ipip-tunnel-addr-worker-1
- apiVersion: crd.projectcalico.org/v1
  kind: IPAMConfig
  metadata:
    creationTimestamp: "2024-12-04T08:13:19Z"
    generation: 1
    name: default
    resourceVersion: "1880"
    uid: 1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9
  spec:
    autoAllocateBlocks: true
    kubeVirtVMAddressPersistence: Enabled
    strictAffinity: false
kind: List
metadata:
  resourceVersion: ""
`;
}

describe("a kubectl dump", () => {
  it("loads with no diagnostics at all", () => {
    const l = load(kubectlDump());
    expect(decodeOnly(l)).toEqual([]);
    const got = ipam(l);
    expect(got.blocks).toHaveLength(1);
    expect(got.blocks[0]!.allocations.map((a) => `${a.address} ${a.node} ${a.type ?? `${a.namespace}/${a.pod}`}`)).toEqual([
      "10.244.120.64 worker-1 ipipTunnelAddress",
      "10.244.120.65 worker-1 kube-system/coredns-5dd5756b68-8x2kq",
      "10.244.120.70 worker-2 default/web-7f9c8d-abcde",
    ]);
    expect(plain(l)).toMatchObject({
      affinities: [{ node: "worker-1", cidr: "10.244.120.64/26", state: "confirmed", type: "host" }],
      handles: [{ handleId: "ipip-tunnel-addr-worker-1", blocks: [["10.244.120.64/26", 1]] }],
      config: { strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0 },
    });
  });
});
