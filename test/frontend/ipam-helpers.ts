// Shared helpers for the Calico IPAM tests (ipam*.test.ts): documents in
// either API group, and the IPAM objects of a load as plain data.
import type { IPAMObjects } from "../../src/ir/ipam.js";
import { pos, type Loaded } from "./helpers.js";

export const V1 = "crd.projectcalico.org/v1";
export const V3 = "projectcalico.org/v3";

export const doc = (apiVersion: string, kind: string, name: string, spec: string): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
export const docs = (...ds: string[]): string => ds.join("---\n");

export function ipam(l: Loaded): IPAMObjects {
  const got = l.model.cluster.ipam;
  if (!got) throw new Error("expected IPAM objects");
  return got;
}

/** The IPAM objects without spans, Maps as entry lists: what a test compares. */
export function plain(l: Loaded): unknown {
  return JSON.parse(JSON.stringify(ipam(l), (k, v: unknown) => (v instanceof Map ? [...v] : k === "span" ? undefined : v)));
}

/** What decoding reported: the address plan's own findings (`addressing/…`) are tested with the plan. */
export const decodeOnly = (l: Loaded): Loaded["all"] => l.all.filter((d) => !d.id.startsWith("addressing/"));

export const notes = (l: Loaded): string[] => decodeOnly(l).filter((d) => d.severity !== "error").map((d) => `${pos(l, d)} ${d.severity} ${d.id} ${d.message}`);

export const BLOCK_SPEC = (cidr: string, extra = ""): string =>
  `{cidr: ${cidr}, affinity: "host:n1", allocations: [0, null, 1], unallocated: [1], strictAffinity: false, ` +
  `attributes: [{handle_id: ipip-tunnel-addr-n1, secondary: {node: n1, type: ipipTunnelAddress}}, ` +
  `{handle_id: k8s-pod-network.3f2a, secondary: {namespace: shop, node: n2, pod: web-0}}]${extra}}`;
