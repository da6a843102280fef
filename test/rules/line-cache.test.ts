// RuleLineCache: parses that share it give exactly what parses without it
// give — rules (line numbers included), jump checks and diagnostics — while
// lines seen before are not lexed again.
import { describe, expect, it } from "vitest";
import { goldenExpectedFiles } from "../helpers/golden-files.js";
import { parseRuleSet, RuleLineCache, type ParseResult } from "../../src/rules/parser.js";

const goldenRuleFiles = (): { path: string; text: string }[] => goldenExpectedFiles([".iptables", ".ip6tables"]);

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

  describe("Felix lines that differ only in their chain's name and hash", () => {
    const HASHES = ["AAAAAAAAAAAAAAAA", "b-_9zZq0Xw1Yv2Uu", "_______________-"];
    /** One file: an endpoint chain per name, each with the same three Felix lines but their own hashes, and a jump to an undeclared chain. */
    const file = (names: readonly string[]): string => {
      const head = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:cali-pi-x - [0:0]\n" + names.map((n) => `:${n} - [0:0]\n`).join("");
      const body = names
        .map(
          (n, i) =>
            `-A ${n} -m comment --comment "cali:${HASHES[i % 3]}" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n` +
            `-A ${n} -p tcp -m comment --comment "cali:${HASHES[(i + 1) % 3]}" -m mark --mark 0x0/0x20000 -j cali-pi-x\n` +
            `-A ${n} -m comment --comment "cali:${HASHES[(i + 2) % 3]}" -m comment --comment "Drop if no policies" -j cali-missing-${i}\n`,
        )
        .join("");
      return head + body + "COMMIT\n";
    };

    it("are taken from one parse of the shape, and give what parsing them gives: rules, hashes, jump warnings at their columns", () => {
      const lines = new RuleLineCache();
      const first = file(["cali-tw-a", "cali-tw-bbbbbbbbbbbbbbbbbbbbb"]);
      expect(plain(parseRuleSet(first, { file: "one", lines }))).toEqual(plain(parseRuleSet(first, { file: "one" })));
      // Two shapes shared by both chains, and the third line's two (its jump target is the chain's own).
      expect(lines.hashed.size).toBe(4);
      // Names of other lengths, hashes in other lines: the jump warnings' columns move with the name.
      const second = file(["cali-fw-c", "cali-tw-dd", "cali-tw-e.f+g_h-i"]);
      const cached = parseRuleSet(second, { file: "two", lines });
      expect(plain(cached)).toEqual(plain(parseRuleSet(second, { file: "two" })));
      expect(cached.diagnostics.filter((d) => d.id === "iptables/unknown-target").length).toBe(3);
      const hashes = cached.ruleset.tables[0]!.chains.find((c) => c.name === "cali-tw-dd")!.rules.map((r) => JSON.stringify(r.parts).match(/cali:[^"]*/)![0]);
      expect(hashes).toEqual(["cali:" + HASHES[1], "cali:" + HASHES[2], "cali:" + HASHES[0]]);
    });

    it("a line whose hash text is also elsewhere in it, or whose chain name the lexer may read otherwise, is parsed, not templated", () => {
      const lines = new RuleLineCache();
      const h = "QQQQQQQQQQQQQQQQ";
      const twice = (n: string, hash: string): string => `-A ${n} -m comment --comment "cali:${hash}" -m comment --comment "cali:${hash}" -j ACCEPT\n`;
      const text = (names: string[], hash: string): string =>
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + names.map((n) => `:${n} - [0:0]\n`).join("") + names.map((n) => twice(n, hash)).join("") + "COMMIT\n";
      const a = text(["cali-tw-a"], h);
      parseRuleSet(a, { lines });
      expect(lines.hashed.size).toBe(0);
      const b = text(["cali-tw-b", "cali-tw-c"], "RRRRRRRRRRRRRRRR");
      expect(plain(parseRuleSet(b, { lines }))).toEqual(plain(parseRuleSet(b)));
      // A shape learnt from a plain name is not applied to a name with a quote or a colon: those lines are parsed (and fail as they should).
      const plainLine = "*filter\n:cali-x - [0:0]\n-A cali-x -m comment --comment \"cali:AAAAAAAAAAAAAAAA\" -j ACCEPT\nCOMMIT\n";
      parseRuleSet(plainLine, { lines });
      for (const odd of ['"cali-y', "cali:y", "cali-y!"]) {
        const t = `*filter\n:cali-x - [0:0]\n-A ${odd} -m comment --comment "cali:BBBBBBBBBBBBBBBB" -j ACCEPT\nCOMMIT\n`;
        expect(plain(parseRuleSet(t, { file: "f", lines })), odd).toEqual(plain(parseRuleSet(t, { file: "f" })));
      }
    });
  });
});
