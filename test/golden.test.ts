// The golden runner (STYLE.md "Golden files"): every directory under golden/
// is a case. Its *.yaml / *.yml / *.json files (outside expected/) are the
// inputs, an optional `args` file holds compile flags, and expected/ holds one
// file per output: `<node>.iptables|ipsets|routes`, or `diagnostics.txt` when
// the case produces diagnostics. Files no output claims fail as orphans.
//
// Updating is explicit: `UPDATE_GOLDEN=1 npm test` rewrites expected/, and is
// refused when CI is set. Review `git diff golden/` like code.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/cli/args.js";
import { COMPILE_FLAGS, runCompile } from "../src/cli/compile.js";
import { byteCompare } from "../src/ruleset/writer.js";
import { compile, emitsSaveText } from "../src/pipeline.js";
import { compileOptionsFrom } from "../src/cli/compile.js";
import { checkJumpTargets } from "./helpers/ruleset-checks.js";
import { parseRuleSet } from "../src/ruleset/parser.js";
import { writeRuleSet } from "../src/ruleset/writer.js";
import { parseIpSets } from "../src/ruleset/ipset-parser.js";
import { writeIpSets } from "../src/ruleset/ipset.js";

const ROOT = join(import.meta.dirname, "..", "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
if (UPDATE && process.env.CI) throw new Error("UPDATE_GOLDEN is refused when CI is set: golden files are the contract");

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

/**
 * A case's inputs: its own YAML files, or — when it has an `inputs` file — the
 * files and directories listed there (relative to the case), so a case can
 * compile examples/ without copying them.
 */
function caseInputs(dir: string): { path: string; text: string }[] {
  const list = join(dir, "inputs");
  if (!existsSync(list)) return inputsOf(dir);
  const out: { path: string; text: string }[] = [];
  for (const p of readFileSync(list, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))) {
    const abs = join(dir, p);
    if (statSync(abs).isDirectory()) out.push(...inputsOf(abs).map((f) => ({ path: `${p}/${f.path}`, text: f.text })));
    else out.push({ path: p, text: readFileSync(abs, "utf8") });
  }
  return out;
}

function produce(dir: string): Map<string, string> {
  const argsFile = join(dir, "args");
  const extra = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/).filter(Boolean) : [];
  const args = parseArgs(["-o", "unused", ...extra], COMPILE_FLAGS);
  const res = runCompile(caseInputs(dir), args);
  const files = new Map(res.files);
  if (res.stderr) files.set("diagnostics.txt", res.stderr);
  return files;
}

const cases = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory()).sort(byteCompare) : [];

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
      const argsFile = join(dir, "args");
      const extra = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/).filter(Boolean) : [];
      const opts = compileOptionsFrom(parseArgs(extra, COMPILE_FLAGS));
      // kube-proxy's restore payload (its unit tests' layout) and `iptables -S` lines are not iptables-save text;
      // test/backends/kubeproxy compares them with the spec instead.
      const saveText = emitsSaveText(opts);
      for (const [f, text] of produce(dir)) {
        if (f.endsWith(".iptables") && saveText) {
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
      const argsFile = join(dir, "args");
      const extra = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/).filter(Boolean) : [];
      const res = compile(caseInputs(dir), compileOptionsFrom(parseArgs(extra, COMPILE_FLAGS)));
      for (const out of res.outputs) expect(checkJumpTargets(out.ruleset), `${name}/${out.node}`).toEqual([]);
    });
  }
});
