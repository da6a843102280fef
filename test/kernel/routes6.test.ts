// IPv6 routes (buildRoutes6, spec ipv6-and-policy §A7) in the kernel: one
// node's commands, written by the one route writer, loaded with
// `ip -n <ns> -batch -` (no `-6`: ip takes the family from each destination)
// into a private namespace that holds what a dual-stack Calico node has before
// Felix and BIRD program it — an uplink eth0 with the node's IPv6 address and
// /64 (so the peers' addresses are on-link gateways) and the host side of each
// local pod's veth. Then `ip -6 route show` must list exactly those routes,
// in the kernel's spelling, and the IPv4 table must have gained nothing.
//
// Same safety rules as kernel.test.ts: only namespaces this file creates
// (prefix np<pid>r6-), removed after the test, on failure, in afterAll and at
// exit; a loud skip unless NETPOLC_KERNEL_TESTS=required.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRoutes6 } from "../../src/backends/calico/routes.js";
import { allWorkloads, localWorkloads } from "../../src/backends/calico/workloads.js";
import { Compilation } from "../../src/compilation.js";
import { parseRoutes } from "../../src/rules/route-parser.js";
import { writeRoutes } from "../../src/rules/routes.js";
import { model, node, pod, pool } from "../backends/calico/fixtures.js";
import { NsGuard, missingPrerequisites } from "./sys.js";
import { shown6 } from "./dualstack-topology.js";

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
// "r6" cannot follow the pid's digits in the other files' prefixes: no file's cleanup touches another's namespaces.
const PREFIX = `np${process.pid}r6-`;
const UPLINK = "eth0";

if (skip) {
  console.warn(`\n!!!!!!!! KERNEL IPv6 ROUTE TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

/** node1 with two dual-stack pods, node2 with one (the unit test's cluster, test/backends/calico/routes6.test.ts). */
function node1Routes(): { text: string; ifaces: string[] } {
  const nodes = [
    { ...node("node1", "10.0.0.11"), ip6: "fd00:77::11" },
    { ...node("node2", "10.0.0.12"), ip6: "fd00:77::12" },
  ];
  const pods = [
    pod("a", { node: "node1", ip: ["192.168.1.5", "fd00:10::5"] }),
    pod("b", { node: "node1", ip: ["192.168.1.6", "fd00:10::6"] }),
    pod("c", { node: "node2", ip: ["192.168.2.7", "fd00:10::47"] }),
  ];
  const pools = [pool("192.168.0.0/16", { ipipMode: "Never" }), pool("fd00:10::/64", { name: "default-ipv6-ippool", ipipMode: "Never", blockSize: 122 })];
  const comp = new Compilation(model({ pods, nodes, pools }));
  const local = localWorkloads(comp, allWorkloads(comp, "cali"), "node1");
  return { text: writeRoutes(buildRoutes6(comp, "node1", local, { routeProgrammer: "bird", uplink: UPLINK })), ifaces: local.map((w) => w.iface) };
}


const lines = (out: string): string[] => out.split("\n").map((l) => l.trim()).filter((l) => l !== "");

describe.skipIf(skip)("kernel: IPv6 routes of a dual-stack node", () => {
  const g = new NsGuard(PREFIX);
  const exitHook = (): void => g.deleteAll();

  beforeAll(() => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    process.once("exit", exitHook);
  });

  afterAll(() => {
    g.deleteAll();
    process.removeListener("exit", exitHook);
  });

  it("ip -batch accepts node1's IPv6 routes as written, and ip -6 route lists exactly them", async () => {
    const { text, ifaces } = node1Routes();
    const parsed = parseRoutes(text, { file: "node1.routes" });
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.commands.map((c) => c.kind)).toEqual(["dev", "dev", "blackhole", "via"]);
    const ns = `${PREFIX}node1`;
    await g.add(ns);
    try {
      await g.ipBatch(ns, [
        "link set lo up",
        `link add ${UPLINK} type veth peer name ${UPLINK}-peer`,
        // nodad: the address is usable at once; its /64 prefix route makes fd00:77::12 an on-link gateway.
        `address add fd00:77::11/64 dev ${UPLINK} nodad`,
        `link set ${UPLINK} up`,
        `link set ${UPLINK}-peer up`,
        ...ifaces.flatMap((iface, i) => [`link add ${iface} type veth peer name pod${i}`, `link set ${iface} up`, `link set pod${i} up`]),
      ]);
      const r = await g.tryIp(ns, ["-batch", "-"], text);
      expect(r.stderr.trim(), `ip -batch refused node1.routes:\n${text}`).toBe("");
      expect(r.code).toBe(0);
      // Routes the kernel adds for addresses and links (`proto kernel`: the /64, fe80::/64) are no file's.
      const held = lines(await g.ip(ns, ["-6", "route", "show"])).filter((l) => !l.includes(" proto kernel "));
      expect(held.sort()).toEqual(parsed.commands.map((c) => shown6(c, UPLINK)).sort());
      // `scope link` on the device routes is accepted and ignored: the kernel keeps them as scope global.
      const detailed = lines(await g.ip(ns, ["-d", "-6", "route", "show"])).filter((l) => l.includes(" dev cali") && !l.includes(" proto kernel "));
      expect(detailed).toHaveLength(2);
      for (const l of detailed) expect(l).toContain(" scope global ");
      // Nothing landed in the IPv4 table.
      expect(lines(await g.ip(ns, ["-4", "route", "show"]))).toEqual([]);
    } finally {
      g.delete(ns);
    }
  }, 60_000);
});
