// Options and conditions of the static chains (§2.3, §8.1), IP-set contents
// (§7.3) and routes (§9.1, §9.2).
import { describe, expect, test } from "vitest";
import { renderCalicoNode, renderOptionsOf } from "../../../src/backends/calico/index.js";
import type { CalicoOptions } from "../../../src/backends/calico/index.js";
import type { Model } from "../../../src/ir/policy.js";
import { writeIpSets } from "../../../src/rules/ipset.js";
import { writeRoutes } from "../../../src/rules/routes.js";
import { Renderer, writeRuleSet } from "../../../src/rules/writer.js";
import { ALLOW_DB_ACCESS, BACKEND, DB, DEFAULT_DENY, model, node, NODES, pod, pool, scenario, P27_OPTIONS } from "./fixtures.js";
import { Compilation } from "../../../src/compilation.js";

const run = (m: Model, opts: Partial<CalicoOptions> = {}, nodeName = "node1") =>
  renderCalicoNode(new Compilation(m), nodeName, { ...P27_OPTIONS, ...opts });
/** Printed as a compile under these options prints it (--protocol-numbers is the renderer's protocol names). */
const rules = (m: Model, opts: Partial<CalicoOptions> = {}) =>
  writeRuleSet(run(m, opts).ruleset, undefined, new Renderer(renderOptionsOf({ ...P27_OPTIONS, ...opts })));

describe("options", () => {
  const m = scenario([ALLOW_DB_ACCESS, DEFAULT_DENY]);
  test("ipencapName=false prints -p 4 but hashes identically", () => {
    const a = rules(m);
    const b = rules(m, { ipencapName: false });
    expect(b).not.toContain("ipencap");
    expect(b).toBe(a.replaceAll("-p ipencap", "-p 4"));
  });
  test("randomFully=false drops --random-fully (and the hash follows the Felix text)", () => {
    const b = rules(m, { randomFully: false });
    expect(b).not.toContain("random-fully");
    expect(b).toMatch(/-A cali-nat-outgoing -m comment --comment "cali:(?!flqWnvo8yq4ULQLa)[^"]+" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE\n/);
  });
  test.each(["DROP", "RETURN"] as const)("defaultEndpointToHostAction=%s", (action) => {
    expect(rules(m, { defaultEndpointToHostAction: action })).toMatch(
      new RegExp(`-A cali-wl-to-host -m comment --comment "cali:[^"]+" -m comment --comment "Configured DefaultEndpointToHostAction" -j ${action}\n`),
    );
  });
  test("builtinPolicy applies to every built-in chain of every table", () => {
    const text = rules(m, { builtinPolicy: "DROP" });
    expect(text.match(/^:[A-Z]+ DROP \[0:0\]$/gm)).toHaveLength(2 + 5 + 4 + 3);
    expect(text).not.toMatch(/^:[A-Z]+ ACCEPT/m);
  });
  test("interfacePrefix renames the veths and the wildcard matches", () => {
    const text = rules(m, { interfacePrefix: "wl" });
    expect(text).toContain("-A cali-FORWARD -i wl+ ");
    expect(text).toContain(":cali-tw-wl95aa86cbb2a - [0:0]");
    expect(text).not.toContain("cali+");
  });
});

describe("conditions", () => {
  const never = model({ pods: [BACKEND, DB], nodes: NODES, pools: [pool("192.168.0.0/16", { ipipMode: "Never", natOutgoing: false })] });
  test("no IPIP pool: no IPIP rules, no tunl0 MASQUERADE, no all-hosts-net; nat-outgoing empty", () => {
    const out = run(never);
    const text = writeRuleSet(out.ruleset);
    expect(text).not.toContain("Allow IPIP packets");
    expect(text).not.toContain("-o tunl0");
    expect(text).toContain(":cali-nat-outgoing - [0:0]");
    expect(text).not.toContain("-A cali-nat-outgoing");
    // The workload-side IPIP drop stays (§3.2 step 4).
    expect(text).toContain("Drop IPinIP encapped packets originating in workloads");
    expect(writeIpSets(out.ipsets)).toBe(
      "create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576\nadd cali40all-ipam-pools 192.168.0.0/16\n" +
        "create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576\n",
    );
  });
  test("IPIP but no tunnel address on this node (IPAM given, no tunnel allocation): no tunl0 MASQUERADE", () => {
    const block = { name: "b", cidr: "192.168.66.128/26", affinity: { kind: "host" as const, name: "node2" }, allocations: [], span: null };
    const m = model({ pods: [], nodes: NODES, ipam: { blocks: [block], affinities: [], handles: [], config: null } });
    const text = rules(m);
    expect(text).toContain("Allow IPIP packets from Calico hosts");
    expect(text).not.toContain("-o tunl0");
  });
  test("a tunnel-address annotation is enough for the tunl0 rule", () => {
    const m = model({ pods: [], nodes: [node("node1", "10.0.0.11", "192.168.7.1")] });
    expect(rules(m)).toContain("-A cali-POSTROUTING -o tunl0 -m comment --comment \"cali:SXWvdsbh4Mw7wOln\"");
  });
});

