// Calico IPAM objects: hostile and malformed values, strict specs, the CRDs'
// bounds, and duplicates across the two API groups.
import { describe, expect, it } from "vitest";
import { errorsWithPos, load } from "./helpers.js";
import { doc, docs, ipam, notes, V1, V3 } from "./ipam-helpers.js";

describe("hostile and malformed values", () => {
  it("affinity must be host:<node> or virtual:<name> with a DNS-1123 name", () => {
    const l = load(
      docs(
        doc(V3, "IPAMBlock", "a", '{cidr: 10.0.0.0/26, affinity: "node:n1"}'),
        doc(V3, "IPAMBlock", "b", '{cidr: 10.0.0.64/26, affinity: "host:"}'),
        doc(V1, "IPAMBlock", "c", '{cidr: 10.0.0.128/26, affinity: "host:N_1\\nrm -rf"}'),
        doc(V1, "IPAMBlock", "d", '{cidr: 10.0.0.192/26, affinity: "virtual:load-balancer"}'),
      ),
    );
    expect(errorsWithPos(l).map((e) => e.replace(/ \(e\.g\..*$/, " (e.g. …)"))).toEqual([
      '4:37 ipamblock/invalid-value spec.affinity: Invalid value: "node:n1": must be "host:<node name>" or "virtual:<name>"',
      "9:38 ipamblock/invalid-value spec.affinity: Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. …)",
      "14:39 ipamblock/invalid-value spec.affinity: Invalid value: \"N_1\\nrm -rf\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. …)",
    ]);
  });

  it("node, namespace, pod, type and handle names are validated before they can reach output", () => {
    const attrs = "[{handle_id: 'h 1', secondary: {node: 'n1;reboot', namespace: Shop, pod: 'a/b', type: 'x y', timestamp: anything}}]";
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "a", `{cidr: 10.0.0.0/26, allocations: [0], attributes: ${attrs}}`),
        doc(V3, "BlockAffinity", "b", "{cidr: 10.0.0.0/26, node: 'N1', state: confirmed, deleted: false}"),
        doc(V3, "IPAMHandle", "c", "{handleID: 'x_y'}"),
      ),
    );
    expect(errorsWithPos(l).map((e) => e.replace(/: (a lowercase|must).*$/, ": …"))).toEqual([
      '4:70 ipamblock/invalid-value spec.attributes[0].handle_id: Invalid value: "h 1": …',
      '4:95 ipamblock/invalid-value spec.attributes[0].secondary[node]: Invalid value: "n1;reboot": …',
      '4:119 ipamblock/invalid-value spec.attributes[0].secondary[namespace]: Invalid value: "Shop": …',
      '4:130 ipamblock/invalid-value spec.attributes[0].secondary[pod]: Invalid value: "a/b": …',
      '4:143 ipamblock/invalid-value spec.attributes[0].secondary[type]: Invalid value: "x y": …',
      '9:33 blockaffinity/invalid-value spec.node: Invalid value: "N1": …',
      '14:18 ipamhandle/invalid-value spec.handleID: Invalid value: "x_y": …',
    ]);
  });

  it("required fields, bad CIDRs (leading zeros too, as Go's net.ParseCIDR), bad states and types", () => {
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "a", "{allocations: []}"),
        doc(V1, "IPAMBlock", "b", "{cidr: 10.0.0.0/33}"),
        doc(V1, "BlockAffinity", "c", "{cidr: 010.0.0.0/26, state: claimed, type: vm}"),
        doc(V3, "IPAMHandle", "d", '{block: {"10.0.0/26": 1, "10.0.0.0/26": -1, "10.0.0.1/26": 2}}'),
      ),
    );
    expect(errorsWithPos(l)).toEqual([
      "4:7 ipamblock/required-value spec.cidr: Required value",
      '9:14 ipamblock/invalid-value spec.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      "14:7 blockaffinity/required-value spec.node: Required value",
      '14:14 blockaffinity/invalid-value spec.cidr: Invalid value: "010.0.0.0/26": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      '14:35 blockaffinity/unsupported-value spec.state: Unsupported value: "claimed": supported values: "", "confirmed", "pending", "pendingDeletion"',
      '14:50 blockaffinity/unsupported-value spec.type: Unsupported value: "vm": supported values: "host", "virtual"',
      "19:7 ipamhandle/required-value spec.handleID: Required value",
      '19:16 ipamhandle/invalid-value spec.block: Invalid value: "10.0.0/26": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      "19:47 ipamhandle/invalid-value spec.block[10.0.0.0/26]: Invalid value: -1: must be greater than or equal to 0",
      '19:66 ipamhandle/duplicate-value spec.block[10.0.0.1/26]: Duplicate value: "10.0.0.1/26"',
    ]);
  });

  it("spec is strict (unknown fields are errors), top level and metadata are not", () => {
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "a", "{cidr: 10.0.0.0/26, hostAffinity: n1, attributes: [{handle_id: h, owner: x}]}"),
        doc(V3, "BlockAffinity", "b", "{cidr: 10.0.0.0/26, node: n1, nodes: [n1]}"),
        doc(V1, "IPAMHandle", "c", "{handleID: c, blocks: {}}"),
        doc(V3, "IPAMConfiguration", "default", "{strictAffinity: true, maxBlocksPerNode: 1}"),
        `apiVersion: ${V1}\nkind: IPAMConfig\nmetadata: {name: default, uid: x, resourceVersion: "1", generation: 2}\nspec: {}\nstatus: {}\n`,
      ),
    );
    expect(errorsWithPos(l)).toEqual([
      'schema/unknown-field strict decoding error: unknown field "spec.hostAffinity"',
      'schema/unknown-field strict decoding error: unknown field "spec.attributes[0].owner"',
      'schema/unknown-field strict decoding error: unknown field "spec.nodes"',
      'schema/unknown-field strict decoding error: unknown field "spec.blocks"',
      'schema/unknown-field strict decoding error: unknown field "spec.maxBlocksPerNode"',
    ].map((m, i) => `${["4:27", "4:73", "9:37", "14:21", "19:30"][i]} ${m}`));
  });

  it("maxBlocksPerHost within the CRD's bounds: v1 any int32 ≥ 0, v3 at most 1000000", () => {
    const l = load(docs(doc(V1, "IPAMConfig", "default", "{maxBlocksPerHost: 2000000}"), doc(V3, "IPAMConfiguration", "other", "{maxBlocksPerHost: 2000000}")));
    expect(errorsWithPos(l)).toEqual([
      "9:26 ipamconfig/invalid-value spec.maxBlocksPerHost: Invalid value: 2000000: spec.maxBlocksPerHost in body should be less than or equal to 1000000",
    ]);
  });

  it("type errors name the Go field", () => {
    const l = load(doc(V1, "IPAMBlock", "a", "{cidr: 10.0.0.0/26, allocations: [0, x, 1.5], sequenceNumber: -1}"));
    expect(errorsWithPos(l)).toEqual([
      "4:44 schema/type json: cannot unmarshal string into Go struct field IPAMBlockSpec.spec.allocations of type int",
      "4:47 schema/type json: cannot unmarshal number 1.5 into Go struct field IPAMBlockSpec.spec.allocations of type int",
      "4:69 schema/type json: cannot unmarshal number -1 into Go struct field IPAMBlockSpec.spec.sequenceNumber of type uint64",
    ]);
  });

  it("warns when a handle's name is not its ID lower-cased (Calico looks handles up by that name)", () => {
    const l = load(docs(doc(V1, "IPAMHandle", "k8s-pod-network.abc", "{handleID: K8s-Pod-Network.ABC}"), doc(V1, "IPAMHandle", "other", "{handleID: h}")));
    expect(notes(l)).toEqual(['8:18 warning ipamhandle/name-mismatch IPAMHandle "other" holds handle "h", which Calico stores and looks up under the name "h"']);
  });
});

