// Properties that need only the compiler (no simulator): on random valid
// inputs,
//   1. the output is byte-identical however the documents are ordered, split
//      into files and named, and however the keys of every mapping are ordered
//      (README: "Same inputs give byte-identical output whatever the order of
//      files, documents and objects"); list order is semantic and kept;
//   2. every emitted ruleset and ipset file re-parses without diagnostics and
//      re-writes to the identical text (ARCHITECTURE: output is a fixed point).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InputFile } from "../../src/frontend/index.js";
import { outputFiles } from "../../src/pipeline.js";
import { parseIpSets } from "../../src/rules/ipset-parser.js";
import { writeIpSets } from "../../src/rules/ipset.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";
import { caseArb, caseFiles, clusterDocs, yamlFile, type GeneratedCase } from "./arbitraries.js";
import { compileOk } from "./check-case.js";
import { propertyParams } from "./params.js";
import { prng, shuffle, shuffleKeys } from "./scramble.js";

/** The case's documents, reordered, split over 1–3 files with random names. */
function scrambled(c: GeneratedCase, seed: number): InputFile[] {
  const rnd = prng(seed);
  const docs = shuffle([...clusterDocs(c.cluster), ...c.policies], rnd).map((d) => shuffleKeys(d, rnd));
  const fileCount = 1 + Math.floor(rnd() * 3);
  const names = shuffle(["a.yaml", "m/b.yml", "z.yaml"], rnd).slice(0, fileCount);
  return names.map((path, i) => ({
    path,
    text: yamlFile("Scrambled copy of a generated case.", docs.filter((_, j) => j % fileCount === i), c.style === "block" ? "flow-leaves" : "block"),
  }));
}

describe("random inputs: determinism and round trip", () => {
  it("output does not depend on document order, file split, file names or mapping key order", () => {
    const params = propertyParams<[GeneratedCase, number]>(40, 0.3);
    fc.assert(
      fc.property(caseArb, fc.integer(), (c, seed) => {
        const expected = outputFiles(compileOk(caseFiles(c)).outputs);
        const actual = outputFiles(compileOk(scrambled(c, seed)).outputs);
        expect([...actual.keys()]).toEqual([...expected.keys()]);
        for (const [f, text] of expected) expect(actual.get(f), f).toBe(text);
      }),
      params,
    );
  }, 300_000);

  it("every emitted .iptables and .ipsets file re-parses and re-writes identically", () => {
    const params = propertyParams<[GeneratedCase]>(40, 0.3);
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const [f, text] of outputFiles(compileOk(caseFiles(c)).outputs)) {
          if (f.endsWith(".iptables")) {
            const parsed = parseRuleSet(text, { file: f });
            expect(parsed.diagnostics, f).toEqual([]);
            expect(writeRuleSet(parsed.ruleset), f).toBe(text);
          } else if (f.endsWith(".ipsets")) {
            const parsed = parseIpSets(text, { file: f });
            expect(parsed.diagnostics, f).toEqual([]);
            expect(writeIpSets(parsed.sets), f).toBe(text);
          }
        }
      }),
      params,
    );
  }, 300_000);
});
