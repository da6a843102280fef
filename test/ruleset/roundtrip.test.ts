// Round trip is the contract: for everything netpolc emits,
// writeRuleSet(parseRuleSet(text).ruleset) === text.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRuleSet } from "../../src/ruleset/parser.js";
import { writeRuleSet } from "../../src/ruleset/writer.js";
import { fullSpecRuleSet, localFixture, mangleTable, rawTable, specFixture } from "./spec-text.js";

function roundTrip(text: string): string {
  const r = parseRuleSet(text);
  expect(r.diagnostics).toEqual([]);
  expect(r.unknownModules).toEqual([]);
  expect(r.unknownTargets).toEqual([]);
  return writeRuleSet(r.ruleset);
}

describe("round trip of the spec texts", () => {
  it.each([
    ["F5 filter", () => specFixture("f5-filter.txt")],
    ["§8.1 nat", () => specFixture("s81-nat.txt")],
    ["§8.2 raw", rawTable],
    ["§8.3 mangle", mangleTable],
    ["all four tables", fullSpecRuleSet],
  ])("%s", (_name, text) => {
    expect(roundTrip(text())).toBe(text());
  });

  it("keeps declared-but-empty user chains and built-in policies", () => {
    const text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:cali-empty - [0:0]\nCOMMIT\n";
    const { ruleset } = parseRuleSet(text);
    const filter = ruleset.tables[0]!;
    expect(filter.chains.map((c) => [c.name, c.policy, c.rules.length])).toEqual([
      ["INPUT", "DROP", 0],
      ["FORWARD", "DROP", 0],
      ["OUTPUT", "ACCEPT", 0],
      ["cali-empty", null, 0],
    ]);
    expect(writeRuleSet(ruleset)).toBe(text);
  });

  it("records the 1-based line of every rule", () => {
    const { ruleset } = parseRuleSet(specFixture("s81-nat.txt"));
    const lines = ruleset.tables[0]!.chains.flatMap((c) => c.rules.map((r) => r.line));
    expect([...lines].sort((a, b) => a! - b!)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });
});

describe("a real iptables-nft-save dump (comments, counters, FORWARD DROP)", () => {
  it("parses cleanly and writes back its normalised form: comments and counters dropped, [0:0] printed", () => {
    const r = parseRuleSet(localFixture("nft-save-dump.txt"));
    expect(r.diagnostics).toEqual([]);
    expect(writeRuleSet(r.ruleset)).toBe(localFixture("nft-save-dump.normalised.txt"));
    const filter = r.ruleset.tables.find((t) => t.name === "filter")!;
    expect(filter.chains.find((c) => c.name === "FORWARD")!.policy).toBe("DROP");
  });

  it("the normalised form is a fixed point", () => {
    const text = localFixture("nft-save-dump.normalised.txt");
    expect(roundTrip(text)).toBe(text);
  });
});

// Every ruleset the golden cases expect (once the golden runner has written them).
const GOLDEN = join(import.meta.dirname, "..", "..", "golden");
// Sorted for determinism.
const goldenRulesets = existsSync(GOLDEN)
  ? readdirSync(GOLDEN)
      .sort()
      .flatMap((c) => readdirSync(join(GOLDEN, c)).sort().filter((f) => f.endsWith(".iptables")).map((f) => join(c, f)))
  : [];

describe.skipIf(goldenRulesets.length === 0)("round trip of golden outputs", () => {
  it.each(goldenRulesets)("%s", (rel) => {
    const text = readFileSync(join(GOLDEN, rel), "utf8");
    expect(writeRuleSet(parseRuleSet(text).ruleset)).toBe(text);
  });
});
