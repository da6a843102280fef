// Felix's encapsulation-dependent static rules follow the pools (v3.27
// felix/calc/encapsulation_resolver.go, felix/rules/static.go) and the
// all-vxlan-net set follows the remote VTEPs (felix/dataplane/linux/vxlan_mgr.go).
// Every hash asserted with "capture" below was seen on a real node; the
// others are computed (same recipe, §6) and pinned.
import { describe, expect, test } from "vitest";
import { renderCalicoNode } from "../../../src/backends/calico/index.js";
import { encapsulationOf, vxlanTunnelOf } from "../../../src/backends/calico/static.js";
import type { NodeOutput } from "../../../src/backends/types.js";
import type { Model } from "../../../src/ir/policy.js";
import { writeIpSets } from "../../../src/rules/ipset.js";
import { writeRoutes } from "../../../src/rules/routes.js";
import type { IpSet } from "../../../src/rules/ipset.js";
import { createSimulator } from "../../../src/simulate/index.js";
import type { HookPath, HostContext, Packet, SimOutcome } from "../../../src/simulate/types.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { BACKEND, DB, chainLines, lines, model, node, P27_OPTIONS, pool } from "./fixtures.js";
import { Compilation } from "../../../src/compilation.js";

const NODES = [node("node0", "10.0.0.10"), node("node1", "10.0.0.11"), node("node2", "10.0.0.12"), node("node3", null)];
const VXLAN = pool("192.168.0.0/16", { ipipMode: "Never", vxlanMode: "Always" });
/** Each node's VXLAN tunnel address, as the resolved address plan (src/ir/ipam.ts) will carry it. */
const TUNNELS = { node1: "192.168.1.0", node2: "192.168.2.0", node3: "192.168.3.0" };

/** The model with exactly these VXLAN tunnel addresses in Cluster.addressing (other nodes: none, as with IPAM objects that give them none). */
function withVxlanTunnels(m: Model, tunnels: Record<string, string>): Model {
  const nodes = new Map(m.cluster.addressing.nodes);
  for (const n of m.cluster.nodes) {
    const address = tunnels[n.name];
    const ipipTunnel = nodes.get(n.name)?.ipipTunnel ?? null;
    nodes.set(n.name, { ipipTunnel, vxlanTunnel: address ? { address, source: "annotation" } : null, vxlanMac: null });
  }
  return { ...m, cluster: { ...m.cluster, addressing: { ...m.cluster.addressing, nodes } } };
}

const cluster = (pools = [VXLAN], tunnels: Record<string, string> = TUNNELS): Model =>
  withVxlanTunnels(model({ pods: [BACKEND, DB], nodes: NODES, pools }), tunnels);
const run = (m: Model, nodeName = "node1"): NodeOutput => renderCalicoNode(new Compilation(m), nodeName, P27_OPTIONS);
/** The filter table's text: cali-OUTPUT also exists in raw and nat. */
const text = (out: NodeOutput): string => table(writeRuleSet(out.ruleset), "filter");
const natText = (out: NodeOutput): string => table(writeRuleSet(out.ruleset), "nat");
function table(saved: string, name: string): string {
  const start = saved.indexOf(`*${name}\n`);
  return saved.slice(start, saved.indexOf("COMMIT\n", start));
}
const setNamed = (out: NodeOutput, name: string): IpSet | undefined => out.ipsets.find((s) => s.name === name);

describe("encapsulationOf (Felix's Encapsulation from the pools)", () => {
  test("a mode other than Never turns its encapsulation on; CrossSubnet counts", () => {
    expect(encapsulationOf([pool("10.0.0.0/16", { ipipMode: "Never", vxlanMode: "CrossSubnet" })])).toEqual({ ipip: false, vxlan: true });
    expect(encapsulationOf([pool("10.0.0.0/16", { ipipMode: "CrossSubnet" })])).toEqual({ ipip: true, vxlan: false });
    expect(encapsulationOf([pool("10.0.0.0/16", { ipipMode: "Never" })])).toEqual({ ipip: false, vxlan: false });
  });
  test("a disabled pool still counts (the calculator never reads spec.disabled)", () => {
    expect(encapsulationOf([pool("10.0.0.0/16", { ipipMode: "Never", vxlanMode: "Always", disabled: true })])).toEqual({ ipip: false, vxlan: true });
  });
  test("an IPv6 VXLAN pool feeds VXLANEnabledV6, not the IPv4 rules", () => {
    expect(encapsulationOf([pool("fd00::/48", { ipipMode: "Never", vxlanMode: "Always" })])).toEqual({ ipip: false, vxlan: false });
  });
  test("an IPIP pool and a VXLAN pool side by side turn both on", () => {
    expect(encapsulationOf([pool("10.1.0.0/16"), pool("10.2.0.0/16", { ipipMode: "Never", vxlanMode: "Always" })])).toEqual({ ipip: true, vxlan: true });
  });
});

