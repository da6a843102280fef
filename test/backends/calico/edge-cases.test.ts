// Spec felix-format §10.6 edge cases 1–16, each asserted on rendered rules
// (hash comments replaced by H where the hash itself is not the point).
import { describe, expect, test } from "vitest";
import { renderCalicoNode } from "../../../src/backends/calico/index.js";
import { ipSetName, policyChainName, selectorSetId } from "../../../src/backends/calico/names.js";
import type { NetworkPolicy } from "../../../src/ir/policy.js";
import type { Pod } from "../../../src/ir/cluster.js";
import { writeIpSets } from "../../../src/rules/ipset.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { ALLOW_DB_ACCESS, BACKEND, DB, ipBlock, model, NODES, ns, P27_OPTIONS, pod, podPeer, policy, port, rule, sa, scenario, sel } from "./fixtures.js";
import { Compilation } from "../../../src/compilation.js";

const TW_DB = "cali-tw-cali95aa86cbb2a";
const TW_BACKEND = "cali-tw-cali2b1490aa46a";

function out(policies: NetworkPolicy[], extraPods: Pod[] = []) {
  const o = renderCalicoNode(new Compilation(scenario(policies, extraPods)), "node1", P27_OPTIONS);
  return { text: writeRuleSet(o.ruleset), sets: writeIpSets(o.ipsets) };
}

/** Lines of one chain with the hash comment replaced by H. */
function chainOf(text: string, chain: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => l.slice(`-A ${chain} `.length).replace(/-m comment --comment "cali:[^"]+"/, "H"));
}

const pi = (name: string) => policyChainName("ingress", "default", name);
const po = (name: string) => policyChainName("egress", "default", name);
const ACCEPT = "-j MARK --set-xmark 0x10000/0x10000";
const RETURN = "H -m mark --mark 0x10000/0x10000 -j RETURN";

