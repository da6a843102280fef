// Endpoint chains of pods alike (one ReplicaSet: same namespace, same labels,
// same profiles) are built once (src/backends/calico/endpoints.ts): they must
// still be each pod's own chain — its name, its Felix hashes — and a pod that
// differs in one label, or only in its namespace, is selected on its own.
import { describe, expect, test } from "vitest";
import { renderCalicoNode } from "../../../src/backends/calico/index.js";
import { Compilation } from "../../../src/compilation.js";
import { policyChainName } from "../../../src/backends/calico/names.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { model, NODES, ns, P27_OPTIONS, pod, policy, rule, sel } from "./fixtures.js";

const chains = (text: string) => {
  const by = new Map<string, string[]>();
  for (const l of text.split("\n")) {
    const m = /^-A (cali-[tf]w-\S+) (.*)$/.exec(l);
    if (m) by.set(m[1]!, [...(by.get(m[1]!) ?? []), m[2]!]);
  }
  return by;
};
const unhashed = (lines: readonly string[]) => lines.map((l) => l.replace(/-m comment --comment "cali:[^"]+" /, ""));
const hashes = (lines: readonly string[]) => lines.map((l) => /cali:([^"]+)/.exec(l)![1]);

describe("endpoint chains of pods alike", () => {
  const web = (name: string, namespace = "default", tier = "front") => pod(name, { namespace, labels: { app: "web", tier }, ip: `192.168.1.${name.length}${namespace.length}` });
  const pods = [web("web-a"), web("web-bb"), web("web-ccc", "default", "back"), web("web-dddd", "other")];
  const policies = [
    policy("web-front", { podSelector: sel({ tier: "front" }), ingress: [rule(null)] }),
    policy("web-all", { podSelector: sel({ app: "web" }), ingress: [rule(null)] }),
    policy("web-front", { namespace: "other", podSelector: sel({ tier: "front" }), egress: [rule(null)], types: ["Egress"] }),
  ];
  const m = model({ pods, nodes: NODES, namespaces: [ns("default"), ns("other")] }, policies);
  const comp = new Compilation(m);
  const text = writeRuleSet(renderCalicoNode(comp, "node1", P27_OPTIONS).ruleset);
  const by = chains(text);

  test("pods with the same labels get the same rules under their own names and hashes", () => {
    const tw = [...by].filter(([n]) => n.startsWith("cali-tw-"));
    expect(tw.length).toBe(4);
    // Two of the four ingress chains (web-a, web-bb) are alike but for names and hashes.
    const bodies = tw.map(([, lines]) => unhashed(lines).join("\n"));
    const alike = tw.filter(([, lines]) => bodies.filter((x) => x === unhashed(lines).join("\n")).length === 2);
    expect(alike.length).toBe(2);
    expect(alike[0]![0]).not.toBe(alike[1]![0]);
    expect(hashes(alike[0]![1])).not.toEqual(hashes(alike[1]![1]));
  });

  test("a pod differing in one label, or only in its namespace, is selected on its own", () => {
    const jumps = (lines: readonly string[]) => unhashed(lines).filter((l) => /-j cali-p[io]-/.test(l)).map((l) => l.replace(/.* -j /, ""));
    const tw = [...by].filter(([n]) => n.startsWith("cali-tw-")).map(([, lines]) => jumps(lines).join(" "));
    const fw = [...by].filter(([n]) => n.startsWith("cali-fw-")).map(([, lines]) => jumps(lines).join(" "));
    const [front, all, otherFront] = [policyChainName("ingress", "default", "web-front"), policyChainName("ingress", "default", "web-all"), policyChainName("egress", "other", "web-front")];
    // default/front pods: both policies (all sorts first by key name); default/back: web-all alone; other/front: no ingress policy, its egress one.
    expect(tw.filter((j) => j === `${all} ${front}`).length).toBe(2);
    expect(tw.filter((j) => j === all).length).toBe(1);
    expect(tw.filter((j) => j === "").length).toBe(1);
    expect(fw.filter((j) => j === otherFront).length).toBe(1);
    expect(fw.filter((j) => j === "").length).toBe(3);
  });

  test("the output is what a compilation per pod gives (nothing carried from one pod's chain to another's)", () => {
    for (const p of pods) {
      const alone = chains(writeRuleSet(renderCalicoNode(new Compilation(model({ pods: [p], nodes: NODES, namespaces: [ns("default"), ns("other")] }, policies)), "node1", P27_OPTIONS).ruleset));
      for (const [name, lines] of alone) expect(by.get(name), name).toEqual(lines);
    }
  });
});
