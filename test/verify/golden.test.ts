// verify on every golden case that compiles, and on examples/bookinfo: the
// compiled rules must agree with the reference evaluator on every probe flow.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { plannedFlows, verifyReport, verifyText } from "../../src/verify/index.js";
import { BOOKINFO, caseInputs, compileAll, GOLDEN, goldenCases } from "./helpers.js";

describe("verify agrees with the evaluator on every golden case", () => {
  for (const name of goldenCases()) {
    it(name, () => {
      const c = compileAll(caseInputs(join(GOLDEN, name)));
      const { flows } = plannedFlows(c.ctx, [], c.rules);
      const report = verifyReport(c.ctx, c.rules, flows);
      expect(report.failures.length, verifyText(report)).toBe(0);
      expect(report.flows).toBeGreaterThan(0);
    });
  }
});

describe("verify on examples/bookinfo", () => {
  it("0 mismatches, well under a second", () => {
    const files = gatherInputs([BOOKINFO], () => "");
    const t0 = performance.now();
    const c = compileAll(files);
    const { flows } = plannedFlows(c.ctx, [], c.rules);
    const report = verifyReport(c.ctx, c.rules, flows);
    const ms = performance.now() - t0;
    expect(report.failures.length, verifyText(report)).toBe(0);
    console.log(`verify examples/bookinfo: ${report.flows} flows on ${report.nodes.length} nodes in ${ms.toFixed(0)} ms (compile included, ${((report.flows / ms) * 1000).toFixed(0)} flows/s)`);
    expect(ms).toBeLessThan(1000);
  });
});