describe("vxlanTunnelOf", () => {
  test("reads the resolved address plan, not the node annotation", () => {
    const m = cluster();
    expect(vxlanTunnelOf(m.cluster, "node2")).toBe("192.168.2.0");
    expect(vxlanTunnelOf(m.cluster, "node0")).toBeNull();
    expect(vxlanTunnelOf(m.cluster, "no-such-node")).toBeNull();
  });
});

describe("VXLAN-only pool", () => {
  const out = run(cluster());
  const t = text(out);
  const nat = natText(out);

  test("cali-INPUT: VXLAN allow/drop first, every hash as captured on a VXLAN node", () => {
    expect(chainLines(t, "cali-INPUT")).toEqual(lines(`
      -A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT
      -A cali-INPUT -p udp -m comment --comment "cali:EDCNTTxYfggApx8C" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
      -A cali-INPUT -i cali+ -m comment --comment "cali:H03xYXARh4e8pwd4" -g cali-wl-to-host
      -A cali-INPUT -m comment --comment "cali:MN6K3isIWBigb1Va" -m mark --mark 0x10000/0x10000 -j ACCEPT
      -A cali-INPUT -m comment --comment "cali:OSYphBLwOgic22Hz" -j MARK --set-xmark 0x0/0xf0000
      -A cali-INPUT -m comment --comment "cali:rmi2_piRVmfeiwVp" -j cali-from-host-endpoint
      -A cali-INPUT -m comment --comment "cali:F7Q8zu44qIbOVben" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
    `));
  });

  test("cali-OUTPUT: VXLAN allow after the workload RETURN (capture)", () => {
    expect(chainLines(t, "cali-OUTPUT")).toEqual(lines(`
      -A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT
      -A cali-OUTPUT -o cali+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN
      -A cali-OUTPUT -p udp -m comment --comment "cali:-QZG79DohFjalQBb" -m comment --comment "Allow IPv4 VXLAN packets to other allowed hosts" -m multiport --dports 4789 -m addrtype --src-type LOCAL -m set --match-set cali40all-vxlan-net dst -j ACCEPT
      -A cali-OUTPUT -m comment --comment "cali:iC1pSPgbvgQzkUk_" -j MARK --set-xmark 0x0/0xf0000
      -A cali-OUTPUT -m comment --comment "cali:4Zh7KtRvt4W5AEBR" -m conntrack ! --ctstate DNAT -j cali-to-host-endpoint
      -A cali-OUTPUT -m comment --comment "cali:Y0k-bqjt-5CUqyUq" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
    `));
  });

  test("nat cali-POSTROUTING: the vxlan.calico MASQUERADE is cali:e9dnSgSVNmIcpVhP (capture, felix-format App. C 4)", () => {
    expect(chainLines(nat, "cali-POSTROUTING").filter((l) => l.includes("MASQUERADE"))).toEqual([
      '-A cali-POSTROUTING -o vxlan.calico -m comment --comment "cali:e9dnSgSVNmIcpVhP" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully',
    ]);
  });

  test("no IPIP rules, no tunl0, no all-hosts-net; the workload-side drops stay", () => {
    expect(t).not.toContain("IPIP packets");
    expect(t + nat).not.toContain("tunl0");
    expect(t).not.toContain("all-hosts-net");
    expect(setNamed(out, "cali40all-hosts-net")).toBeUndefined();
    expect(t).toContain("Drop VXLAN encapped packets originating in workloads");
    expect(t).toContain("Drop IPinIP encapped packets originating in workloads");
  });

  test("all-vxlan-net: the node address of every remote VTEP, never this node's own", () => {
    // node0 has no VXLAN tunnel (no VTEP), node3 has no IPv4 address (no VTEP), node1 is this node.
    expect(writeIpSets(out.ipsets.filter((s) => s.name === "cali40all-vxlan-net"))).toBe(
      "create cali40all-vxlan-net hash:net family inet hashsize 1024 maxelem 1048576\nadd cali40all-vxlan-net 10.0.0.12\n",
    );
    const onNode2 = setNamed(run(cluster(), "node2"), "cali40all-vxlan-net");
    expect(onNode2?.members.map((x) => x.value)).toEqual(["10.0.0.11"]);
    const onNode0 = setNamed(run(cluster(), "node0"), "cali40all-vxlan-net");
    expect(onNode0?.members.map((x) => x.value).sort()).toEqual(["10.0.0.11", "10.0.0.12"]);
  });

  test("no remote VTEP: the set is still created, empty (Felix programs it on its first pass)", () => {
    const out1 = run(cluster([VXLAN], { node1: "192.168.1.0" }));
    expect(setNamed(out1, "cali40all-vxlan-net")).toMatchObject({ type: "hash:net", members: [] });
  });

  test("VXLAN on but no tunnel address on this node: filter rules, no vxlan.calico MASQUERADE", () => {
    const out0 = run(cluster(), "node0");
    expect(text(out0)).toContain('"cali:J76FwxInZIsk7uKY"');
    expect(natText(out0)).not.toContain("-o vxlan.calico");
  });

  test("a disabled VXLAN pool still turns the rules on", () => {
    const disabled = pool("192.168.0.0/16", { ipipMode: "Never", vxlanMode: "Always", disabled: true });
    expect(text(run(cluster([disabled])))).toContain('"cali:J76FwxInZIsk7uKY"');
  });
});

