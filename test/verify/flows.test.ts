// Probe selection and topology: range edges and their neighbours, the
// unmentioned port, ipBlock boundary addresses, and the hops of each kind of flow.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { DEFAULT_CALICO_OPTIONS } from "../../src/backends/calico/index.js";
import { externalAddresses, planPorts, portsFor } from "../../src/verify/flows.js";
import { buildTopology, hopsFor } from "../../src/verify/index.js";
import { BOOKINFO, caseInputs, compileAll, GOLDEN } from "./helpers.js";

describe("probe selection", () => {
  it("ranges are probed at both edges and just outside; the unmentioned port is outside every one", () => {
    const c = compileAll(caseInputs(join(GOLDEN, "edge-10-endport-ranges-and-multiport-split")));
    const plan = planPorts(c.ctx.model);
    const tcp = plan.numeric.get("TCP") ?? [];
    for (const p of [21, 443, 999, 1000, 1100, 1101, 3999, 4000, 4100, 4101]) expect(tcp).toContain(p);
    expect(tcp).not.toContain(1050);
    expect(plan.unmentioned).not.toBeNull();
    expect(tcp).not.toContain(plan.unmentioned);
    expect(plan.unmentioned).not.toBe(4789);
  });

  it("ipBlocks give their first and last address, each except's first, and one outside address", () => {
    const c = compileAll(caseInputs(join(GOLDEN, "edge-07-ipblocks-normalised-and-excepts")));
    // 172.16.5.9/12 is read as 172.16.0.0/12; 0.0.0.0/0 covers everything, so no outside address exists.
    expect(externalAddresses(c.ctx.model)).toEqual(["0.0.0.0", "169.254.169.254", "172.16.0.0", "172.31.255.255", "255.255.255.255"]);
  });

  it("named ports resolve on the destination pod", () => {
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const plan = planPorts(c.ctx.model);
    const ratings = c.ctx.model.cluster.pods.find((p) => p.name.startsWith("ratings"))!;
    expect(plan.named.get("TCP")).toEqual(["http"]);
    expect(portsFor(plan, "TCP", { kind: "pod", pod: ratings })).toContain(9080);
    expect(externalAddresses(c.ctx.model)).toEqual(["10.0.0.0", "10.255.255.255", "203.0.113.1"]);
  });
});

describe("hops", () => {
  const c = compileAll(gatherInputs([BOOKINFO], () => ""));
  const topo = buildTopology(c.ctx.model, DEFAULT_CALICO_OPTIONS.interfacePrefix);
  const pod = (prefix: string) => ({ kind: "pod" as const, pod: c.ctx.model.cluster.pods.find((p) => p.name.startsWith(prefix))! });
  const hops = (src: Parameters<typeof hopsFor>[1]["src"], dst: Parameters<typeof hopsFor>[1]["dst"]) =>
    hopsFor(topo, { src, dst, protocol: "TCP", port: 9080 })?.map((h) => `${h.node} ${h.path.kind} ${"inIface" in h.path ? h.path.inIface : ""}>${"outIface" in h.path ? h.path.outIface : ""}`);

  it("same node: one forward from veth to veth", () => {
    expect(hops(pod("productpage"), pod("ratings"))).toEqual([expect.stringMatching(/^ubuntu3 forward cali[0-9a-f]{11}>cali[0-9a-f]{11}$/)]);
  });
  it("across nodes: into tunl0 on the source node, out of it on the destination node", () => {
    expect(hops(pod("productpage"), pod("details"))).toEqual([
      expect.stringMatching(/^ubuntu3 forward cali\w+>tunl0$/),
      expect.stringMatching(/^ubuntu2 forward tunl0>cali\w+$/),
    ]);
  });
  it("external peers: through eth0", () => {
    expect(hops({ kind: "ip", ip: "203.0.113.1" }, pod("details"))).toEqual([expect.stringMatching(/^ubuntu2 forward eth0>cali\w+$/)]);
    expect(hops(pod("details"), { kind: "ip", ip: "10.0.0.0" })).toEqual([expect.stringMatching(/^ubuntu2 forward cali\w+>eth0$/)]);
  });
});
