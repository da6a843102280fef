// Every non-error golden case compiled at -O2 (all passes) and checked by
// verify's library API: 0 mismatches and 0 unknown flows, on every node.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { byteCompare } from "../../../../src/rules/writer.js";
import { compileWith, GOLDEN, goldenInputs, O2, totals, verifyWith } from "./helpers.js";
import { DEFAULT_COMPILE_OPTIONS } from "../../../../src/pipeline.js";

// kube-proxy-only cases have no Calico output for the optimizer to touch.
const cases = readdirSync(GOLDEN).sort(byteCompare).filter((c) => statSync(join(GOLDEN, c)).isDirectory() && !c.startsWith("error-") && !c.startsWith("kp-") && !c.startsWith("seed-"));

describe("-O2 on the golden cases: verify agrees", () => {
  it.each(cases)("%s", (c) => {
    const files = goldenInputs(join(GOLDEN, c));
    const report = verifyWith(files, O2);
    expect(report.flows).toBeGreaterThan(0);
    expect({ mismatches: report.mismatches, unknown: report.unknown }).toEqual({ mismatches: 0, unknown: 0 });
    const o1 = totals(compileWith(files, DEFAULT_COMPILE_OPTIONS));
    expect(totals(compileWith(files, O2)).rules).toBeLessThanOrEqual(o1.rules);
  });
});
