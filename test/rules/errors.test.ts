// Errors carry line:col and say what was expected; unknown modules and
// targets are kept but flagged, never silently dropped.
import { describe, expect, it } from "vitest";
import { formatParseDiagnostic, parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";

const messages = (text: string): string[] => parseRuleSet(text, { file: "n1.iptables" }).diagnostics.map(formatParseDiagnostic);
const HEAD = "*filter\n:INPUT ACCEPT [0:0]\n:cali-x - [0:0]\n";

describe("syntax errors", () => {
  it.each([
    ["-A\n", "n1.iptables:4:3: error: expected a chain name after -A, found end of line"],
    ["-A -j ACCEPT\n", "n1.iptables:4:4: error: expected a chain name after -A, found '-j'"],
    ["-A cali-x -s\n", "n1.iptables:4:13: error: expected a value after -s, found end of line"],
    ["-A cali-x -m\n", "n1.iptables:4:13: error: expected a match module name after -m, found end of line"],
    ["-A cali-x -j --set-xmark 0x0/0x1\n", "n1.iptables:4:14: error: expected a target after -j, found '--set-xmark'"],
    ["-A cali-x ! -m set\n", "n1.iptables:4:13: error: expected -s, -d, -i, -o, -p or an --option after '!', found '-m'"],
    ["-A cali-x -s 10.0.0.1 10.0.0.2\n", "n1.iptables:4:23: error: unexpected '10.0.0.2'"],
    ["bogus line\n", "n1.iptables:4:1: error: expected *table, :chain, -A, -N, -P or COMMIT at the start of a line, found 'bogus'"],
    ['-A cali-x -m comment --comment "open\n', "n1.iptables:4:32: error: unterminated quoted string"],
    [":cali-y\n", "n1.iptables:4:8: error: expected a policy (ACCEPT, DROP or -) after the chain name, found end of line"],
  ])("%j", (line, expected) => {
    expect(messages(HEAD + line + "COMMIT\n")).toEqual([expected]);
  });

  it("a bad line does not stop the lines after it", () => {
    const r = parseRuleSet(HEAD + "-A\n-A cali-x -j ACCEPT\nCOMMIT\n");
    expect(r.diagnostics).toHaveLength(1);
    expect(r.ruleset.tables[0]!.chains.find((c) => c.name === "cali-x")!.rules).toHaveLength(1);
  });

  it("diagnostics are data: id, severity, span, line, col", () => {
    const [d] = parseRuleSet(HEAD + "-A\nCOMMIT\n", { file: "f" }).diagnostics;
    expect(d).toEqual({ id: "iptables/syntax", severity: "error", message: "expected a chain name after -A, found end of line", span: { file: "f", start: 46, end: 46 }, line: 4, col: 3 });
  });
});

describe("structural errors", () => {
  it.each([
    ["-A cali-nope -j ACCEPT\n", "n1.iptables:4:4: error: chain cali-nope is not declared in table filter"],
    ["-A cali-x -g cali-nope\n", "n1.iptables:4:14: error: -g target cali-nope is not a chain of table filter"],
    [":cali-x - [0:0]\n", "n1.iptables:4:2: error: chain cali-x is declared twice in table filter"],
    [":cali-y ACCEPT [0:0]\n", "n1.iptables:4:9: error: user-defined chain cali-y cannot have a policy; expected '-'"],
    [":FORWARD - [0:0]\n", "n1.iptables:4:10: error: expected policy ACCEPT or DROP for built-in chain FORWARD, found '-'"],
    [":PREROUTING ACCEPT [0:0]\n", "n1.iptables:4:2: error: PREROUTING is not a built-in chain of table filter"],
    ["-A cali-x -s 10.0.0.1 --dport 80 -j DROP\n", "n1.iptables:4:23: error: option --dport must follow -m <module> or -j <target>"],
    ["-A cali-x -g cali-x --foo\n", "n1.iptables:4:21: error: -g takes no options, found --foo"],
    ["-A cali-x -j ACCEPT -j DROP\n", "n1.iptables:4:21: error: a rule has one target; found a second -j"],
  ])("%j", (line, expected) => {
    expect(messages(HEAD + line + "COMMIT\n")).toEqual([expected]);
  });

  it("tables: unknown name, missing COMMIT, COMMIT outside a table, declaration outside a table", () => {
    expect(messages("*nope\nCOMMIT\n")).toEqual([
      "n1.iptables:1:2: error: unknown table 'nope'; expected one of raw, mangle, nat, filter",
      "n1.iptables:2:1: error: COMMIT without a table; expected *table first",
    ]);
    expect(messages("*filter\n*nat\nCOMMIT\n")).toEqual(["n1.iptables:2:2: error: expected COMMIT before the next table (table filter is still open)"]);
    expect(messages("*filter\n:INPUT ACCEPT [0:0]\n")).toEqual(["n1.iptables:3:1: error: expected COMMIT at end of input (table filter is still open)"]);
    expect(messages(":cali-x - [0:0]\n")).toEqual(["n1.iptables:1:2: error: chain declaration outside a table; expected *table first"]);
  });
});

describe("unknown modules and targets are kept and flagged", () => {
  const text = HEAD + "-A cali-x -m owner --uid-owner 0 -m tcp --dport 22 -j CT --notrack\nCOMMIT\n";

  it("lists them and warns with positions", () => {
    const r = parseRuleSet(text, { file: "n1.iptables" });
    expect(r.unknownModules).toEqual(["owner"]);
    expect(r.unknownTargets).toEqual(["CT"]);
    expect(r.diagnostics.map(formatParseDiagnostic)).toEqual([
      "n1.iptables:4:14: warning: unknown match module 'owner' (kept as written)",
      "n1.iptables:4:55: warning: unknown target CT: not a standard target nor a chain of table filter",
    ]);
    expect(r.diagnostics.every((d) => d.severity === "warning")).toBe(true);
  });

  it("still writes them back", () => {
    expect(writeRuleSet(parseRuleSet(text).ruleset)).toContain("-A cali-x -m owner --uid-owner 0 -m tcp --dport 22 -j CT --notrack\n");
  });
});