describe("routes", () => {
  const remote = [
    pod("r1", { node: "node2", ip: "192.168.66.130" }),
    pod("r2", { node: "node2", ip: "192.168.66.200" }),
    pod("r3", { node: "node0", ip: "192.168.10.5" }),
  ];
  test("F5 scenario plus remote pods", () => {
    const out = run(model({ pods: [BACKEND, DB, ...remote], nodes: NODES }));
    expect(writeRoutes(out.routes)).toBe(
      [
        "link set dev tunl0 mtu 1480 up",
        "address replace 192.168.231.0/32 dev tunl0",
        "route replace blackhole 192.168.231.0/26 proto bird",
        "route replace 192.168.231.5/32 dev cali95aa86cbb2a scope link",
        "route replace 192.168.231.6/32 dev cali2b1490aa46a scope link",
        "route replace 192.168.10.0/26 via 10.0.0.10 dev tunl0 proto bird onlink",
        "route replace 192.168.66.128/26 via 10.0.0.12 dev tunl0 proto bird onlink",
        "route replace 192.168.66.192/26 via 10.0.0.12 dev tunl0 proto bird onlink",
        "",
      ].join("\n"),
    );
  });
  test("annotated tunnel address adds its block", () => {
    const nodes = [node("node1", "10.0.0.11", "192.168.1.1"), node("node2", "10.0.0.12")];
    const out = run(model({ pods: [BACKEND, DB], nodes }));
    expect(writeRoutes(out.routes).split("\n").slice(0, 4)).toEqual([
      "link set dev tunl0 mtu 1480 up",
      "address replace 192.168.1.1/32 dev tunl0",
      "route replace blackhole 192.168.1.0/26 proto bird",
      "route replace blackhole 192.168.231.0/26 proto bird",
    ]);
  });
  test("ipipMode Never: no tunl0, remote routes without dev/onlink", () => {
    const out = run(model({ pods: [BACKEND, ...remote], nodes: NODES, pools: [pool("192.168.0.0/16", { ipipMode: "Never" })] }));
    expect(writeRoutes(out.routes)).toBe(
      [
        "route replace blackhole 192.168.231.0/26 proto bird",
        "route replace 192.168.231.6/32 dev cali2b1490aa46a scope link",
        "route replace 192.168.10.0/26 via 10.0.0.10 proto bird",
        "route replace 192.168.66.128/26 via 10.0.0.12 proto bird",
        "route replace 192.168.66.192/26 via 10.0.0.12 proto bird",
        "",
      ].join("\n"),
    );
  });
});

describe("IP sets from the whole cluster", () => {
  test("selector set members include pods on other nodes; finished pods are excluded", () => {
    const other = pod("b2", { labels: { "networking/allow-db-access": "true" }, node: "node2", ip: "192.168.66.131" });
    const done = pod("b3", { labels: { "networking/allow-db-access": "true" }, node: "node2", ip: "192.168.66.132", phase: "Succeeded" });
    const out = run(scenario([ALLOW_DB_ACCESS], [other, done]));
    const set = out.ipsets.find((s) => s.name === "cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge");
    expect(set?.members.map((x) => x.value).sort()).toEqual(["192.168.231.6", "192.168.66.131"]);
  });
  test("a node without local policy endpoints has no selector sets and no policy chains", () => {
    const out = run(scenario([ALLOW_DB_ACCESS]), {}, "node2");
    expect(out.ipsets.map((s) => s.name)).toEqual(["cali40all-ipam-pools", "cali40masq-ipam-pools", "cali40all-hosts-net"]);
    expect(writeRuleSet(out.ruleset)).not.toContain("cali-pi-");
  });
  test("output does not depend on policy or pod input order", () => {
    const a = run(scenario([ALLOW_DB_ACCESS, DEFAULT_DENY]));
    const b = run(model({ pods: [DB, BACKEND], nodes: [...NODES].reverse() }, [DEFAULT_DENY, ALLOW_DB_ACCESS]));
    expect(writeRuleSet(b.ruleset)).toBe(writeRuleSet(a.ruleset));
    expect(writeIpSets(b.ipsets)).toBe(writeIpSets(a.ipsets));
  });
});
