// Hostile names and labels cannot change a rule's structure: comments are
// escaped (§6), chain names with odd characters are hashed, and label values
// only ever reach a hash input.
import { describe, expect, test } from "vitest";
import { renderCalicoNode } from "../../../src/backends/calico/index.js";
import { writeIpSets } from "../../../src/rules/ipset.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { model, node, ns, P27_OPTIONS, pod, podPeer, policy, rule, sa, sel } from "./fixtures.js";
import { Compilation } from "../../../src/compilation.js";

function render(namespace: string, policyName: string, labelValue: string) {
  const pods = [
    pod("p1", { namespace, labels: { app: labelValue }, ip: "192.168.231.5", serviceAccount: "sa" }),
    pod("p2", { namespace, labels: { peer: labelValue }, ip: "192.168.231.6", serviceAccount: "sa" }),
  ];
  const p = policy(policyName, {
    namespace,
    podSelector: sel({ app: labelValue }),
    ingress: [rule([podPeer(sel({ peer: labelValue }))])],
    egress: [rule(null)],
  });
  const m = model({ namespaces: [ns(namespace)], serviceAccounts: [sa(namespace, "sa")], pods, nodes: [node("node1", "10.0.0.11")] }, [p]);
  const out = renderCalicoNode(new Compilation(m), "node1", P27_OPTIONS);
  return { text: writeRuleSet(out.ruleset), sets: writeIpSets(out.ipsets) };
}

/** Shape of a ruleset: every line with quoted strings, names and hashes blanked. */
const shape = (text: string) =>
  text
    .split("\n")
    .map((l) => l.replace(/"[^"]*"/g, "Q").replace(/cali-(p[io]|pr[io]|tw|fw)-\S+/g, "CHAIN").replace(/cali\w{11}/g, "IF").replace(/cali40s:\S+/g, "SET"));

describe("hostile input", () => {
  const benign = render("ns", "pol", "v");
  const hostile = render('x" -j ACCEPT #', 'p" ; -A INPUT -j ACCEPT\n', 'v"\n-j DROP \\');

  test("same rule structure as benign input (chain order may differ: hashed names sort elsewhere)", () => {
    expect(shape(hostile.text).sort()).toEqual(shape(benign.text).sort());
    expect(hostile.text.split("\n")).toHaveLength(benign.text.split("\n").length);
  });
  test("comments contain only Felix's escaped alphabet", () => {
    const comments = [...hostile.text.matchAll(/--comment ("[^"]*"|\S+)/g)].map((m) => m[1] ?? "");
    expect(comments.length).toBeGreaterThan(0);
    for (const c of comments) expect(c).toMatch(/^"?[A-Za-z0-9_ @%+=:,./-]*"?$/);
    expect(hostile.text).toContain('--comment "Policy x_ -j ACCEPT _/knp.default.p_ _ -A INPUT -j ACCEPT_ ingress"');
  });
  test("chain names stay within the 28-character limit and a safe alphabet", () => {
    const chains = [...hostile.text.matchAll(/^:(\S+) /gm)].map((m) => m[1] ?? "");
    for (const c of chains) {
      expect(c.length).toBeLessThanOrEqual(28);
      expect(c).toMatch(/^[A-Za-z0-9_.\/+-]+$/);
    }
  });
  test("label values with quotes still select and fill sets", () => {
    expect(hostile.sets).toMatch(/add cali40s:\S+ 192\.168\.231\.6\n/);
  });
  test("no line break or quote leaks out of any rule", () => {
    for (const line of hostile.text.trimEnd().split("\n")) expect(line).toMatch(/^(\*\w+|:\S+ \S+ \[0:0\]|-A \S+( .*)?|COMMIT)$/);
  });
});
