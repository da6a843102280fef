// The synthetic corpus (scripts/gen-cluster.ts, size `small`): -O2 must emit
// at least 30% fewer rules than -O1 over all nodes, and verify must find no
// mismatch and no unknown flow in the -O2 rules.
import { describe, expect, it } from "vitest";
import { generateCluster, SIZES } from "../../../../scripts/gen-cluster.js";
import { DEFAULT_COMPILE_OPTIONS } from "../../../../src/pipeline.js";
import { compileWith, O2, totals } from "./helpers.js";
import { verifyCompiled } from "../../../property/check-case.js";

describe("-O2 on the synthetic corpus (small)", () => {
  const files = generateCluster(SIZES.small, { seed: 1 }).files.map((f) => ({ path: f.path, text: f.text }));

  it("has >= 30% fewer rules than -O1 and verifies with 0 mismatches", () => {
    const o1 = totals(compileWith(files, DEFAULT_COMPILE_OPTIONS));
    const res = compileWith(files, O2);
    const o2 = totals(res);
    const saved = 1 - o2.rules / o1.rules;
    console.log(`corpus small: rules -O1 ${o1.rules} -O2 ${o2.rules} (${(saved * 100).toFixed(1)}% fewer); chains ${o1.chains}→${o2.chains}; sets ${o1.sets}→${o2.sets}; members ${o1.members}→${o2.members}`);
    expect(saved).toBeGreaterThanOrEqual(0.3);
    const { report } = verifyCompiled(res);
    console.log(`corpus small -O2 verify: ${report.flows} flows, ${report.mismatches} mismatches, ${report.unknown} unknown`);
    expect(report.flows).toBeGreaterThan(0);
    expect({ mismatches: report.mismatches, unknown: report.unknown }).toEqual({ mismatches: 0, unknown: 0 });
  }, 600_000);
});