describe("routes on a node without a VTEP (no VXLAN pool selects it, or IPAM gave it none)", () => {
  // Felix creates vxlan.calico only from the node's own VTEP (vxlan_mgr.go `device`), and its route table skips
  // routes through a missing device; without the VTEP it does not know the data interface either, so it programs no
  // same-subnet route (route_mgr.go CompleteDeferredWork). `ip -batch` would stop at a line naming a missing device.
  const crossSubnet = pool("192.168.0.0/16", { ipipMode: "Never", vxlanMode: "CrossSubnet" });
  const subnetNodes = NODES.map((n) => ({ ...n, ipPrefix: n.ip === null ? null : 24 }));
  const routesOf = (m: Model, nodeName: string): string => writeRoutes(run(m, nodeName).routes);

  test("Always: no device, route, neighbour or FDB entry through vxlan.calico; the owner of a block still blackholes it", () => {
    const m = withVxlanTunnels(model({ pods: [BACKEND, DB], nodes: NODES, pools: [VXLAN] }), { node1: "192.168.1.0", node2: "192.168.2.0" });
    const out0 = run(m, "node0");
    expect(writeRoutes(out0.routes)).not.toContain("vxlan.calico");
    expect(writeRoutes(out0.routes)).not.toContain(" via ");
    expect(out0.fdb).toEqual([]);
    expect(routesOf(m, "node2")).toContain("route replace 192.168.231.0/26 via 192.168.1.0 dev vxlan.calico onlink\n");
    // node1 owns 192.168.231.0/26 (its pods); with its VTEP gone too, only the blackhole and the workload routes stay.
    const noVtep1 = withVxlanTunnels(model({ pods: [BACKEND, DB], nodes: NODES, pools: [VXLAN] }), { node2: "192.168.2.0" });
    expect(routesOf(noVtep1, "node1")).not.toContain("vxlan.calico");
    expect(routesOf(noVtep1, "node1")).toContain("route replace blackhole 192.168.231.0/26 proto 80\n");
  });

  test("CrossSubnet: not even the same-subnet route over the uplink; a node with a VTEP keeps it", () => {
    const m = withVxlanTunnels(model({ pods: [BACKEND, DB], nodes: subnetNodes, pools: [crossSubnet] }), { node1: "192.168.1.0", node2: "192.168.2.0" });
    expect(routesOf(m, "node0")).not.toContain(" via ");
    expect(routesOf(m, "node2")).toContain("route replace 192.168.231.0/26 via 10.0.0.11 dev eth0 proto 80 onlink\n");
  });
});

