// hopsFor (routing.ts) as class verify calls it: with the ends' places known, again and again for the same pods
// (a step remembers the pod it delivers to), and with the route's inference read off its steps (Routed.inferred).
// Both must give what a fresh walk from the flow alone gives.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { podIPv4 } from "../../src/ir/cluster.js";
import { routeTableFromText, type NodeRules } from "../../src/verify/index.js";
import { hopsFor, type Routed } from "../../src/verify/routing.js";
import { where, type Topology } from "../../src/verify/topology.js";
import { writeRoutes } from "../../src/rules/routes.js";
import type { FlowEndpoint } from "../../src/semantics/index.js";
import { BOOKINFO, compileAll, GOLDEN } from "./helpers.js";

/** What Routed.inferred must be: a hop's route, or the drop's, rests on an inferred owner. */
const inferredOf = (r: Routed): boolean => r.hops.some((h) => h.route?.inferred === true) || (r.fate.kind === "dropped" && r.fate.route?.inferred === true);

/** Every ordered pair of ends (endpoint pods, and node addresses as plain IPs), walked three ways. */
function walkAll(topo: Topology, ends: readonly FlowEndpoint[]): { routed: number; inferred: number; dropped: number } {
  let routed = 0;
  let inferred = 0;
  let dropped = 0;
  for (let round = 0; round < 2; round++) {
    for (const src of ends) {
      for (const dst of ends) {
        if (src === dst) continue;
        const flow = { src, dst, protocol: "TCP" as const, port: 80 };
        const fresh = hopsFor(topo, flow);
        const dstIp = dst.kind === "pod" ? podIPv4(dst.pod)! : dst.ip;
        const known = hopsFor(topo, flow, { src: where(topo, src), dst: where(topo, dst), dstIp });
        expect(known).toEqual(fresh);
        if (fresh === null) continue;
        expect(fresh.inferred ?? false).toBe(inferredOf(fresh));
        if (round === 0) {
          routed++;
          if (inferredOf(fresh)) inferred++;
          if (fresh.fate.kind === "dropped") dropped++;
        }
      }
    }
  }
  return { routed, inferred, dropped };
}

const endsOf = (topo: Topology, c: ReturnType<typeof compileAll>): FlowEndpoint[] => [
  ...c.ctx.evaluator.endpoints().map((pod): FlowEndpoint => ({ kind: "pod", pod })),
  ...[...topo.nodes.values()].flatMap((n) => (n.ip ? [{ kind: "ip" as const, ip: n.ip }] : [])),
];

describe("hopsFor with known places and Routed.inferred", () => {
  it("pods of one /26 on three nodes without IPAM objects: inferred routes are flagged, known places walk alike", () => {
    const c = compileAll(gatherInputs([join(GOLDEN, "ipam-inferred-shared-block")], () => ""));
    const topo = c.ctx.topology(c.rules);
    const n = walkAll(topo, endsOf(topo, c));
    expect(n.routed).toBeGreaterThan(20);
    expect(n.inferred).toBeGreaterThan(0);
    expect(n.inferred).toBeLessThan(n.routed);
  });

  it("bookinfo with a tampered table (a blackhole for a pod, a pod's /32 sent by way of another node): drops and misdeliveries walk alike", () => {
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const pods = c.ctx.evaluator.endpoints();
    const on2 = pods.find((p) => p.nodeName === "ubuntu2")!;
    const other = [...c.ctx.topology(c.rules).nodes.values()].find((n) => n.name !== "ubuntu1" && n.name !== on2.nodeName && n.ip)!;
    const lost = podIPv4(pods.find((p) => p.nodeName === "ubuntu3")!)!;
    const extra = [`route replace blackhole ${lost}/32`, `route replace ${podIPv4(on2)}/32 via ${other.ip} dev tunl0 onlink`].join("\n");
    const compiled = c.ctx.compiledRoutes("ubuntu1");
    const tampered = routeTableFromText(writeRoutes(compiled.routes.map((r) => r.cmd)) + extra + "\n", "ubuntu1.routes", "", "ubuntu1.fdb");
    expect(tampered.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const rules = new Map<string, NodeRules>([...c.rules].map(([name, r]) => [name, name === "ubuntu1" ? { ...r, routes: tampered.table! } : r]));
    const topo = c.ctx.topology(rules);
    const n = walkAll(topo, endsOf(topo, c));
    expect(n.routed).toBeGreaterThan(20);
    expect(n.dropped).toBeGreaterThan(0);
    const detour = hopsFor(topo, { src: { kind: "pod", pod: pods.find((p) => p.nodeName === "ubuntu1")! }, dst: { kind: "pod", pod: on2 }, protocol: "TCP", port: 80 })!;
    expect(detour.hops.map((h) => h.node)).toEqual(["ubuntu1", other.name, "ubuntu2"]);
  });
});
