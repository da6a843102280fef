// IPv6 routes of a node (spec ipv6-and-policy §A7): Felix's /128 device
// routes, BIRD's blackholes and BGP-native routes to other nodes' v6 blocks.
import { describe, expect, test } from "vitest";
import { buildRoutes, buildRoutes6, type RouteOptions } from "../../../src/backends/calico/routes.js";
import { allWorkloads, localWorkloads, type Workload } from "../../../src/backends/calico/workloads.js";
import { Compilation } from "../../../src/compilation.js";
import type { Node, Pod } from "../../../src/ir/cluster.js";
import type { Model } from "../../../src/ir/policy.js";
import { parseRoutes } from "../../../src/rules/route-parser.js";
import { writeRoutes, type RouteCommand } from "../../../src/rules/routes.js";
import { buildTopology, type RouteTable } from "../../../src/verify/topology.js";
import { routeOut } from "../../../src/verify/routing.js";
import { model, node, pod, pool } from "./fixtures.js";

const OPTS: RouteOptions = { routeProgrammer: "bird", uplink: "eth0" };
const V4_POOL = pool("192.168.0.0/16", { ipipMode: "Never" });
const V6_POOL = pool("fd00:10::/64", { name: "default-ipv6-ippool", ipipMode: "Never", natOutgoing: false, blockSize: 122 });

const node6 = (name: string, ip: string, ip6: string | null): Node => ({ ...node(name, ip), ip6 });
const NODES = [node6("node1", "10.0.0.11", "fd00:77::11"), node6("node2", "10.0.0.12", "fd00:77::12")];
/** node1: two dual-stack pods in fd00:10::/122; node2: one in fd00:10::40/122. */
const PODS = [
  pod("a", { node: "node1", ip: ["192.168.1.5", "fd00:10::5"] }),
  pod("b", { node: "node1", ip: ["192.168.1.6", "fd00:10::6"] }),
  pod("c", { node: "node2", ip: ["192.168.2.7", "fd00:10::47"] }),
];

const dualStack = (pods: Pod[] = PODS, nodes: Node[] = NODES): Model => model({ pods, nodes, pools: [V4_POOL, V6_POOL] });

function routes6(m: Model, nodeName = "node1", shuffle = false): RouteCommand[] {
  const comp = new Compilation(m);
  const local = localWorkloads(comp, allWorkloads(comp, "cali"), nodeName);
  return buildRoutes6(comp, nodeName, shuffle ? [...local].reverse() : local, OPTS);
}

const text6 = (m: Model, nodeName = "node1"): string => writeRoutes(routes6(m, nodeName));
const ifaceOf = (m: Model, name: string): string => allWorkloads(new Compilation(m), "cali").find((w: Workload) => w.pod.name === name)!.iface;

