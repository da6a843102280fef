// Property: every random small cluster + valid policy set compiles without
// errors, and `verify` (simulator over the compiled rules vs the reference
// evaluator) finds 0 mismatching and 0 unknown flows.
//
// ~200 cases in `npm test`; NETPOLC_PROPERTY_RUNS=N runs N (and NETPOLC_PROPERTY_SEED
// replays a reported seed). A failure is shrunk by fast-check, reported with
// its seed and path, and saved as golden/regression-<hash>/ (regression.ts).
import { describe, it } from "vitest";
import fc from "fast-check";
import { caseArb, caseFiles, type GeneratedCase } from "./arbitraries.js";
import { expectVerified } from "./check-case.js";
import { assertWithRegression, firstLine } from "./regression.js";
import { propertyParams } from "./params.js";

describe("random clusters and policies", () => {
  const params = propertyParams<[GeneratedCase]>(200);
  it(`compile and verify with 0 mismatches, 0 unknown (${params.numRuns} cases)`, () => {
    const prop = fc.property(caseArb, (c) => {
      expectVerified(caseFiles(c));
    });
    assertWithRegression(prop, params, firstLine);
  }, 600_000);
});
