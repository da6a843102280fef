// The iptables renderer derives everything from the rule model and memoises
// per object. Over every golden case: a fresh renderer over structurally
// copied objects (so no memo can answer) prints the same bytes as the
// compile's own renderer; and -O2's dead-tail cuts endpoint chains in the
// model, so the cut chain's `cali:` hashes must be the uncut chain's first ones
// (a rule's hash covers only the rules before it, felix-format §6).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { compileOptionsFrom } from "../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../src/cli/flags.js";
import { compile, emitText, rendererFor } from "../../src/pipeline.js";
import type { Chain, RuleSet } from "../../src/rules/types.js";
import fc from "fast-check";
import { Renderer, sortedLike, writeRuleSet } from "../../src/rules/writer.js";
import { caseArgs, caseInputs, GOLDEN_ROOT, goldenCaseNames } from "../helpers/golden-cases.js";

/** The same RuleSet through fresh objects, all the way down: no renderer has seen any of them. */
function copied(rs: RuleSet): RuleSet {
  return structuredClone(rs);
}

const cases = goldenCaseNames();

describe("renderer: memoised output equals a fresh render of copied objects", () => {
  for (const name of cases) {
    it(name, () => {
      const dir = join(GOLDEN_ROOT, name);
      const opts = compileOptionsFrom(parseArgs(caseArgs(dir), COMPILE_FLAGS));
      const res = compile(caseInputs(dir), opts);
      if (!res.model) return; // an error case: nothing is rendered
      for (const out of res.outputs) {
        const own = emitText(out, "iptables", opts, res.renderer);
        // Twice through the compile's renderer (the second answered from its memo), once through a fresh one.
        expect(emitText(out, "iptables", opts, res.renderer)).toBe(own);
        expect(emitText({ ...out, ruleset: copied(out.ruleset) }, "iptables", opts, rendererFor(opts)), `${name}/${out.node}`).toBe(own);
      }
    });
  }
});

describe("-O2 dead-tail: a cut endpoint chain keeps the uncut chain's first hashes", () => {
  let cut = 0;
  for (const name of cases) {
    it(name, () => {
      const dir = join(GOLDEN_ROOT, name);
      const args = caseArgs(dir);
      // kube-proxy alone has no Calico chains.
      if (args.includes("kube-proxy")) return;
      // -O2 refuses flow logs (their NFLOG rules are observable).
      if (args.includes("--flow-logs")) return;
      // A case compiled at -O2 already: the comparison adds its own -O2.
      if (args.includes("-O2")) return;
      // The same -O2 compile with and without dead-tail: chain-share may already have changed a chain's jumps.
      const o1 = compile(caseInputs(dir), compileOptionsFrom(parseArgs([...args, "-O2", "--no-pass", "dead-tail"], COMPILE_FLAGS)));
      const o2 = compile(caseInputs(dir), compileOptionsFrom(parseArgs([...args, "-O2"], COMPILE_FLAGS)));
      const r = new Renderer();
      for (const out of o2.outputs) {
        const before = new Map<string, Chain>(o1.outputs.find((o) => o.node === out.node)!.ruleset.tables.flatMap((t) => t.chains).map((c) => [c.name, c]));
        for (const c of out.ruleset.tables.flatMap((t) => t.chains)) {
          const full = before.get(c.name);
          if (!/^cali-[tf]w-/.test(c.name) || !full || c.rules.length >= full.rules.length) continue;
          cut++;
          expect(c.hashRuns).toEqual([{ chain: c.name, rules: c.rules.length }]);
          expect(r.hashes(c)).toEqual(r.hashes(full).slice(0, c.rules.length));
          expect(writeRuleSet({ tables: [{ name: "filter", chains: [c] }] })).toBe(
            writeRuleSet({ tables: [{ name: "filter", chains: [c] }] }, undefined, r),
          );
        }
      }
    });
  }
  it("cuts some chains", () => expect(cut).toBeGreaterThan(0));
});

describe("renderer: a table's user chains sorted against the last table of that name", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,6}$/);
  it("sortedLike gives the byte order of a plain sort, whatever was sorted before", () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 40 }), fc.uniqueArray(word, { maxLength: 40 }), (before, names) => {
        expect(sortedLike([...before].sort(), names)).toEqual([...names].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("one renderer printing tables of other chain sets in turn prints what a fresh renderer prints for each", () => {
    const table = (names: readonly string[]): RuleSet => ({ tables: [{ name: "filter", chains: names.map((n): Chain => ({ name: n, policy: null, rules: [] })) }] });
    const shared = new Renderer();
    for (const names of [["b", "a", "KUBE-SVC-Z"], ["c", "a", "KUBE-SEP-1", "B"], ["zz", "a"], []]) {
      expect(writeRuleSet(table(names), undefined, shared)).toBe(writeRuleSet(table(names), undefined, new Renderer()));
    }
  });
});