describe("no encapsulation (ipipMode and vxlanMode Never)", () => {
  const none = pool("192.168.0.0/16", { ipipMode: "Never", vxlanMode: "Never" });
  const out = run(cluster([none]));
  const t = text(out);

  test("no encapsulation rule in INPUT/OUTPUT/nat (every hash as captured on a no-encap node)", () => {
    expect(chainLines(t, "cali-INPUT").map((l) => /cali:([^"]+)/.exec(l)?.[1])).toEqual([
      "FewJpBykm9iJ-YNH", "hder3ARWznqqv8Va", "xgOu2uJft6H9oDGF", "_-d-qojMfHM6NwBo", "LqmE76MP94lZTGhA",
    ]);
    expect(chainLines(t, "cali-OUTPUT").map((l) => /cali:([^"]+)/.exec(l)?.[1])).toEqual([
      "Mq1_rAdXXH3YkrzW", "69FkRTJDvD5Vu6Vl", "Fskumj4SGQtDV6GC", "1F4VWEsQu0QbRwKf", "m8Eqm15x1MjD24LD",
    ]);
    expect(chainLines(natText(out), "cali-POSTROUTING").map((l) => /cali:([^"]+)/.exec(l)?.[1])).toEqual(["Z-c7XtVd2Bq7s_hA", "nYKhEzDlr11Jccal"]);
  });

  test("neither all-hosts-net nor all-vxlan-net", () => {
    expect(out.ipsets.map((s) => s.name).sort()).toEqual(["cali40all-ipam-pools", "cali40masq-ipam-pools"]);
  });
});

describe("an IPIP pool and a VXLAN pool side by side", () => {
  const both = [pool("192.168.0.0/17", { name: "ipip" }), pool("192.168.128.0/17", { name: "vxlan", ipipMode: "Never", vxlanMode: "Always" })];
  // node1 has both tunnels: the IPIP one by annotation (today's inference), the VXLAN one in the address plan.
  const m = withVxlanTunnels(
    model({ pods: [BACKEND, DB], nodes: [node("node0", "10.0.0.10"), node("node1", "10.0.0.11", "192.168.0.1"), node("node2", "10.0.0.12")], pools: both }),
    TUNNELS,
  );
  const out = run(m);
  const t = text(out);
  const hashes = (chain: string): (string | undefined)[] => chainLines(t, chain).map((l) => /cali:([^"]+)/.exec(l)?.[1]);

  test("cali-INPUT: IPIP allow/drop, then VXLAN allow/drop (computed hashes after the IPIP pair)", () => {
    expect(chainLines(t, "cali-INPUT").slice(0, 4).map((l) => /"(Allow|Drop) [^"]+"/.exec(l)?.[0])).toEqual([
      '"Allow IPIP packets from Calico hosts"',
      '"Drop IPIP packets from non-Calico hosts"',
      '"Allow IPv4 VXLAN packets from allowed hosts"',
      '"Drop IPv4 VXLAN packets from non-allowed hosts"',
    ]);
    expect(hashes("cali-INPUT")).toEqual([
      "PajejrV4aFdkZojI", "_wjq-Yrma8Ly1Svo", "vAtgLJQrC8jqfupA", "zflVeih23x0azwP-",
      "zOE6ZvWd2aVSGBc-", "y5neHYY7qb9577zk", "EbsxfFErBi7tjSLQ", "mDeCFX-eyVzHaKJc", "1HWEswdfIJFrBxpv",
    ]);
  });

  test("cali-OUTPUT: IPIP allow, then VXLAN allow", () => {
    expect(hashes("cali-OUTPUT")).toEqual([
      "Mq1_rAdXXH3YkrzW", "69FkRTJDvD5Vu6Vl", "AnEsmO6bDZbQntWW", "toWrC7ZJiZAxfvvK", "CqA02JeglnPdgekS", "ruRq1FHScj0B37IQ", "Owbdge6yL7t-R7sD",
    ]);
    expect(chainLines(t, "cali-OUTPUT")[3]).toContain("Allow IPv4 VXLAN packets to other allowed hosts");
  });

  test("nat: tunl0 MASQUERADE, then vxlan.calico", () => {
    const masq = chainLines(natText(out), "cali-POSTROUTING").filter((l) => l.includes("MASQUERADE"));
    expect(masq.map((l) => /-o (\S+) .*cali:([^"]+)/.exec(l)?.slice(1))).toEqual([
      ["tunl0", "SXWvdsbh4Mw7wOln"],
      ["vxlan.calico", "TLxCLfnmB_gN_OZh"],
    ]);
  });

  test("both host sets: all-hosts-net holds every node, all-vxlan-net the remote VTEPs", () => {
    expect(setNamed(out, "cali40all-hosts-net")?.members.map((x) => x.value)).toEqual(["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
    expect(setNamed(out, "cali40all-vxlan-net")?.members.map((x) => x.value)).toEqual(["10.0.0.12"]);
  });
});

describe("the simulator walks the VXLAN rules", () => {
  const { simulatePath } = createSimulator();
  const out = run(cluster());
  const host: HostContext = {
    localAddresses: new Set(["10.0.0.11", "192.168.1.0"]),
    ipsets: new Map(out.ipsets.map((s) => [s.name, s])),
    rpfilterOk: () => true,
    interfaceAddresses: new Map([["eth0", new Set(["10.0.0.11"])], ["vxlan.calico", new Set(["192.168.1.0"])]]),
  };
  const udp = (src: string, dst: string): Packet => ({ src, dst, protocol: "udp", srcPort: 40000, dstPort: 4789, ctstate: "NEW", mark: 0, dnat: false, snat: false });
  const walk = (path: HookPath, p: Packet): SimOutcome => {
    const outcomes = simulatePath(out.ruleset, path, p, host);
    expect(outcomes).toHaveLength(1);
    return outcomes[0]!;
  };
  const IN: HookPath = { kind: "input", inIface: "eth0" };

  test("VXLAN from a remote VTEP to this node is accepted by the allow rule", () => {
    const o = walk(IN, udp("10.0.0.12", "10.0.0.11"));
    expect([o.verdict, o.unknown]).toEqual(["ACCEPT", null]);
    expect(o.decisive).toMatchObject({ table: "filter", chain: "cali-INPUT", index: 0, action: "accept" });
  });

  test("VXLAN from an address outside all-vxlan-net (a stranger, a node with no VTEP) is dropped", () => {
    for (const src of ["10.9.9.9", "10.0.0.10"]) {
      const o = walk(IN, udp(src, "10.0.0.11"));
      expect(o.decisive).toMatchObject({ table: "filter", chain: "cali-INPUT", index: 1, action: "drop" });
    }
  });

  test("other UDP ports pass the VXLAN rules by", () => {
    const o = walk(IN, { ...udp("10.9.9.9", "10.0.0.11"), dstPort: 53 });
    expect(o.trace.some((s) => s.chain === "cali-INPUT" && s.index < 2)).toBe(false);
  });

  test("VXLAN sent to a remote VTEP is accepted by cali-OUTPUT's allow rule; to others it is not", () => {
    const toVtep = walk({ kind: "output", outIface: "eth0" }, udp("10.0.0.11", "10.0.0.12"));
    expect(toVtep.decisive).toMatchObject({ table: "filter", chain: "cali-OUTPUT", index: 2, action: "accept" });
    const elsewhere = walk({ kind: "output", outIface: "eth0" }, udp("10.0.0.11", "10.9.9.9"));
    expect(elsewhere.trace.some((s) => s.chain === "cali-OUTPUT" && s.index === 2)).toBe(false);
  });

  test("a host packet into vxlan.calico from the wrong local address is masqueraded", () => {
    const p: Packet = { ...udp("10.0.0.11", "192.168.2.5"), protocol: "tcp", dstPort: 80 };
    const o = walk({ kind: "output", outIface: "vxlan.calico" }, p);
    expect(o.trace.find((s) => s.action === "masquerade")).toMatchObject({ table: "nat", chain: "cali-POSTROUTING", index: 2 });
  });
});