describe("buildRoutes6", () => {
  test("two local dual-stack pods and one remote node: /128 device routes, own blackhole, remote block via its IPv6 address", () => {
    const m = dualStack();
    expect([ifaceOf(m, "a"), ifaceOf(m, "b")]).toEqual(["caliacd53aa4120", "califf6fc35a693"]);
    expect(text6(m)).toBe(
      [
        "route replace fd00:10::5/128 dev caliacd53aa4120 scope link",
        "route replace fd00:10::6/128 dev califf6fc35a693 scope link",
        "route replace blackhole fd00:10::/122 proto bird",
        "route replace fd00:10::40/122 via fd00:77::12 dev eth0 proto bird",
        "",
      ].join("\n"),
    );
    // The other side, for symmetry.
    expect(text6(m, "node2")).toBe(
      [
        `route replace fd00:10::47/128 dev ${ifaceOf(m, "c")} scope link`,
        "route replace blackhole fd00:10::40/122 proto bird",
        "route replace fd00:10::/122 via fd00:77::11 dev eth0 proto bird",
        "",
      ].join("\n"),
    );
  });

  test("the IPv4 routes are unchanged by the IPv6 addresses (no v6 line among them)", () => {
    const comp = new Compilation(dualStack());
    const local = localWorkloads(comp, allWorkloads(comp, "cali"), "node1");
    const v4 = writeRoutes(buildRoutes(comp, "node1", local, OPTS).routes);
    expect(v4).not.toContain(":");
    expect(v4).toContain("route replace 192.168.2.0/26 via 10.0.0.12 proto bird\n");
  });

  test("an IPv4-only cluster gives no IPv6 route", () => {
    const pods = PODS.map((p) => ({ ...p, ips: p.ips.filter((ip) => !ip.includes(":")) }));
    expect(routes6(model({ pods, nodes: NODES, pools: [V4_POOL] }))).toEqual([]);
    // IPv6 node addresses alone change nothing either.
    expect(routes6(model({ pods, nodes: NODES, pools: [V4_POOL, V6_POOL] }))).toEqual([]);
  });

  test("deterministic: pod, node and workload order do not leak", () => {
    const want = text6(dualStack());
    const shuffled = dualStack([PODS[2]!, PODS[1]!, PODS[0]!], [...NODES].reverse());
    expect(writeRoutes(routes6(shuffled, "node1", true))).toBe(want);
    // One compilation, asked twice: the memoised plan gives the same commands.
    const comp = new Compilation(dualStack());
    const local = localWorkloads(comp, allWorkloads(comp, "cali"), "node1");
    expect(buildRoutes6(comp, "node1", local, OPTS)).toEqual(buildRoutes6(comp, "node1", local, OPTS));
  });

  test("round trip: the parser reads the written commands back, and re-writing is the identity", () => {
    for (const nodeName of ["node1", "node2"]) {
      const cmds = routes6(dualStack(), nodeName);
      const text = writeRoutes(cmds);
      const back = parseRoutes(text, { file: `${nodeName}.routes` });
      expect(back.diagnostics).toEqual([]);
      expect(back.commands.map(({ line: _line, ...c }) => c)).toEqual(cmds);
      expect(writeRoutes(back.commands)).toBe(text);
    }
  });

  test("a peer without an IPv6 address advertises nothing: no route for its block", () => {
    const nodes = [NODES[0]!, node6("node2", "10.0.0.12", null)];
    expect(text6(dualStack(PODS, nodes))).not.toContain("fd00:10::40/122");
    expect(routes6(dualStack(PODS, nodes)).map((r) => r.kind)).toEqual(["dev", "dev", "blackhole"]);
  });

  test("a node without an IPv6 address runs no IPv6 BGP: its device routes and blackholes only", () => {
    const nodes = [node6("node1", "10.0.0.11", null), NODES[1]!];
    expect(routes6(dualStack(PODS, nodes)).map((r) => r.kind)).toEqual(["dev", "dev", "blackhole"]);
    // node2 still learns nothing from node1 either.
    expect(text6(dualStack(PODS, nodes), "node2")).not.toContain("fd00:10::/122 via");
  });

  test("a borrowed address gets its /128 via the node that holds it; the block stays its owner's", () => {
    const borrowed = pod("d", { node: "node2", ip: ["192.168.2.8", "fd00:10::9"] });
    const m = dualStack([...PODS, borrowed]);
    // node1 holds two of fd00:10::/122's addresses and keeps the block (most pods, calico-routes §5.2 rule b).
    expect(text6(m)).toContain("route replace fd00:10::9/128 via fd00:77::12 dev eth0 proto bird\n");
    const n2 = text6(m, "node2").split("\n");
    expect(n2).toContain(`route replace fd00:10::9/128 dev ${ifaceOf(m, "d")} scope link`);
    expect(n2).toContain("route replace fd00:10::/122 via fd00:77::11 dev eth0 proto bird");
    expect(n2).not.toContain("route replace fd00:10::9/128 via fd00:77::12 dev eth0 proto bird");
  });

  test("a VXLANv6 pool is Felix's and not modelled: its blocks give no BIRD route", () => {
    const vx = pool("fd00:10::/64", { name: "default-ipv6-ippool", ipipMode: "Never", vxlanMode: "Always", blockSize: 122 });
    const m = model({ pods: PODS, nodes: NODES, pools: [V4_POOL, vx] });
    expect(routes6(m).map((r) => r.kind)).toEqual(["dev", "dev"]);
  });
});

describe("verify's IPv4 routing with IPv6 routes in the table", () => {
  const table = (file: string, cmds: readonly RouteCommand[]): RouteTable => {
    const parsed = parseRoutes(writeRoutes(cmds), { file });
    expect(parsed.diagnostics).toEqual([]);
    return { file, routes: parsed.commands.map((c) => ({ cmd: c, line: c.line })), fdbFile: null, fdb: [] };
  };

  test("IPv6 routes are ignored; every IPv4 lookup answers as without them", () => {
    const m = dualStack();
    const comp = new Compilation(m);
    const all = allWorkloads(comp, "cali");
    const places = all.map((w) => ({ namespace: w.pod.namespace, pod: w.pod.name, node: w.pod.nodeName ?? "", iface: w.iface, ip: w.ip, ip6: w.ip6 }));
    const tables = (withV6: boolean) =>
      new Map(
        NODES.map((n) => {
          const local = localWorkloads(comp, all, n.name);
          const v4 = buildRoutes(comp, n.name, local, OPTS).routes;
          const v6 = withV6 ? buildRoutes6(comp, n.name, local, OPTS) : [];
          return [n.name, table(`${n.name}.routes`, [...v4, ...v6])] as const;
        }),
      );
    const plain = buildTopology(m, places, tables(false));
    const dual = buildTopology(m, places, tables(true));
    expect(dual.nodes.get("node1")!.prefixRoutes.map((r) => r.cmd)).toEqual(plain.nodes.get("node1")!.prefixRoutes.map((r) => r.cmd));
    for (const n of ["node1", "node2"]) {
      for (const dst of ["192.168.1.5", "192.168.1.6", "192.168.2.7", "192.168.1.60", "10.0.0.12", "8.8.8.8"]) {
        expect(routeOut(dual, n, dst), `${n} → ${dst}`).toBe(routeOut(plain, n, dst));
      }
    }
    expect(routeOut(dual, "node1", "192.168.1.5")).toBe(ifaceOf(m, "a"));
    expect(routeOut(dual, "node1", "192.168.1.60")).toBeNull(); // node1's own IPv4 blackhole
  });
});
