// verify on every golden case that compiles, and on examples/bookinfo: the
// compiled rules must agree with the reference evaluator on every probe flow,
// accept every reply of an allowed one, and keep every Felix invariant.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { plannedFlows, verifyReport, verifyText } from "../../src/verify/index.js";
import { BOOKINFO, caseArgs, caseInputs, compileAll, GOLDEN, goldenCases } from "./helpers.js";

describe("verify agrees with the evaluator on every golden case", () => {
  for (const name of goldenCases()) {
    it(name, () => {
      const c = compileAll(caseInputs(join(GOLDEN, name)), caseArgs(join(GOLDEN, name)));
      const { flows } = plannedFlows(c.ctx, [], c.rules);
      const report = verifyReport(c.ctx, c.rules, flows);
      expect(report.failures.length, verifyText(report)).toBe(0);
      expect(report.flows).toBeGreaterThan(0);
    });
  }
});

describe("verify on examples/bookinfo", () => {
  /** Compile, re-parse, enumerate, simulate, compare; returns the report and the milliseconds it took. */
  function timed(): { report: ReturnType<typeof verifyReport>; ms: number } {
    const files = gatherInputs([BOOKINFO], () => "");
    const t0 = performance.now();
    const c = compileAll(files);
    const report = verifyReport(c.ctx, c.rules, plannedFlows(c.ctx, [], c.rules).flows);
    return { report, ms: performance.now() - t0 };
  }

  it("0 mismatches, well under a second", () => {
    // The first run pays for the JIT and chevrotain's lookahead caches (what a cold CLI run pays after start-up).
    const cold = timed();
    const warm = timed();
    expect(cold.report.failures.length, verifyText(cold.report)).toBe(0);
    const { flows, replies, invariants, nodes } = warm.report;
    const rate = (ms: number): string => `${ms.toFixed(0)} ms (${((flows / ms) * 1000).toFixed(0)} flows/s)`;
    const what = `${flows} flows, ${replies} replies, ${invariants} invariant probes on ${nodes.length} nodes`;
    console.log(`verify examples/bookinfo: ${what}, compile included: cold ${rate(cold.ms)}, warm ${rate(warm.ms)}`);
    expect(replies).toBeGreaterThan(0);
    expect(invariants).toBeGreaterThan(0);
    expect(warm.ms).toBeLessThan(1000);
  });
});
