// Property: every Calico version profile (src/backends/calico/profile.ts)
// enforces exactly what the policies say. Random clusters and policies are
// compiled at a random --calico-version (3.27 … 3.32: policy groups, the P30
// mark layout, P32 naming), at -O1 or -O2, and verified: the simulator over the compiled
// rules against the reference evaluator, 0 mismatches and 0 unknown flows.
import { describe, it } from "vitest";
import fc from "fast-check";
import { CALICO_VERSIONS, PASS_NAMES, type CalicoVersion } from "../../src/backends/index.js";
import { DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import { caseArb, caseFiles, type GeneratedCase } from "./arbitraries.js";
import { expectVerified } from "./check-case.js";
import { propertyParams } from "./params.js";

describe("random clusters and policies at every Calico version", () => {
  const params = propertyParams<[GeneratedCase, CalicoVersion, boolean]>(150);
  it(`compile (at -O1 or -O2) and verify with 0 mismatches, 0 unknown (${params.numRuns} cases)`, () => {
    const prop = fc.property(caseArb, fc.constantFrom(...CALICO_VERSIONS), fc.boolean(), (c, calicoVersion, o2) => {
      const optimize = o2 ? { optimize: { level: 2 as const, passes: PASS_NAMES } } : {};
      expectVerified(caseFiles(c), { ...DEFAULT_COMPILE_OPTIONS, ...optimize, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion } });
    });
    // fast-check reports the seed and the shrunk case (its version included) on failure.
    fc.assert(prop, params);
  }, 600_000);
});
