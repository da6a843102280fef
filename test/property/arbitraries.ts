// fast-check arbitraries for whole compiler inputs: a random small cluster
// snapshot plus 1–4 random valid NetworkPolicies, rendered as YAML text so
// the frontend (YAML reading, validation, defaulting, lowering) is part of
// every property. See cluster-arb.ts, policy-arb.ts and ipblock-arb.ts for
// what is drawn and why.
import fc from "fast-check";
import type { InputFile } from "../../src/frontend/index.js";
import type { Model } from "../../src/ir/policy.js";
import { clusterArb, clusterDocs, type ClusterShape, type PodKind } from "./cluster-arb.js";
import { policyArbs } from "./policy-arb.js";
import { yamlFile, type YamlStyle, type YamlValue } from "./yaml.js";

export { clusterArb, clusterDocs, type ClusterShape } from "./cluster-arb.js";
export { policyArbs } from "./policy-arb.js";
export { toYaml, yamlFile, type YamlValue } from "./yaml.js";

export interface GeneratedCase {
  readonly cluster: ClusterShape;
  readonly policies: readonly YamlValue[];
  readonly style: YamlStyle;
}

export const CLUSTER_FILE = "cluster.yaml";
export const POLICY_FILE = "policy.yaml";

export const caseArb: fc.Arbitrary<GeneratedCase> = clusterArb.chain((cluster) =>
  fc.record({
    cluster: fc.constant(cluster),
    policies: policyArbs(cluster).policies(1, 4),
    style: fc.constantFrom<YamlStyle>("block", "flow-leaves"),
  }),
);

/** The case as input files; `comment` is each file's required first line (golden runner). */
export function caseFiles(c: GeneratedCase, comment = "Randomly generated case (test/property)."): InputFile[] {
  return [
    { path: CLUSTER_FILE, text: yamlFile(comment, clusterDocs(c.cluster), c.style) },
    { path: POLICY_FILE, text: yamlFile(comment, c.policies, c.style) },
  ];
}

function plainLabels(labels: ReadonlyMap<string, string>, drop?: string): Record<string, string> {
  return Object.fromEntries([...labels].filter(([k]) => k !== drop));
}

/**
 * A cluster shape read back from a loaded model, so random policies can be
 * drawn for a fixed snapshot (the kernel harness's test/kernel/cluster.yaml).
 */
export function shapeFromModel(model: Model): ClusterShape {
  const c = model.cluster;
  const kindOf = (p: Model["cluster"]["pods"][number]): PodKind =>
    p.hostNetwork ? "hostNetwork" : !p.nodeName || p.ips.length === 0 ? "pending" : p.phase === "Succeeded" ? "succeeded" : "endpoint";
  return {
    namespaces: c.namespaces.map((n) => ({ name: n.name, labels: plainLabels(n.labels, "kubernetes.io/metadata.name") })),
    nodes: c.nodes.map((n) => ({ name: n.name, ip: n.ip ?? "", tunnel: n.tunnelAddress ?? "" })),
    pods: c.pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      labels: plainLabels(p.labels),
      kind: kindOf(p),
      node: p.nodeName,
      ip: p.ips.find((ip) => !ip.includes(":")) ?? null,
      containers: [p.ports.map((q) => ({ name: q.name, port: q.containerPort, protocol: q.protocol }))],
    })),
    explicitPool: true,
  };
}
