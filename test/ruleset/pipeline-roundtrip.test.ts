// Round trip of what netpolc actually emits: compile every golden case's
// YAML for all its nodes and demand write(parse(text)) === text.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText } from "../../src/pipeline.js";
import { writeIpSets } from "../../src/ruleset/ipset.js";
import { parseIpSets } from "../../src/ruleset/ipset-parser.js";
import { parseRuleSet } from "../../src/ruleset/parser.js";
import { writeRuleSet } from "../../src/ruleset/writer.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "golden");
// Sorted for determinism; error-* cases produce no rulesets.
const cases = readdirSync(GOLDEN).filter((c) => !c.startsWith("error-")).sort();

describe("netpolc's own output round-trips", () => {
  it.each(cases)("%s", (c) => {
    const dir = join(GOLDEN, c);
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ path: f, text: readFileSync(join(dir, f), "utf8") }));
    const res = compile(files, DEFAULT_COMPILE_OPTIONS);
    expect(res.outputs.length).toBeGreaterThan(0);
    for (const out of res.outputs) {
      const rules = emitText(out, "iptables");
      const parsed = parseRuleSet(rules);
      expect(parsed.diagnostics).toEqual([]);
      expect(writeRuleSet(parsed.ruleset)).toBe(rules);
      const sets = emitText(out, "ipsets");
      expect(writeIpSets(parseIpSets(sets).sets)).toBe(sets);
    }
  });
});
