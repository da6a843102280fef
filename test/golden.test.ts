// The golden runner (STYLE.md "Golden files"): every directory under golden/
// is a case. Its *.yaml / *.yml / *.json files (outside expected/) are the
// inputs, an optional `args` file holds compile flags, and expected/ holds one
// file per output: `<node>.iptables|ip6tables|ipsets|routes`, or `diagnostics.txt` when
// the case produces diagnostics. Files no output claims fail as orphans.
//
// Updating is explicit: `UPDATE_GOLDEN=1 npm test` rewrites expected/, and is
// refused when CI is set. Review `git diff golden/` like code.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/cli/args.js";
import { runCompile } from "../src/cli/compile.js";
import { COMPILE_FLAGS } from "../src/cli/flags.js";
import { byteCompare } from "../src/rules/writer.js";
import { compile, emitsSaveText } from "../src/pipeline.js";
import { compileOptionsFrom } from "../src/cli/compile.js";
import { checkJumpTargets } from "./helpers/ruleset-checks.js";
import { caseArgs, caseInputs, GOLDEN_ROOT, goldenCaseNames } from "./helpers/golden-cases.js";
import { parseRuleSet } from "../src/rules/parser.js";
import { writeRuleSet } from "../src/rules/writer.js";
import { parseIpSets } from "../src/rules/ipset-parser.js";
import { writeIpSets } from "../src/rules/ipset.js";

const ROOT = GOLDEN_ROOT;
const UPDATE = process.env.UPDATE_GOLDEN === "1";
if (UPDATE && process.env.CI) throw new Error("UPDATE_GOLDEN is refused when CI is set: golden files are the contract");

function produce(dir: string): Map<string, string> {
  const extra = caseArgs(dir);
  const args = parseArgs(["-o", "unused", ...extra], COMPILE_FLAGS);
  const res = runCompile(caseInputs(dir), args);
  const files = new Map(res.files);
  if (res.stderr) files.set("diagnostics.txt", res.stderr);
  return files;
}

const cases = goldenCaseNames();

describe("golden", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThan(0));

  for (const name of cases) {
    const dir = join(ROOT, name);
    it(name, () => {
      const first = caseInputs(dir)[0];
      expect(first, `${name} has no input`).toBeDefined();
      for (const f of caseInputs(dir)) expect(f.text.startsWith("# "), `${name}/${f.path}: first line must say what the case demonstrates`).toBe(true);
      const produced = produce(dir);
      const expDir = join(dir, "expected");
      if (UPDATE) {
        rmSync(expDir, { recursive: true, force: true });
        mkdirSync(expDir, { recursive: true });
        for (const [f, text] of produced) writeFileSync(join(expDir, f), text);
      }
      const expected = existsSync(expDir) ? readdirSync(expDir).sort(byteCompare) : [];
      for (const f of expected) {
        expect(produced.has(f), `orphan: ${relative(ROOT, join(expDir, f))} is claimed by no output`).toBe(true);
        expect(produced.get(f), `${name}/expected/${f}`).toBe(readFileSync(join(expDir, f), "utf8"));
      }
      for (const f of produced.keys()) expect(expected, `${name}: output ${f} has no expected file`).toContain(f);
    });

    it(`${name}: every emitted file re-parses and re-writes identically`, () => {
      const extra = caseArgs(dir);
      const opts = compileOptionsFrom(parseArgs(extra, COMPILE_FLAGS));
      // kube-proxy's restore payload (its unit tests' layout) and `iptables -S` lines are not iptables-save text;
      // test/backends/kubeproxy compares them with the spec instead.
      const saveText = emitsSaveText(opts);
      for (const [f, text] of produce(dir)) {
        if ((f.endsWith(".iptables") || f.endsWith(".ip6tables")) && saveText) {
          const parsed = parseRuleSet(text, { file: f });
          expect(parsed.diagnostics, f).toEqual([]);
          expect(writeRuleSet(parsed.ruleset), f).toBe(text);
        } else if (f.endsWith(".ipsets")) {
          const parsed = parseIpSets(text, { file: f });
          expect(parsed.diagnostics, f).toEqual([]);
          expect(writeIpSets(parsed.sets), f).toBe(text);
        }
      }
    });

    it(`${name}: every jump target is declared`, () => {
      const extra = caseArgs(dir);
      const res = compile(caseInputs(dir), compileOptionsFrom(parseArgs(extra, COMPILE_FLAGS)));
      for (const out of res.outputs) {
        expect(checkJumpTargets(out.ruleset), `${name}/${out.node}`).toEqual([]);
        if (out.ruleset6) expect(checkJumpTargets(out.ruleset6), `${name}/${out.node} (IPv6)`).toEqual([]);
      }
    });
  }
});
