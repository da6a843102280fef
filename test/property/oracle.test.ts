// Property: on random cases, the reference evaluator (src/semantics, reading
// the frontend's IR) agrees with an independent oracle that reads the
// generator's YAML objects directly (oracle.ts). verify cannot see frontend
// bugs (compiled rules and evaluator share the IR); this property can.
import fc from "fast-check";
import { describe, it } from "vitest";
import type { Pod } from "../../src/ir/cluster.js";
import { createEvaluator, type FlowEndpoint } from "../../src/semantics/index.js";
import { caseArb, caseFiles, type GeneratedCase } from "./arbitraries.js";
import { compileOk } from "./check-case.js";
import type { Protocol } from "./cluster-arb.js";
import { oracleAllows, type OracleEndpoint, type OracleFlow } from "./oracle.js";
import { propertyParams } from "./params.js";
import { assertWithRegression, firstLine } from "./regression.js";

const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
// Every number the generators use, range edges included (policy-arb.ts).
const PORTS = [53, 78, 79, 80, 81, 82, 83, 84, 85, 999, 1000, 1017, 1030, 1034, 1035, 5353, 8080, 9000];
/** Off-cluster addresses: a documentation address, one in the nodes' /24, one unused pool address. */
const OUTSIDE = ["203.0.113.7", "10.0.0.99", "192.168.1.50"];

function flowsOf(c: GeneratedCase): OracleFlow[] {
  const pods: OracleEndpoint[] = c.cluster.pods.filter((p) => p.kind === "endpoint").map((pod) => ({ kind: "pod", pod }));
  const ips = [...new Set([...c.cluster.nodes.flatMap((n) => [n.ip, n.tunnel]), ...OUTSIDE])];
  const others: OracleEndpoint[] = ips.map((ip) => ({ kind: "ip", ip }));
  const pairs: [OracleEndpoint, OracleEndpoint][] = [];
  for (const a of pods) for (const b of pods) if (a !== b) pairs.push([a, b]);
  for (const a of pods) for (const x of others) pairs.push([a, x], [x, a]);
  return pairs.flatMap(([src, dst]) => PROTOCOLS.flatMap((protocol) => PORTS.map((port) => ({ src, dst, protocol, port }))));
}

const name = (e: OracleEndpoint): string => (e.kind === "pod" ? `${e.pod.namespace}/${e.pod.name}` : e.ip);

describe("random cases: evaluator == independent oracle", () => {
  it("the evaluator agrees with the YAML-level oracle on every flow", () => {
    const prop = fc.property(caseArb, (c) => {
      const { model } = compileOk(caseFiles(c));
      const pods = new Map<string, Pod>(model.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
      const ir = (e: OracleEndpoint): FlowEndpoint => (e.kind === "ip" ? e : { kind: "pod", pod: pods.get(name(e))! });
      const wrong: string[] = [];
      const evaluator = createEvaluator(model);
      for (const f of flowsOf(c)) {
        const expected = oracleAllows(c.cluster, c.policies, f);
        const v = evaluator.evaluate({ src: ir(f.src), dst: ir(f.dst), protocol: f.protocol, port: f.port });
        if (v.allowed !== expected) {
          wrong.push(`${name(f.src)} -> ${name(f.dst)} ${f.protocol}/${f.port}: oracle ${expected}, evaluator ${v.allowed} (egress ${v.egress.reason}, ingress ${v.ingress.reason})`);
        }
      }
      if (wrong.length) throw new Error(`evaluator and oracle disagree on ${wrong.length} flows, first: ${wrong[0]}\n${wrong.slice(0, 10).join("\n")}`);
    });
    assertWithRegression(prop, propertyParams<[GeneratedCase]>(60, 0.5), firstLine);
  }, 600_000);
});
