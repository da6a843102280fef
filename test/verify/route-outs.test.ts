// routeOutsOf (routing.ts): a node's outgoing interface towards many addresses at once, found per route; class
// verify's host pairs ask it instead of routeOut per pod. It must give every address exactly what routeOut gives.
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { routeTableFromText, type NodeRules } from "../../src/verify/index.js";
import { routeOut, routeOutsOf } from "../../src/verify/routing.js";
import { ipv4 } from "../../src/simulate/ip.js";
import { writeRoutes } from "../../src/rules/routes.js";
import { BOOKINFO, compileAll } from "./helpers.js";

const text = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

describe("routeOutsOf", () => {
  it("gives every address what routeOut gives it: compiled tables, and one with a /32 over a block, a blackhole, a default route, a VXLAN route and a local address", () => {
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const compiled = c.ctx.compiledRoutes("ubuntu1");
    const extra = [
      "route replace 192.168.1.66/32 via 172.16.0.13 dev tunl0 onlink",
      "route replace blackhole 192.168.2.0/28",
      "route replace 0.0.0.0/0 via 172.16.0.12 dev tunl0 onlink",
      "route replace 192.168.1.64/27 dev vxlan.calico scope link",
      "neigh replace 192.168.1.70 lladdr 66:aa:bb:cc:dd:ee dev vxlan.calico nud permanent",
      "address replace 192.168.0.60/32 dev tunl0",
    ].join("\n");
    const tampered = routeTableFromText(writeRoutes(compiled.routes.map((r) => r.cmd)) + extra + "\n", "ubuntu1.routes", "fdb replace 66:aa:bb:cc:dd:ee dev vxlan.calico dst 172.16.0.12 self permanent\n", "ubuntu1.fdb");
    expect(tampered.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const rules = new Map<string, NodeRules>([...c.rules].map(([n, r]) => [n, n === "ubuntu1" ? { ...r, routes: tampered.table! } : r]));
    // Every pod, every fourth address of the pool's first /22, the nodes, and a few outside.
    const nums = new Set<number>();
    for (const p of c.ctx.model.cluster.pods) for (const ip of p.ips) if (ipv4(ip) !== null) nums.add(ipv4(ip)!);
    for (let n = ipv4("192.168.0.0")!; n < ipv4("192.168.4.0")!; n += 4) nums.add(n);
    for (const ip of ["172.16.0.11", "172.16.0.12", "172.16.0.13", "10.1.2.3", "8.8.8.8", "192.168.0.60", "192.168.1.70", "192.168.1.66"]) nums.add(ipv4(ip)!);
    const sorted = Float64Array.from(nums).sort();
    const ips = Array.from(sorted, text);
    for (const topo of [c.ctx.topology(c.rules), c.ctx.topology(rules)]) {
      for (const node of ["ubuntu1", "ubuntu2", "ubuntu3", "no-such-node"]) {
        const outs = routeOutsOf(topo, node, sorted, ips);
        expect(outs).toEqual(ips.map((ip) => routeOut(topo, node, ip)));
      }
    }
    // The tampered table gives the cases their own answers (so the comparison above covers them).
    const t = c.ctx.topology(rules);
    expect(["192.168.1.66", "192.168.2.5", "8.8.8.8", "192.168.1.70", "192.168.1.71", "192.168.0.60"].map((ip) => routeOut(t, "ubuntu1", ip))).toEqual(["tunl0", null, "tunl0", "vxlan.calico", null, "lo"]);
  });
});
