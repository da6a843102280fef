// Endpoint chains are written by a text path (felix-rule.ts textChain) and
// their RuleSet rules built only on demand. Over every golden case, writing
// each node's RuleSet from its rules alone (fresh Chain objects, so no text
// handed to the writer) must give the same bytes as the compile's own text —
// at -O1, and at -O2, where dead-tail hands on the prefix of a cut chain's text.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../src/cli/args.js";
import { compileOptionsFrom } from "../../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../../src/cli/flags.js";
import { compile } from "../../../src/pipeline.js";
import type { RuleSet } from "../../../src/rules/types.js";
import { primedChainText, writeRuleSet } from "../../../src/rules/writer.js";
import { caseArgs, caseInputs, GOLDEN_ROOT, goldenCaseNames } from "../../helpers/golden-cases.js";

/** The same RuleSet through fresh objects: the writer sees only rules. */
function viaRules(rs: RuleSet): RuleSet {
  return { tables: rs.tables.map((t) => ({ name: t.name, chains: t.chains.map((c) => ({ name: c.name, policy: c.policy, rules: [...c.rules] })) })) };
}

const cases = goldenCaseNames();

describe("calico endpoint chains: text path equals the RuleSet path", () => {
  let endpointChains = 0;
  for (const name of cases) {
    it(name, () => {
      const dir = join(GOLDEN_ROOT, name);
      const res = compile(caseInputs(dir), compileOptionsFrom(parseArgs(caseArgs(dir), COMPILE_FLAGS)));
      for (const out of res.outputs) {
        for (const t of out.ruleset.tables) endpointChains += t.chains.filter((c) => /^cali-[tf]w-/.test(c.name)).length;
        expect(writeRuleSet(viaRules(out.ruleset)), `${name}/${out.node}`).toBe(writeRuleSet(out.ruleset));
      }
    });
  }
  it("covers endpoint chains", () => expect(endpointChains).toBeGreaterThan(0));
});

describe("-O2: dead-tail's cut endpoint chains keep the text path, and it equals the RuleSet path", () => {
  let cutWithText = 0;
  for (const name of cases) {
    it(name, () => {
      const dir = join(GOLDEN_ROOT, name);
      const args = caseArgs(dir);
      if (args.includes("kube-proxy")) return;
      const o1 = compile(caseInputs(dir), compileOptionsFrom(parseArgs(args, COMPILE_FLAGS)));
      const res = compile(caseInputs(dir), compileOptionsFrom(parseArgs([...args, "-O2"], COMPILE_FLAGS)));
      for (const out of res.outputs) {
        const before = new Map(o1.outputs.find((o) => o.node === out.node)!.ruleset.tables.flatMap((t) => t.chains).map((c) => [c.name, c.rules.length]));
        for (const c of out.ruleset.tables.flatMap((t) => t.chains)) {
          if (/^cali-[tf]w-/.test(c.name) && c.rules.length < (before.get(c.name) ?? 0) && primedChainText(c) !== undefined) cutWithText++;
        }
        expect(writeRuleSet(viaRules(out.ruleset)), `${name}/${out.node} -O2`).toBe(writeRuleSet(out.ruleset));
      }
    });
  }
  it("covers cut chains written from text", () => expect(cutWithText).toBeGreaterThan(0));
});
