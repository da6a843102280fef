// Calico IPAM objects (src/frontend/ipam; spec calico-routes §1): IPAMBlock,
// BlockAffinity, IPAMHandle and IPAMConfig(uration) in both API groups, List
// wrappers, deleted objects, defaults and addresses per ordinal. Validation:
// ipam-validation.test.ts; order and a kubectl dump: ipam-dump.test.ts.
import { describe, expect, it } from "vitest";
import { errorsWithPos, load } from "./helpers.js";
import { BLOCK_SPEC, decodeOnly, doc, docs, ipam, notes, plain, V1, V3 } from "./ipam-helpers.js";

describe("each kind, in both API groups", () => {
  it.each([V1, V3])("%s IPAMBlock: allocations with their owners, sorted by ordinal", (group) => {
    const l = load(doc(group, "IPAMBlock", "10-10-1-0-26", BLOCK_SPEC("10.10.1.0/26")));
    expect(decodeOnly(l)).toEqual([]);
    expect(plain(l)).toEqual({
      blocks: [
        {
          name: "10-10-1-0-26",
          cidr: "10.10.1.0/26",
          affinity: { kind: "host", name: "n1" },
          allocations: [
            { ordinal: 0, address: "10.10.1.0", handle: "ipip-tunnel-addr-n1", node: "n1", type: "ipipTunnelAddress", namespace: null, pod: null },
            { ordinal: 2, address: "10.10.1.2", handle: "k8s-pod-network.3f2a", node: "n2", type: null, namespace: "shop", pod: "web-0" },
          ],
        },
      ],
      affinities: [],
      handles: [],
      config: null,
    });
    expect(ipam(l).blocks[0]!.span).not.toBeNull();
  });

  it.each([
    [V1, '"false"'],
    [V3, "false"],
  ])("%s BlockAffinity", (group, deleted) => {
    const l = load(doc(group, "BlockAffinity", "n1-10-10-1-0-26", `{cidr: 10.10.1.0/26, node: n1, state: pending, type: virtual, deleted: ${deleted}}`));
    expect(decodeOnly(l)).toEqual([]);
    expect(plain(l)).toMatchObject({ affinities: [{ name: "n1-10-10-1-0-26", node: "n1", cidr: "10.10.1.0/26", state: "pending", type: "virtual" }] });
  });

  it.each([V1, V3])("%s IPAMHandle: block keys in network form, sorted by address", (group) => {
    const l = load(doc(group, "IPAMHandle", "k8s-pod-network.abc", `{handleID: k8s-pod-network.abc, block: {"10.0.0.128/26": 1, "10.0.0.64/26": 2, "fd00::/122": 1}}`));
    expect(decodeOnly(l)).toEqual([]);
    expect(plain(l)).toMatchObject({ handles: [{ name: "k8s-pod-network.abc", handleId: "k8s-pod-network.abc", blocks: [["10.0.0.64/26", 2], ["10.0.0.128/26", 1], ["fd00::/122", 1]] }] });
  });

  it.each([
    [V1, "IPAMConfig"],
    [V3, "IPAMConfiguration"],
  ])("%s %s", (group, kind) => {
    const l = load(doc(group, kind, "default", "{strictAffinity: true, autoAllocateBlocks: false, maxBlocksPerHost: 4, kubeVirtVMAddressPersistence: Enabled}"));
    expect(decodeOnly(l)).toEqual([]);
    expect(plain(l)).toMatchObject({ config: { strictAffinity: true, autoAllocateBlocks: false, maxBlocksPerHost: 4 } });
  });

  it("the other group's spelling of the config kind, or another version, is no kind at all", () => {
    const l = load(docs(doc(V3, "IPAMConfig", "default", "{}"), doc(V1, "IPAMConfiguration", "default", "{}"), doc("crd.projectcalico.org/v2", "IPAMBlock", "b", "{}")));
    expect(errorsWithPos(l)).toEqual([
      '1:1 input/no-matches-for-kind no matches for kind "IPAMConfig" in version "projectcalico.org/v3"',
      '6:1 input/no-matches-for-kind no matches for kind "IPAMConfiguration" in version "crd.projectcalico.org/v1"',
      '11:1 input/no-matches-for-kind no matches for kind "IPAMBlock" in version "crd.projectcalico.org/v2"',
    ]);
  });

  it("is null without any IPAM object", () => {
    expect(load("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n").model.cluster.ipam).toBeNull();
  });
});

