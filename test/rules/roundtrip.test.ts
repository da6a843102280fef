// Round trip is the contract: for everything netpolc emits,
// writeRuleSet(parseRuleSet(text).ruleset) === text.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { compileOptionsFrom } from "../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../src/cli/flags.js";
import { emitsSaveText } from "../../src/pipeline.js";
import { writeIpSets } from "../../src/rules/ipset.js";
import { parseIpSets } from "../../src/rules/ipset-parser.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";
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

// Every ruleset and ipset file the golden cases expect (wherever under golden/<case>/ the runner writes them).
const GOLDEN = join(import.meta.dirname, "..", "..", "golden");
function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  // Sorted for determinism.
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(ext)).sort();
}
/** kube-proxy's own restore payload and `iptables -S` lines (chosen by a case's args) are not iptables-save text. */
function isSaveText(rel: string): boolean {
  const args = join(GOLDEN, rel.split(/[\\/]/)[0] ?? "", "args");
  if (!existsSync(args)) return true;
  return emitsSaveText(compileOptionsFrom(parseArgs(readFileSync(args, "utf8").trim().split(/\s+/).filter(Boolean), COMPILE_FLAGS)));
}
const goldenRulesets = filesUnder(GOLDEN, ".iptables").filter(isSaveText);
const goldenIpsets = filesUnder(GOLDEN, ".ipsets");

describe.skipIf(goldenRulesets.length === 0)("round trip of golden rulesets", () => {
  it.each(goldenRulesets)("%s", (rel) => {
    const text = readFileSync(join(GOLDEN, rel), "utf8");
    const r = parseRuleSet(text, { file: rel });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(writeRuleSet(r.ruleset)).toBe(text);
  });
});

describe.skipIf(goldenIpsets.length === 0)("round trip of golden ipsets", () => {
  it.each(goldenIpsets)("%s", (rel) => {
    const text = readFileSync(join(GOLDEN, rel), "utf8");
    const r = parseIpSets(text, { file: rel });
    expect(r.diagnostics).toEqual([]);
    expect(writeIpSets(r.sets)).toBe(text);
  });
});