describe("duplicates", () => {
  it("the same name in v1 and v3 is one object defined twice; IPAMConfig and IPAMConfiguration are one kind", () => {
    const l = load(
      docs(
        doc(V1, "IPAMBlock", "b", "{cidr: 10.0.0.0/26}"),
        doc(V3, "IPAMBlock", "b", "{cidr: 10.0.0.0/26}"),
        doc(V1, "IPAMConfig", "default", "{}"),
        doc(V3, "IPAMConfiguration", "default", "{}"),
      ),
    );
    expect(errorsWithPos(l)).toEqual([
      '6:1 input/duplicate-object duplicate IPAMBlock "b": the same object is defined twice',
      '16:1 input/duplicate-object duplicate IPAMConfiguration "default": the same object is defined twice',
    ]);
  });

  it("two configurations under two names are an error; the default one is kept", () => {
    const l = load(docs(doc(V1, "IPAMConfig", "zz", "{strictAffinity: false}"), doc(V1, "IPAMConfig", "default", "{strictAffinity: true}")));
    expect(errorsWithPos(l)).toEqual(['1:1 ipamconfig/duplicate Calico reads one IPAM configuration, named "default"; found 2: "default", "zz"']);
    expect(ipam(l).config?.strictAffinity).toBe(true);
  });
});