describe("List wrappers", () => {
  const list = (kind: string, items: string[]): string =>
    `apiVersion: ${V1}\nkind: ${kind}\nmetadata: {resourceVersion: "7"}\nitems:\n${items.map((i) => `- ${i.trimEnd().split("\n").join("\n  ")}`).join("\n")}\n`;

  it("unwraps IPAMBlockList, BlockAffinityList, IPAMHandleList and IPAMConfigList", () => {
    const l = load(
      docs(
        list("IPAMBlockList", [doc(V1, "IPAMBlock", "b2", BLOCK_SPEC("10.10.2.0/26")), doc(V1, "IPAMBlock", "b1", BLOCK_SPEC("10.10.1.0/26"))]),
        list("BlockAffinityList", [doc(V1, "BlockAffinity", "n1-a", '{cidr: 10.10.1.0/26, node: n1, state: confirmed, deleted: "false"}')]),
        list("IPAMHandleList", [doc(V1, "IPAMHandle", "h", '{handleID: h, block: {"10.10.1.0/26": 1}}')]),
        list("IPAMConfigList", [doc(V1, "IPAMConfig", "default", "{strictAffinity: false, autoAllocateBlocks: true}")]),
      ),
    );
    expect(decodeOnly(l)).toEqual([]);
    const got = ipam(l);
    expect(got.blocks.map((b) => b.name)).toEqual(["b1", "b2"]);
    expect(got.affinities.map((a) => a.name)).toEqual(["n1-a"]);
    expect(got.handles.map((h) => h.name)).toEqual(["h"]);
    expect(got.config).not.toBeNull();
  });

  it("an empty List holds no IPAM object", () => {
    expect(load(`apiVersion: ${V1}\nkind: IPAMBlockList\nitems: []\n`).model.cluster.ipam).toBeNull();
  });
});

describe("deleted objects", () => {
  it("are left out with a note: bool in blocks and handles, v1 affinities a string as strconv.ParseBool reads it, v3 a bool", () => {
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "b1", BLOCK_SPEC("10.10.1.0/26", ", deleted: true")),
        doc(V3, "IPAMBlock", "b2", BLOCK_SPEC("10.10.2.0/26", ", deleted: false")),
        doc(V1, "BlockAffinity", "a1", '{cidr: 10.10.1.0/26, node: n1, state: confirmed, deleted: "true"}'),
        doc(V1, "BlockAffinity", "a2", '{cidr: 10.10.2.0/26, node: n1, state: confirmed, deleted: "True"}'),
        doc(V1, "BlockAffinity", "a3", "{cidr: 10.10.3.0/26, node: n1, state: confirmed, deleted: '0'}"),
        doc(V3, "BlockAffinity", "a4", "{cidr: 10.10.4.0/26, node: n1, state: confirmed, deleted: true}"),
        doc(V3, "IPAMHandle", "h1", "{handleID: h1, deleted: true}"),
      ),
    );
    expect(errorsWithPos(l)).toEqual([]);
    expect(notes(l)).toEqual([
      '1:1 note ipam/deleted IPAMBlock "b1" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out',
      '11:1 note ipam/deleted BlockAffinity "a1" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out',
      '16:1 note ipam/deleted BlockAffinity "a2" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out',
      '26:1 note ipam/deleted BlockAffinity "a4" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out',
      '31:1 note ipam/deleted IPAMHandle "h1" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out',
    ]);
    const got = ipam(l);
    expect(got.blocks.map((b) => b.name)).toEqual(["b2"]);
    expect(got.affinities.map((a) => a.name)).toEqual(["a3"]);
    expect(got.handles).toEqual([]);
  });

  it("only deleted objects: IPAM objects were given, and hold nothing", () => {
    const l = load(doc(V3, "IPAMHandle", "h1", "{handleID: h1, deleted: true}"));
    expect(l.model.cluster.ipam).toEqual({ blocks: [], affinities: [], handles: [], config: null });
  });

  it("the other group's type for deleted is a decoding error, as for the real CRDs", () => {
    const l = load(
      docs(
        doc(V1, "BlockAffinity", "a1", "{cidr: 10.10.1.0/26, node: n1, state: confirmed, deleted: true}"),
        doc(V3, "BlockAffinity", "a2", '{cidr: 10.10.1.0/26, node: n1, state: confirmed, deleted: "false"}'),
        doc(V1, "BlockAffinity", "a3", "{cidr: 10.10.1.0/26, node: n1, state: confirmed, deleted: 'yes'}"),
        doc(V1, "IPAMBlock", "b1", '{cidr: 10.10.1.0/26, deleted: "true"}'),
        doc(V3, "IPAMHandle", "h1", '{handleID: h1, deleted: "true"}'),
      ),
    );
    expect(errorsWithPos(l)).toEqual([
      "4:65 schema/type json: cannot unmarshal bool into Go struct field BlockAffinitySpec.spec.deleted of type string",
      "9:65 schema/type json: cannot unmarshal string into Go struct field BlockAffinitySpec.spec.deleted of type bool",
      '14:65 blockaffinity/invalid-value spec.deleted: Invalid value: "yes": must be "true" or "false"',
      "19:37 schema/type json: cannot unmarshal string into Go struct field IPAMBlockSpec.spec.deleted of type bool",
      "24:31 schema/type json: cannot unmarshal string into Go struct field IPAMHandleSpec.spec.deleted of type bool",
    ]);
  });
});

