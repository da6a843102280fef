// RuleLineCache: parses that share it give exactly what parses without it
// give — rules (line numbers included), jump checks and diagnostics — while
// lines seen before are not lexed again.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRuleSet, RuleLineCache, type ParseResult } from "../../src/rules/parser.js";

const GOLDEN = join(import.meta.dirname, "../../golden");

/** Every `.iptables` / `.ip6tables` file of the golden cases, in a fixed order. */
function goldenRuleFiles(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const c of readdirSync(GOLDEN).sort()) {
    let files: string[];
    try {
      files = readdirSync(join(GOLDEN, c, "expected")).sort();
    } catch {
      continue;
    }
    for (const f of files) if (f.endsWith(".iptables") || f.endsWith(".ip6tables")) out.push({ path: join(c, f), text: readFileSync(join(GOLDEN, c, "expected", f), "utf8") });
  }
  return out;
}

const plain = (r: ParseResult) => ({ ruleset: r.ruleset, diagnostics: r.diagnostics, unknownModules: r.unknownModules, unknownTargets: r.unknownTargets });

describe("RuleLineCache", () => {
  it("gives every golden rules file exactly the uncached parse, one cache across all of them", () => {
    const files = goldenRuleFiles();
    expect(files.length).toBeGreaterThan(50);
    const lines = new RuleLineCache();
    for (const f of files) expect(plain(parseRuleSet(f.text, { file: f.path, lines })), f.path).toEqual(plain(parseRuleSet(f.text, { file: f.path })));
    // Lines repeat across nodes and cases: the cache holds far fewer lines than were parsed.
    const appended = files.reduce((n, f) => n + f.text.split("\n").filter((l) => l.startsWith("-A ")).length, 0);
    expect(lines.appends.size).toBeGreaterThan(0);
    expect(lines.appends.size).toBeLessThan(appended / 2);
  });

  it("a cached line lands at its own line number, and its jump is checked against this file's chains", () => {
    const lines = new RuleLineCache();
    const first = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n-A a -s 10.0.0.1/32 -j b\nCOMMIT\n";
    expect(parseRuleSet(first, { file: "one", lines }).diagnostics).toEqual([]);
    // The same `-A a …` line, two lines lower, in a file where b does not exist (a jump to an unknown target: a warning).
    const second = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:a - [0:0]\n-A a -j ACCEPT\n-A a -j ACCEPT\n-A a -s 10.0.0.1/32 -j b\nCOMMIT\n";
    const cached = parseRuleSet(second, { file: "two", lines });
    const fresh = parseRuleSet(second, { file: "two" });
    expect(plain(cached)).toEqual(plain(fresh));
    expect(cached.ruleset.tables[0]!.chains.find((c) => c.name === "a")!.rules.map((r) => r.line)).toEqual([6, 7, 8]);
    expect(cached.diagnostics.map((d) => [d.line, d.col, d.message])).toEqual([[8, 24, "unknown target b: not a standard target nor a chain of table filter"]]);
  });

  it("a cached line whose chain this file does not declare is parsed, and reported as without the cache", () => {
    const lines = new RuleLineCache();
    parseRuleSet("*filter\n:x - [0:0]\n-A x -p tcp -m tcp --dport 80 -j ACCEPT\nCOMMIT\n", { lines });
    const text = "*filter\n:y - [0:0]\n-A x -p tcp -m tcp --dport 80 -j ACCEPT\n-A y -j DROP\nCOMMIT\n";
    const cached = parseRuleSet(text, { lines });
    expect(plain(cached)).toEqual(plain(parseRuleSet(text)));
    expect(cached.diagnostics.map((d) => [d.line, d.message])).toEqual([[3, "chain x is not declared in table filter"]]);
  });

  it("lines with a diagnostic are not kept, so each parse reports them", () => {
    const lines = new RuleLineCache();
    const text = "*filter\n:x - [0:0]\n-A x -m frobnicate --level 3 -j ACCEPT\nCOMMIT\n";
    const a = parseRuleSet(text, { lines });
    const b = parseRuleSet(text, { lines });
    expect(a.unknownModules).toEqual(["frobnicate"]);
    expect(plain(b)).toEqual(plain(a));
    expect(lines.appends.size).toBe(0);
  });

  it("header-less `iptables -S` text and a missing final newline parse alike with the cache", () => {
    const lines = new RuleLineCache();
    const text = "-P INPUT ACCEPT\n-N x\n-A x -d 10.1.0.0/16 -j RETURN\n-A INPUT -j x";
    parseRuleSet(text, { lines, defaultTable: "filter" });
    const again = parseRuleSet(text, { lines, defaultTable: "filter" });
    expect(plain(again)).toEqual(plain(parseRuleSet(text, { defaultTable: "filter" })));
    expect(again.ruleset.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules[0]!.line).toBe(4);
  });

  it("user chain declarations taken without the lexer say what the parser says: duplicates, built-ins, outside a table, odd spellings", () => {
    const texts = [
      ":early - [0:0]\n*filter\n:x - [0:0]\n:x - [0:0]\n:INPUT - [0:0]\n:FORWARD DROP [0:0]\n:y.z+1_a - [12:34]\n:w - [0:0] # a comment\n:v  -  [0:0]\n:u ACCEPT [0:0]\n:t - [x:0]\n-A x -j y.z+1_a\nCOMMIT\n:late - [0:0]\n",
      "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SVC-ABC - [0:0]\n:KUBE-SVC-ABC - [0:0]\nCOMMIT\n",
    ];
    for (const text of texts) {
      const lines = new RuleLineCache();
      const cached = parseRuleSet(text, { file: "f", lines });
      expect(plain(cached)).toEqual(plain(parseRuleSet(text, { file: "f" })));
      expect(cached.diagnostics.length).toBeGreaterThan(0);
    }
  });
});
