// -O2 decides per node (optimize/node.ts): which policy chains share one chain, which sets alias, where endpoint
// chains are cut. What it works out once per compilation — renamed rules, shared chains, redirected endpoint and
// group chains, dead-tail's cuts — is kept by what the decision depends on, so a node's output must be exactly
// what a compilation of that node alone gives, whichever nodes came before it.
import { describe, expect, test } from "vitest";
import { optimizeCalicoNode, renderCalicoNode } from "../../../../src/backends/calico/index.js";
import { selectPasses } from "../../../../src/backends/calico/optimize/passes.js";
import type { CalicoOptions } from "../../../../src/backends/calico/options.js";
import { Compilation } from "../../../../src/compilation.js";
import type { Chain } from "../../../../src/rules/types.js";
import { writeRuleSet } from "../../../../src/rules/writer.js";
import { writeIpSets } from "../../../../src/rules/ipset.js";
import { DEFAULT_CALICO_OPTIONS } from "../../../../src/backends/calico/options.js";
import { model, NODES, P27_OPTIONS, pod, podPeer, policy, rule, sel } from "../fixtures.js";

const fromClients = [rule([podPeer(sel({ role: "client" }))])];
const pods = [
  pod("web-0", { node: "node0", labels: { app: "web", tier: "front", team: "x" }, ip: "192.168.0.10" }),
  pod("web-1", { node: "node1", labels: { app: "web", tier: "back", team: "x" }, ip: "192.168.1.10" }),
  pod("web-2", { node: "node2", labels: { app: "web", tier: "back", team: "x" }, ip: "192.168.2.10" }),
  pod("web-3", { node: "node1", labels: { app: "web", tier: "front", team: "x" }, ip: "192.168.1.11" }),
  pod("client", { node: "node2", labels: { role: "client" }, ip: "192.168.2.20" }),
  pod("mid-0", { node: "node0", labels: { tier: "mid" }, ip: "192.168.0.30" }),
  pod("mid-2", { node: "node2", labels: { tier: "mid" }, ip: "192.168.2.30" }),
  pod("zone-0", { node: "node0", labels: { zone: "z" }, ip: "192.168.0.31" }),
  pod("zone-2", { node: "node2", labels: { zone: "y" }, ip: "192.168.2.31" }),
];
const fromOthers = [rule([podPeer(sel({ role: "other" }))])];
// The same rules under different selectors: chain-share keeps one chain per node, and which one depends on the node's
// policies (node0: a and b; node1: a, b, c and d; node2: b, c and d). b and d select alike (a P28+ policy group);
// app=web and team=x select the same pods (ipset-dedup aliases one set to the other). mid-0 and mid-2 have the
// same endpoint rules, jumping to i alone, which node0 shares into g and node2 into h.
const policies = [
  policy("a", { podSelector: sel({ tier: "front" }), ingress: fromClients }),
  policy("b", { podSelector: sel({ app: "web" }), ingress: fromClients }),
  policy("c", { podSelector: sel({ tier: "back" }), ingress: fromClients }),
  policy("d", { podSelector: sel({ app: "web" }), ingress: [rule([podPeer(sel({ role: "client" }))])] }),
  policy("e", { podSelector: sel({ tier: "back" }), ingress: [rule([podPeer(sel({ app: "web" }))])] }),
  policy("f", { podSelector: sel({ tier: "back" }), ingress: [rule([podPeer(sel({ team: "x" }))])] }),
  policy("g", { podSelector: sel({ zone: "z" }), ingress: fromOthers }),
  policy("h", { podSelector: sel({ zone: "y" }), ingress: fromOthers }),
  policy("i", { podSelector: sel({ tier: "mid" }), ingress: fromOthers }),
];
const m = model({ pods, nodes: NODES }, policies);
const passes = selectPasses(null, []);

const nodeText = (comp: Compilation, node: string, opts: CalicoOptions): string => {
  const out = optimizeCalicoNode(comp, renderCalicoNode(comp, node, opts), opts, passes);
  return writeRuleSet(out.ruleset) + writeIpSets(out.ipsets);
};
const filterChains = (comp: Compilation, node: string, opts: CalicoOptions): readonly Chain[] =>
  optimizeCalicoNode(comp, renderCalicoNode(comp, node, opts), opts, passes).ruleset.tables.find((t) => t.name === "filter")!.chains;

describe.each([
  ["3.27", P27_OPTIONS],
  [DEFAULT_CALICO_OPTIONS.calicoVersion, DEFAULT_CALICO_OPTIONS],
])("-O2 on several nodes of one compilation (Calico %s)", (_v, opts) => {
  const names = NODES.map((n) => n.name);
  const alone = names.map((n) => nodeText(new Compilation(m), n, opts));

  test("the passes decide differently per node", () => {
    const shared = alone.map((t) => t.split("\n").filter((l) => l.includes("Shared by")).length);
    expect(shared.every((n) => n > 0)).toBe(true);
    expect(new Set(alone.map((t) => /Shared by [^"]*/.exec(t)?.[0])).size).toBeGreaterThan(1);
    expect(alone.join("").match(/--match-set cali40s:/g)?.length).toBeGreaterThan(0);
  });

  test.each([
    ["in order", names],
    ["reversed", [...names].reverse()],
    ["each twice", [...names, ...names]],
  ])("each node's output is that of a compilation of the node alone (%s)", (_how, order) => {
    const comp = new Compilation(m);
    for (const n of order) expect(nodeText(comp, n, opts)).toBe(alone[names.indexOf(n)]);
  });

  test("a chain the same on two nodes is one object, which the renderer prints once", () => {
    const comp = new Compilation(m);
    const [first, again] = [filterChains(comp, "node1", opts), filterChains(comp, "node1", opts)];
    const byName = new Map(first.map((c) => [c.name, c]));
    const shared = again.filter((c) => !/^cali-[tf]w-|dispatch/.test(c.name) && byName.get(c.name) === c);
    // Every policy, profile and group chain (redirected or not) is the object built the first time.
    expect(shared.map((c) => c.name).filter((n) => /^cali-(pi|po|pri|pro|gi|go)-/.test(n)).sort()).toEqual(
      again.map((c) => c.name).filter((n) => /^cali-(pi|po|pri|pro|gi|go)-/.test(n)).sort(),
    );
  });
});
