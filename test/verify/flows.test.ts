// Probe selection and topology: range edges and their neighbours, the
// unmentioned port, ipBlock boundary addresses, node traffic, the hops of
// each kind of flow, and where the Felix invariant probes are walked.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { enumerateFlows, externalAddresses, planPorts, portsFor } from "../../src/verify/flows.js";
import { hopsFor, INVARIANTS, invariantProbes } from "../../src/verify/index.js";
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
  const topo = c.ctx.topology(c.rules);
  const pod = (prefix: string) => ({ kind: "pod" as const, pod: c.ctx.model.cluster.pods.find((p) => p.name.startsWith(prefix))! });
  const hops = (src: Parameters<typeof hopsFor>[1]["src"], dst: Parameters<typeof hopsFor>[1]["dst"]) =>
    hopsFor(topo, { src, dst, protocol: "TCP", port: 9080 })?.hops.map((h) => `${h.node} ${h.path.kind} ${"inIface" in h.path ? h.path.inIface : ""}>${"outIface" in h.path ? h.path.outIface : ""}`);

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

describe("node traffic", () => {
  const c = compileAll(gatherInputs([BOOKINFO], () => ""));
  const model = c.ctx.model;
  const topo = c.ctx.topology(c.rules);
  const pod = (prefix: string) => ({ kind: "pod" as const, pod: model.cluster.pods.find((p) => p.name.startsWith(prefix))! });
  const ip = (ip: string) => ({ kind: "ip" as const, ip });
  const hops = (src: Parameters<typeof hopsFor>[1]["src"], dst: Parameters<typeof hopsFor>[1]["dst"]) =>
    hopsFor(topo, { src, dst, protocol: "TCP", port: 9080 })?.hops.map((h) => `${h.node} ${h.path.kind} ${"inIface" in h.path ? h.path.inIface : ""}>${"outIface" in h.path ? h.path.outIface : ""}`);
  // productpage runs on ubuntu3 (172.16.0.13, tunl0 192.168.2.1); ubuntu1 is 172.16.0.11, tunl0 192.168.0.1.

  it("host → local pod: the OUTPUT path straight out of the pod's cali interface", () => {
    expect(hops(ip("172.16.0.13"), pod("productpage"))).toEqual([expect.stringMatching(/^ubuntu3 output >cali\w+$/)]);
  });
  it("local pod → host: the INPUT path from the pod's cali interface", () => {
    expect(hops(pod("productpage"), ip("172.16.0.13"))).toEqual([expect.stringMatching(/^ubuntu3 input cali\w+>$/)]);
  });
  it("another node → pod: out of that host into the tunnel, forwarded to the pod", () => {
    expect(hops(ip("192.168.0.1"), pod("productpage"))).toEqual(["ubuntu1 output >tunl0", expect.stringMatching(/^ubuntu3 forward tunl0>cali\w+$/)]);
  });
  it("pod → another node: forwarded out of eth0, into that host's INPUT path", () => {
    expect(hops(pod("productpage"), ip("172.16.0.11"))).toEqual([expect.stringMatching(/^ubuntu3 forward cali\w+>eth0$/), "ubuntu1 input eth0>"]);
  });
  it("host ↔ host and host ↔ outside meet no workload", () => {
    expect(hops(ip("172.16.0.11"), ip("172.16.0.13"))).toBeUndefined();
    expect(hops(ip("203.0.113.1"), ip("172.16.0.13"))).toBeUndefined();
  });

  it("enumerated: every host to every pod (the tunnel address for remote pods), every pod to every node IP, no UDP 4789 from pods", () => {
    const flows = enumerateFlows(model, topo);
    const key = (e: (typeof flows)[number]["src"]) => (e.kind === "pod" ? e.pod.name.split("-")[0] : e.ip);
    const pairs = new Set(flows.map((f) => `${key(f.src)}>${key(f.dst)}`));
    for (const p of ["172.16.0.13>productpage", "192.168.0.1>productpage", "192.168.1.1>productpage", "productpage>172.16.0.11", "productpage>172.16.0.13"]) {
      expect(pairs, p).toContain(p);
    }
    expect(pairs).not.toContain("172.16.0.11>productpage");
    expect(flows.some((f) => f.src.kind === "pod" && f.protocol === "UDP" && f.port === 4789)).toBe(false);
  });
});

describe("Felix invariant probes", () => {
  const c = compileAll(gatherInputs([BOOKINFO], () => ""));
  const topo = c.ctx.topology(c.rules);
  const probes = invariantProbes(topo, enumerateFlows(c.ctx.model, topo), (f) => hopsFor(topo, f)?.hops ?? null);

  it("every endpoint pod gets every invariant, on its own node", () => {
    const pods = [...topo.pods.keys()].sort();
    expect(probes.map((p) => `${p.pod} ${p.invariant.id}`)).toEqual(pods.flatMap((pod) => INVARIANTS.map((i) => `${pod} ${i.id}`)));
    for (const p of probes) expect(p.hop.node).toBe(topo.pods.get(p.pod)!.node);
  });

  it("each is walked where only the pod's own endpoint chain decides: from or to the wire or tunnel", () => {
    for (const p of probes) {
      const { iface } = topo.pods.get(p.pod)!;
      const path = p.hop.path;
      expect(path.kind, p.pod).toBe("forward");
      if (path.kind !== "forward") continue;
      const [own, other] = p.invariant.direction === "to" ? [path.outIface, path.inIface] : [path.inIface, path.outIface];
      expect([own, /^(tunl0|eth0)$/.test(other)]).toEqual([iface, true]);
    }
  });

  it("the packets: ESTABLISHED/INVALID states, IPIP as protocol 4, VXLAN as UDP 4789", () => {
    const by = (id: string) => probes.find((p) => p.invariant.id === id)!.packet;
    expect(by("established-to").ctstate).toBe("ESTABLISHED");
    expect(by("invalid-from").ctstate).toBe("INVALID");
    expect([by("ipip-from").protocol, by("ipip-from").ctstate]).toEqual(["4", "NEW"]);
    expect([by("vxlan-from").protocol, by("vxlan-from").dstPort]).toEqual(["udp", 4789]);
  });
});
