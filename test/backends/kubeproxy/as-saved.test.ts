// Spec kubeproxy-format §4.3: what iptables-save prints back. The two worked
// examples (F14 and F4 with --random-fully) come out byte for byte, table by
// table (the spec leaves out the mangle table and the header comments), and
// the §4.1 restore payload of F4 holds exactly the rules netpolc writes.
import { describe, expect, it } from "vitest";
import { kubeProxyPayload, DEFAULT_KUBE_PROXY_OPTIONS } from "../../../src/backends/kubeproxy/index.js";
import { savedProbability } from "../../../src/backends/kubeproxy/as-saved.js";
import { Compilation } from "../../../src/compilation.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { caseArgs, caseFiles, compileCase, emitCase, fixture, tableBlock } from "./helpers.js";

describe("§4.3 iptables-save form", () => {
  for (const [fx, name] of [["s43-f14-saved", "kp-f14-saved-affinity-loadbalancer"], ["s43-f4-saved", "kp-f4-saved-random-fully"]] as const) {
    it(`${fx}: nat and filter byte for byte from golden/${name}`, () => {
      const text = emitCase(caseFiles(name), caseArgs(name));
      for (const table of ["nat", "filter"]) expect(tableBlock(text, table), table).toBe(tableBlock(fixture(fx), table));
    });
  }

  it("probabilities as the kernel prints them back", () => {
    const got = ["0.3333333333", "0.5000000000", "0.2500000000", "0.2000000000", "0.1666666667", "0.1428571429", "0.1000000000"].map(savedProbability);
    expect(got).toEqual(["0.33333333349", "0.50000000000", "0.25000000000", "0.20000000019", "0.16666666651", "0.14285714272", "0.10000000009"]);
    // The ≈1.13 spelling %0.5f (spec §5, issue #37932's dump).
    expect(savedProbability("0.33333")).toBe("0.33332999982");
  });
});

describe("§4.1 restore payload", () => {
  it("F4 with the real mark and --random-fully: the same lines as the spec's payload (kube-proxy interleaves chains; netpolc groups them)", () => {
    const files = caseFiles("kp-f4-nodeport");
    const res = compileCase(files, ["--node", "test-node"]);
    const payload = kubeProxyPayload(new Compilation(res.model!), "test-node", { ...DEFAULT_KUBE_PROXY_OPTIONS, paddedMark: true, randomFully: true });
    const text = writeRuleSet(payload, { layout: "given", quoting: "kube-proxy" });
    const lines = (t: string): string[] => t.split("\n").filter((l) => l.startsWith("-A ")).sort();
    expect(lines(text)).toEqual(lines(fixture("s41-f4-payload")));
    const decls = (t: string): string[] => t.split("\n").filter((l) => l.startsWith(":") || l.startsWith("*"));
    expect(decls(text)).toEqual(decls(fixture("s41-f4-payload")));
  });
});
