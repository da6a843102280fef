// Endpoint chains are written by a text path (felix-rule.ts textChain) and
// their RuleSet rules built only on demand. Over every golden case, writing
// each node's RuleSet from its rules alone (fresh Chain objects, so no text
// handed to the writer) must give the same bytes as the compile's own text.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../src/cli/args.js";
import { COMPILE_FLAGS, compileOptionsFrom } from "../../../src/cli/compile.js";
import { compile } from "../../../src/pipeline.js";
import type { RuleSet } from "../../../src/ruleset/types.js";
import { byteCompare, writeRuleSet } from "../../../src/ruleset/writer.js";

const ROOT = join(import.meta.dirname, "..", "..", "..", "golden");

function inputsOf(dir: string, sub = ""): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(join(dir, sub)).sort(byteCompare)) {
    const rel = sub ? `${sub}/${name}` : name;
    if (rel === "expected") continue;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...inputsOf(dir, rel));
    else if (/\.(ya?ml|json)$/.test(name)) out.push({ path: rel, text: readFileSync(join(dir, rel), "utf8") });
  }
  return out;
}

function caseInputs(dir: string): { path: string; text: string }[] {
  const list = join(dir, "inputs");
  if (!existsSync(list)) return inputsOf(dir);
  return readFileSync(list, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).flatMap((p) => {
    const abs = join(dir, p);
    if (statSync(abs).isDirectory()) return inputsOf(abs).map((f) => ({ path: `${p}/${f.path}`, text: f.text }));
    return [{ path: p, text: readFileSync(abs, "utf8") }];
  });
}

/** The same RuleSet through fresh objects: the writer sees only rules. */
function viaRules(rs: RuleSet): RuleSet {
  return { tables: rs.tables.map((t) => ({ name: t.name, chains: t.chains.map((c) => ({ name: c.name, policy: c.policy, rules: [...c.rules] })) })) };
}

const cases = readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory()).sort(byteCompare);

describe("calico endpoint chains: text path equals the RuleSet path", () => {
  let endpointChains = 0;
  for (const name of cases) {
    it(name, () => {
      const dir = join(ROOT, name);
      const argsFile = join(dir, "args");
      const extra = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/).filter(Boolean) : [];
      const res = compile(caseInputs(dir), compileOptionsFrom(parseArgs(extra, COMPILE_FLAGS)));
      for (const out of res.outputs) {
        for (const t of out.ruleset.tables) endpointChains += t.chains.filter((c) => /^cali-[tf]w-/.test(c.name)).length;
        expect(writeRuleSet(viaRules(out.ruleset)), `${name}/${out.node}`).toBe(writeRuleSet(out.ruleset));
      }
    });
  }
  it("covers endpoint chains", () => expect(endpointChains).toBeGreaterThan(0));
});
