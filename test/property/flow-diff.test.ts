// The flow diff judges a pair of pod classes once (pods alike under both models' evaluators, semantics/signature.ts)
// and gives its changes to every pod pair of the two classes. Property: on random clusters and two random policy
// sets, that gives exactly the diff of judging every pod pair on its own.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffFlows } from "../../src/review/flow-diff.js";
import { loadForView } from "../../src/views/load.js";
import { clusterArb, clusterDocs, policyArbs, yamlFile, type YamlValue } from "./arbitraries.js";
import { propertyParams } from "./params.js";

const COMMENT = "Randomly generated case (test/property).";

describe("flow diff by class == flow diff pair by pair", () => {
  const params = propertyParams<[[YamlValue[], YamlValue[], YamlValue[]]]>(60, 0.3);
  const caseOf = clusterArb.chain((cluster) =>
    fc.tuple(fc.constant(clusterDocs(cluster)), policyArbs(cluster).policies(1, 4), policyArbs(cluster).policies(1, 4)),
  );
  it(`random clusters, old and new policies: the same changes, flows and classes (${params.numRuns} cases)`, () => {
    let changed = 0;
    const prop = fc.property(caseOf, ([cluster, before, after]) => {
      const side = (policies: readonly YamlValue[]) => {
        const l = loadForView([
          { path: "cluster.yaml", text: yamlFile(COMMENT, cluster, "block") },
          { path: "policy.yaml", text: yamlFile(COMMENT, policies, "block") },
        ]);
        if (!l.model) throw new Error(l.stderr);
        return { model: l.model, sources: l.sources };
      };
      const [o, n] = [side(before), side(after)];
      const byClass = diffFlows(o, n);
      expect(byClass).toEqual(diffFlows(o, n, { byClass: false }));
      if (byClass.changes.length) changed++;
    });
    fc.assert(prop, params);
    // The property is about diffs that say something.
    expect(changed).toBeGreaterThan(0);
  }, 600_000);
});
