// Random clusters and policies (the colleague's arbitraries, test/property):
// compiled at -O2 with every pass, verify must agree with the reference
// evaluator on every flow.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { caseArb, caseFiles } from "../../../property/arbitraries.js";
import { O2, verifyWith } from "./helpers.js";

describe("-O2 property: verify agrees on random cases", () => {
  it("0 mismatches, 0 unknown", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const report = verifyWith(caseFiles(c), O2);
        expect({ mismatches: report.mismatches, unknown: report.unknown }).toEqual({ mismatches: 0, unknown: 0 });
      }),
      { numRuns: Number(process.env.NETPOLC_O2_RUNS ?? 40), seed: Number(process.env.NETPOLC_O2_SEED ?? 20261126) },
    );
  }, 600_000);
});
