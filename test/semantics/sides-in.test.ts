// Evaluator.sidesIn: sides() for flows between pods grouped by signature, each rule's peers asked once per group.
// On a generated cluster (pod peers, namespace selectors, ipBlocks, named ports), every ordered pair of endpoint
// pods: the same sides as sides() gives, policy by policy and rule by rule.
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../../src/diagnostics/diagnostic.js";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { loadModel } from "../../src/frontend/index.js";
import type { Pod } from "../../src/ir/cluster.js";
import { createEvaluator, type FlowSides, type Side } from "../../src/semantics/evaluate.js";
import { generateCluster } from "../../scripts/gen-cluster.js";

const sideText = (s: Side): string =>
  s.exempt !== null
    ? `${s.exempt} [${s.isolatedBy.map((p) => p.name).join(",")}]`
    : `${s.direction} [${s.isolatedBy.map((p) => p.name).join(",")}] ${s.peered.map(({ policy, rule }) => `${policy.namespace}/${policy.name}#${rule.index}`).join(",")}`;
const sidesText = (s: FlowSides): string => `egress ${sideText(s.egress)} | ingress ${sideText(s.ingress)}`;

describe("Evaluator.sidesIn", () => {
  const g = generateCluster({ pods: 160, policies: 40, nodes: 4 }, { seed: 7 });
  const diag = new DiagnosticSink();
  const model = loadModel(g.files, diag, new SourceMap());
  const ev = createEvaluator(model);
  const pods = ev.endpoints();
  // Groups by signature, numbered in order of first appearance.
  const bySignature = new Map<string, number>();
  const groupOf = new Map<Pod, number>(pods.map((p) => {
    const sig = ev.signature(p);
    if (!bySignature.has(sig)) bySignature.set(sig, bySignature.size);
    return [p, bySignature.get(sig)!];
  }));

  it("gives sides() for every ordered pair of endpoint pods grouped by signature, the pod itself included", () => {
    expect(diag.all.filter((d) => d.severity === "error")).toEqual([]);
    expect(pods.length).toBeGreaterThan(100);
    // Fewer groups than pods, or nothing is shared and the test shows nothing.
    expect(bySignature.size).toBeLessThan(pods.length / 2);
    const sidesIn = ev.sidesIn(bySignature.size);
    const differ: string[] = [];
    let peered = 0;
    for (const a of pods) {
      for (const b of pods) {
        const flow = { src: { kind: "pod", pod: a }, dst: { kind: "pod", pod: b }, protocol: "TCP", port: 0 } as const;
        const want = sidesText(ev.sides(flow));
        const got = sidesText(sidesIn(flow, groupOf.get(a)!, groupOf.get(b)!));
        if (got !== want) differ.push(`${a.namespace}/${a.name} → ${b.namespace}/${b.name}: ${got} vs ${want}`);
        if (want.includes("#")) peered++;
      }
    }
    expect(differ.slice(0, 5)).toEqual([]);
    // Rules do take pods in: the tables are read, not only the exemptions.
    expect(peered).toBeGreaterThan(pods.length);
  });

  it("trusts its groups: every pod put in one group answers as the first asked (what a wrong grouping would cost)", () => {
    const sidesIn = ev.sidesIn(1);
    let differ = 0;
    for (const a of pods) {
      for (const b of pods) {
        const flow = { src: { kind: "pod", pod: a }, dst: { kind: "pod", pod: b }, protocol: "TCP", port: 0 } as const;
        if (sidesText(sidesIn(flow, 0, 0)) !== sidesText(ev.sides(flow))) differ++;
      }
    }
    expect(differ).toBeGreaterThan(0);
  });

  it("judges ends outside any group, and plain addresses, as sides() does", () => {
    const sidesIn = ev.sidesIn(bySignature.size);
    for (const a of pods.slice(0, 20)) {
      for (const dst of [{ kind: "ip", ip: "203.0.113.9" } as const, { kind: "pod", pod: pods[pods.length - 1]! } as const]) {
        const flow = { src: { kind: "pod", pod: a } as const, dst, protocol: "TCP", port: 0 } as const;
        expect(sidesText(sidesIn(flow, groupOf.get(a)!, -1))).toBe(sidesText(ev.sides(flow)));
      }
    }
  });
});