describe("§10.6", () => {
  test("1: ingress [{}] / egress [{}] allow everything", () => {
    const p = policy("allow-all", { ingress: [rule(null)], egress: [rule(null)] });
    const { text } = out([p]);
    expect(chainOf(text, pi("allow-all"))).toEqual([`H -m comment --comment "Policy default/knp.default.allow-all ingress" ${ACCEPT}`, RETURN]);
    expect(chainOf(text, po("allow-all"))).toEqual([`H -m comment --comment "Policy default/knp.default.allow-all egress" ${ACCEPT}`, RETURN]);
  });
  test("2: a governed direction without rules is a comment-only chain", () => {
    const p = policy("deny-egress", { types: ["Egress"] });
    const { text } = out([p]);
    expect(chainOf(text, po("deny-egress"))).toEqual(['H -m comment --comment "Policy default/knp.default.deny-egress egress"']);
    expect(text).not.toContain(pi("deny-egress"));
  });
  test("3: podSelector {} selects every pod of the namespace", () => {
    const { text } = out([policy("all-pods", { ingress: [rule(null)] })]);
    expect(chainOf(text, TW_DB)).toContain(`H -m mark --mark 0x0/0x20000 -j ${pi("all-pods")}`);
    expect(chainOf(text, TW_BACKEND)).toContain(`H -m mark --mark 0x0/0x20000 -j ${pi("all-pods")}`);
  });
  test("4: several policies each get a jump, in key-name order, any accept returns", () => {
    const { text } = out([policy("zz"), policy("aa")]);
    const jumps = chainOf(text, TW_DB).filter((l) => l.includes("-j cali-pi-"));
    expect(jumps).toEqual([`H -m mark --mark 0x0/0x20000 -j ${pi("aa")}`, `H -m mark --mark 0x0/0x20000 -j ${pi("zz")}`]);
  });
  test("5: a policy in another namespace never selects these pods", () => {
    const { text } = out([policy("other", { namespace: "other" })]);
    expect(text).not.toContain("cali-pi-");
    expect(chainOf(text, TW_DB)).not.toContain('H -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x20000');
  });
  test("6: namespaceSelector matches namespace labels through pcns.", () => {
    const remote = pod("client", { namespace: "team-a", labels: { app: "c" }, node: "node2", ip: "192.168.66.130" });
    const p = policy("from-team", { podSelector: sel({ app: "db" }), ingress: [rule([podPeer(sel(), sel({ team: "a" }))])] });
    const m = model(
      { namespaces: [ns("default"), ns("team-a", { team: "a" })], pods: [BACKEND, DB, remote], nodes: NODES, serviceAccounts: [sa("default", "default")] },
      [p],
    );
    const o = renderCalicoNode(new Compilation(m), "node1", P27_OPTIONS);
    const set = o.ipsets.find((s) => s.name.startsWith("cali40s:"));
    expect(set?.members.map((x) => x.value)).toEqual(["192.168.66.130"]);
  });
  test("7: ipBlock except → positive CIDR in the main rule, excepts as a negated block", () => {
    const p = policy("cidr", { ingress: [rule([ipBlock("10.1.2.3/8", ["10.0.5.0/24"])])] });
    expect(chainOf(out([p]).text, pi("cidr"))).toEqual([
      'H -m comment --comment "Policy default/knp.default.cidr ingress" -j MARK --set-xmark 0x40000/0xc0000',
      "-s 10.0.5.0/24 H -j MARK --set-xmark 0x0/0x40000",
      `-s 10.0.0.0/8 H -m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("8: an IPv6 ipBlock is skipped for IPv4", () => {
    const p = policy("v6", { ingress: [rule([ipBlock("fd00::/8")]), rule([ipBlock("10.0.0.0/8", ["fd00::/64"])], null, 1)] });
    expect(chainOf(out([p]).text, pi("v6"))).toEqual(['H -m comment --comment "Policy default/knp.default.v6 ingress"']);
  });
  test("9: protocol without port → -p only", () => {
    const p = policy("udp", { ingress: [rule(null, [port("UDP")])] });
    expect(chainOf(out([p]).text, pi("udp"))[0]).toBe(`-p udp H -m comment --comment "Policy default/knp.default.udp ingress" ${ACCEPT}`);
  });
  test("10: endPort is a 2-slot range; more than 15 slots split into a ports block", () => {
    const many = Array.from({ length: 8 }, (_, i) => port("TCP", 1000 + 10 * i, 1001 + 10 * i));
    const lines = chainOf(out([policy("ranges", { ingress: [rule(null, many)] })]).text, pi("ranges"));
    expect(lines[1]).toBe("-p tcp H -m multiport --dports 1000:1001,1010:1011,1020:1021,1030:1031,1040:1041,1050:1051,1060:1061 -j MARK --set-xmark 0x40000/0x40000");
    expect(lines[2]).toBe("-p tcp H -m multiport --dports 1070:1071 -j MARK --set-xmark 0x40000/0x40000");
    expect(lines[3]).toBe(`-p tcp H -m mark --mark 0x40000/0x40000 ${ACCEPT}`);
  });
  test("11: a named port alone is a dst,dst set that replaces the egress selector set", () => {
    const web = pod("web", { labels: { app: "web" }, node: "node2", ip: "192.168.66.131", ports: [{ name: "http", protocol: "TCP", containerPort: 8080 }] });
    const p = policy("named", { podSelector: sel({ app: "db" }), types: ["Egress"], egress: [rule([podPeer(sel({ app: "web" }))], [port("TCP", "http")])] });
    const { text, sets } = out([p], [web]);
    const [main] = chainOf(text, po("named"));
    expect(main).toMatch(/^-p tcp H -m comment --comment "Policy default\/knp.default.named egress" -m set --match-set cali40n:\S+ dst,dst -j MARK/);
    expect(sets).toMatch(/create cali40n:\S+ hash:ip,port family inet hashsize 1024 maxelem 1048576\nadd cali40n:\S+ 192\.168\.66\.131,tcp:8080\n/);
    expect(sets).not.toMatch(/cali40s:/);
  });
  test("11: egress numeric + named keeps the selector set and puts both in a ports block; UDP named ports are udp sets", () => {
    const web = pod("web", { labels: { app: "web" }, node: "node2", ip: "192.168.66.131", ports: [{ name: "dns", protocol: "UDP", containerPort: 5353 }] });
    const p = policy("mix", {
      podSelector: sel({ app: "db" }),
      types: ["Egress"],
      egress: [rule([podPeer(sel({ app: "web" }))], [port("UDP", "dns"), port("UDP", 53)])],
    });
    const { text, sets } = out([p], [web]);
    const lines = chainOf(text, po("mix"));
    expect(lines[1]).toBe("-p udp H -m multiport --dports 53 -j MARK --set-xmark 0x40000/0x40000");
    expect(lines[2]).toMatch(/^H -m set --match-set cali40n:\S+ dst,dst -j MARK --set-xmark 0x40000\/0x40000$/);
    expect(lines[3]).toMatch(/^-p udp H -m set --match-set cali40s:\S+ dst -m mark --mark 0x40000\/0x40000 -j MARK/);
    expect(sets).toMatch(/add cali40n:\S+ 192\.168\.66\.131,udp:5353\n/);
  });
  test("12/13: one k8s rule, mixed protocols → SCTP < TCP < UDP, then peers in order", () => {
    const p = policy("mixed", {
      ingress: [rule([ipBlock("10.0.0.0/8"), ipBlock("11.0.0.0/8")], [port("UDP", 53), port("SCTP", 7), port("TCP", 53)])],
    });
    const mains = chainOf(out([p]).text, pi("mixed")).filter((l) => l.includes(ACCEPT));
    expect(mains.map((l) => l.replace(/ H.*--dports/, " --dports").replace(` ${ACCEPT}`, ""))).toEqual([
      "-s 10.0.0.0/8 -p sctp --dports 7",
      "-s 11.0.0.0/8 -p sctp --dports 7",
      "-s 10.0.0.0/8 -p tcp --dports 53",
      "-s 11.0.0.0/8 -p tcp --dports 53",
      "-s 10.0.0.0/8 -p udp --dports 53",
      "-s 11.0.0.0/8 -p udp --dports 53",
    ]);
  });
  test("14: selector values are double-quoted in the hashed canonical form (no escaping needed for k8s)", () => {
    const p = policy("q", { ingress: [rule([podPeer(sel({ app: "x.y_z-1" }))])] });
    const canonicalText = '(projectcalico.org/namespace == "default" && (projectcalico.org/orchestrator == "k8s" && app == "x.y_z-1"))';
    expect(out([p]).text).toContain(`-m set --match-set ${ipSetName(selectorSetId(canonicalText))} src`);
  });
  test("15: comments longer than 256 characters are truncated", () => {
    const long = "n".repeat(250);
    const { text } = out([policy(long)]);
    const comment = chainOf(text, pi(long))[0]?.match(/--comment "(Policy [^"]*)"/)?.[1] ?? "";
    expect(comment).toHaveLength(256);
    expect(comment.startsWith("Policy default/knp.default.nnn")).toBe(true);
  });
  test("16: hostNetwork pods are not endpoints (no chains, not in sets)", () => {
    const host = pod("hostnet", { labels: { "networking/allow-db-access": "true" }, hostNetwork: true, ip: "10.0.0.11" });
    const { text, sets } = out([ALLOW_DB_ACCESS], [host]);
    const noHost = out([ALLOW_DB_ACCESS]);
    expect(sets).toContain("add cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge 192.168.231.6\n");
    expect(text).toBe(noHost.text);
    expect(sets).toBe(noHost.sets);
  });
});
