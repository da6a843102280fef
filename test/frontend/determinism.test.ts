// The Model must not depend on the order of files, documents or List items.
import { describe, expect, it } from "vitest";
import type { Model } from "../../src/ir/policy.js";
import { loadFiles } from "./helpers.js";

const DOCS = [
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}",
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: db}",
  "apiVersion: v1\nkind: Node\nmetadata: {name: node2, annotations: {projectcalico.org/IPv4Address: 10.0.0.12/24}}",
  "apiVersion: v1\nkind: Node\nmetadata: {name: node1, annotations: {projectcalico.org/IPv4Address: 10.0.0.11/24}}",
  "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-b}\nspec: {cidr: 10.245.0.0/16}",
  "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-a}\nspec: {cidr: 10.244.0.0/16, ipipMode: Always}",
  "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop, labels: {r: x}}",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop, labels: {app: web}}\nspec: {nodeName: node2, serviceAccountName: api}\nstatus: {podIP: 10.244.2.2}",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web}}\nspec: {nodeName: node1}\nstatus: {podIP: 10.244.1.2}",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: pg-0, namespace: db, labels: {app: pg}}\nspec: {nodeName: node1}\nstatus: {podIP: 10.244.1.3}",
  "apiVersion: v1\nkind: Pod\nmetadata: {name: job, namespace: batch}\nspec: {nodeName: node2}\nstatus: {podIP: 10.244.2.9}",
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-web, namespace: db}\nspec:\n  podSelector: {matchLabels: {app: pg}}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]",
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: db}\nspec: {podSelector: {}}",
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: egress, namespace: shop}\nspec: {egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]}",
  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}",
  // Calico IPAM, both API groups; 10.244.10.0/26 sorts after 10.244.2.0/26 (numeric order, not text order).
  "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: 10-244-10-0-26}\nspec: {cidr: 10.244.10.0/26, allocations: [null, 0], attributes: [{handle_id: k8s-pod-network.b, secondary: {node: node2, namespace: batch, pod: job}}]}",
  "apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata: {name: 10-244-2-0-26}\nspec: {cidr: 10.244.2.0/26, affinity: 'host:node2', allocations: [null, null, 0], attributes: [{handle_id: k8s-pod-network.a, secondary: {node: node2, namespace: shop, pod: web-2}}]}",
  "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: 10-244-1-0-26}\nspec: {cidr: 10.244.1.0/26, affinity: 'host:node1', allocations: [null, null, 0, 1], attributes: [{secondary: {node: node1, namespace: shop, pod: web-1}}, {secondary: {node: node1, namespace: db, pod: pg-0}}]}",
  "apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata: {name: node2-10-244-1-0-26}\nspec: {cidr: 10.244.1.0/26, node: node2, state: pending, deleted: 'false'}",
  "apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: node2-10-244-2-0-26}\nspec: {cidr: 10.244.2.0/26, node: node2, state: confirmed, deleted: false}",
  "apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata: {name: node1-10-244-1-0-26}\nspec: {cidr: 10.244.1.0/26, node: node1, state: confirmed, deleted: 'false'}",
  "apiVersion: crd.projectcalico.org/v1\nkind: IPAMHandle\nmetadata: {name: k8s-pod-network.b}\nspec: {handleID: k8s-pod-network.b, block: {10.244.10.0/26: 1}}",
  "apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: k8s-pod-network.a}\nspec: {handleID: k8s-pod-network.a, block: {10.244.2.0/26: 1}}",
  "apiVersion: crd.projectcalico.org/v1\nkind: IPAMConfig\nmetadata: {name: default}\nspec: {strictAffinity: false, autoAllocateBlocks: true}",
];

/** A small seeded PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The model as plain data; spans dropped when documents move inside a file (their offsets must change). */
function plain(m: Model, keepSpans: boolean): string {
  return JSON.stringify(m, (k, v: unknown) => (v instanceof Map ? [...v] : k === "span" && !keepSpans ? undefined : v));
}

describe("determinism", () => {
  const baseline = loadFiles([{ path: "all.yaml", text: DOCS.join("\n---\n") }]);

  it("the scenario loads cleanly", () => {
    expect(baseline.diag.hasErrors()).toBe(false);
    expect(baseline.model.cluster.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(["batch/job", "db/pg-0", "shop/web-1", "shop/web-2"]);
    expect(baseline.model.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(["db/allow-web", "db/deny", "shop/egress"]);
    const ipam = baseline.model.cluster.ipam;
    expect(ipam?.blocks.map((b) => b.cidr)).toEqual(["10.244.1.0/26", "10.244.2.0/26", "10.244.10.0/26"]);
    expect(ipam?.affinities.map((a) => a.name)).toEqual(["node1-10-244-1-0-26", "node2-10-244-1-0-26", "node2-10-244-2-0-26"]);
    expect(ipam?.handles.map((h) => h.name)).toEqual(["k8s-pod-network.a", "k8s-pod-network.b"]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("is the same model when documents are shuffled in one file (seed %i)", (seed) => {
    const l = loadFiles([{ path: "all.yaml", text: shuffled(DOCS, seed).join("\n---\n") }]);
    expect(plain(l.model, false)).toBe(plain(baseline.model, false));
  });

  it.each([11, 12, 13, 14])("is the same model, spans and diagnostics included, when files are given in any order (seed %i)", (seed) => {
    const files = DOCS.map((text, i) => ({ path: `f${String(i).padStart(2, "0")}.yaml`, text }));
    const first = loadFiles(files);
    const l = loadFiles(shuffled(files, seed));
    expect(plain(l.model, true)).toBe(plain(first.model, true));
    expect(l.lines).toEqual(first.lines);
    expect(l.all.map((d) => d.message)).toEqual(first.all.map((d) => d.message));
  });

  it.each([21, 22, 23])("is the same model when List items are shuffled (seed %i)", (seed) => {
    const asList = (docs: readonly string[]): string =>
      `apiVersion: v1\nkind: List\nitems:\n${docs.map((d) => `- ${d.split("\n").join("\n  ")}`).join("\n")}\n`;
    const l = loadFiles([{ path: "list.yaml", text: asList(shuffled(DOCS, seed)) }]);
    expect(l.diag.hasErrors()).toBe(false);
    expect(plain(l.model, false)).toBe(plain(baseline.model, false));
  });
});
