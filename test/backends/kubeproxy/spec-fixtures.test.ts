// Spec kubeproxy-format fixtures F1–F10 (§6), reproduced byte for byte from
// real Service / EndpointSlice / KubeProxyConfiguration YAML (the golden
// kp-f* cases) with the options each fixture states. The expected texts are
// copied verbatim from the spec into fixtures/.
import { describe, expect, it } from "vitest";
import { caseArgs, caseFiles, emitCase, fixture } from "./helpers.js";

const CASES: readonly [string, string][] = [
  ["f1", "kp-f1-overall-1-31-nfacct"],
  ["f2", "kp-f2-overall-1-29"],
  ["f3", "kp-f3-loadbalancer-source-ranges"],
  ["f4", "kp-f4-nodeport"],
  ["f5", "kp-f5-etp-local-loadbalancer"],
  ["f6a", "kp-f6a-itp-cluster-three-endpoints"],
  ["f6b", "kp-f6b-itp-local"],
  ["f6c", "kp-f6c-itp-local-no-local-endpoints"],
  ["f7", "kp-f7-terminating-local-affinity"],
  ["f8", "kp-f8-health-check-no-endpoints"],
  ["f9", "kp-f9-ipv6-localhost-nodeports"],
  ["f10", "kp-f10-localhost-nodeports-disabled"],
];

describe("spec kubeproxy-format §6 fixtures, byte for byte", () => {
  for (const [fx, name] of CASES) {
    it(`${fx.toUpperCase()} from golden/${name}`, () => {
      expect(emitCase(caseFiles(name), caseArgs(name))).toBe(fixture(fx));
    });
  }

  it("the output does not depend on the order of files or documents", () => {
    const files = caseFiles("kp-f1-overall-1-31-nfacct");
    const shuffled = [...files].reverse().map((f) => ({ ...f, text: f.text.split("\n---\n").reverse().join("\n---\n").replace(/^(?!# )/, "# reversed\n") }));
    expect(emitCase(shuffled, caseArgs("kp-f1-overall-1-31-nfacct"))).toBe(fixture("f1"));
  });
});