describe("defaults", () => {
  it("BlockAffinity: state empty or absent is confirmed, type absent or empty is host", () => {
    const l = load(
      docs(
        doc(V3, "BlockAffinity", "a", '{cidr: 10.0.0.0/26, node: n1, state: "", deleted: false}'),
        doc(V1, "BlockAffinity", "b", "{cidr: 10.0.0.64/26, node: n1, type: ''}"),
      ),
    );
    expect(decodeOnly(l)).toEqual([]);
    expect(ipam(l).affinities.map((a) => [a.name, a.state, a.type])).toEqual([
      ["a", "confirmed", "host"],
      ["b", "confirmed", "host"],
    ]);
  });

  it("IPAMConfig: strictAffinity false, autoAllocateBlocks true, maxBlocksPerHost 0; a name other than default is used, with a warning", () => {
    const l = load(doc(V3, "IPAMConfiguration", "mine", "{}"));
    expect(notes(l)).toEqual(['3:18 warning ipamconfig/name IPAMConfiguration "mine": Calico reads only the one named "default"; netpolc uses this one anyway']);
    expect(plain(l)).toMatchObject({ config: { strictAffinity: false, autoAllocateBlocks: true, maxBlocksPerHost: 0 } });
  });

  it("IPAMBlock: no affinity when absent or null, and (v1 only) when empty", () => {
    const l = load(
      docs(
        doc(V3, "IPAMBlock", "a", "{cidr: 10.0.0.0/26}"),
        doc(V3, "IPAMBlock", "b", "{cidr: 10.0.0.64/26, affinity: null}"),
        doc(V1, "IPAMBlock", "c", "{cidr: 10.0.0.128/26, affinity: ''}"),
        doc(V3, "IPAMBlock", "d", "{cidr: 10.0.0.192/26, affinity: ''}"),
      ),
    );
    expect(errorsWithPos(l)).toEqual(['19:39 ipamblock/invalid-value spec.affinity: Invalid value: "": must be "host:<node name>" or "virtual:<name>"']);
  });
});

describe("addresses", () => {
  it("network address + ordinal, for IPv4 and IPv6; CIDRs in network form", () => {
    const slots = (n: number, at: Record<number, number>): string => `[${Array.from({ length: n }, (_, i) => at[i] ?? "null").join(", ")}]`;
    const attrs = "[{secondary: {node: n1}}, {secondary: {node: n2}}]";
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "v4", `{cidr: 10.0.0.77/26, allocations: ${slots(64, { 0: 0, 5: 1, 63: 0 })}, attributes: ${attrs}}`),
        doc(V1, "IPAMBlock", "v6", `{cidr: "FD00:0:0:0::1/122", allocations: ${slots(64, { 1: 1, 63: 0 })}, attributes: ${attrs}}`),
        doc(V1, "IPAMBlock", "v4-32", `{cidr: 10.9.9.9/32, allocations: [0], attributes: ${attrs}}`),
      ),
    );
    expect(decodeOnly(l)).toEqual([]);
    expect(ipam(l).blocks.map((b) => [b.cidr, b.allocations.map((a) => `${a.ordinal}=${a.address}@${a.node}`)])).toEqual([
      ["10.0.0.64/26", ["0=10.0.0.64@n1", "5=10.0.0.69@n2", "63=10.0.0.127@n1"]],
      ["10.9.9.9/32", ["0=10.9.9.9@n1"]],
      ["fd00::/122", ["1=fd00::1@n2", "63=fd00::3f@n1"]],
    ]);
  });

  it("refuses more slots than addresses, and slots that point at no attribute", () => {
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "a", `{cidr: 10.0.0.0/30, allocations: [null, null, null, null, null], attributes: []}`),
        doc(V1, "IPAMBlock", "b", `{cidr: 10.0.0.0/26, allocations: [0, 2, -1], attributes: [{secondary: {node: n1}}, {}]}`),
        doc(V1, "IPAMBlock", "c", `{cidr: 10.0.0.64/26, allocations: [0]}`),
      ),
    );
    expect(errorsWithPos(l)).toEqual([
      "4:40 ipamblock/too-many spec.allocations: Too many: 5: must have at most 4 items",
      "9:44 ipamblock/invalid-value spec.allocations[1]: Invalid value: 2: must be null or the index of an entry of spec.attributes (0 to 1)",
      "9:47 ipamblock/invalid-value spec.allocations[2]: Invalid value: -1: must be null or the index of an entry of spec.attributes (0 to 1)",
      "14:42 ipamblock/invalid-value spec.allocations[0]: Invalid value: 0: must be null: spec.attributes is empty",
    ]);
    // Objects with errors are not kept (the pipeline stops after the frontend anyway).
    expect(l.model.cluster.ipam).toBeNull();
  });

  it("an allocation without a node or handle keeps nulls (very old data: Felix makes no route for it)", () => {
    const l = load(doc(V1, "IPAMBlock", "a", "{cidr: 10.0.0.0/26, allocations: [0], attributes: [{secondary: {node: ''}}]}"));
    expect(ipam(l).blocks[0]!.allocations).toEqual([{ ordinal: 0, address: "10.0.0.0", handle: null, node: null, type: null, namespace: null, pod: null }]);
  });
});
