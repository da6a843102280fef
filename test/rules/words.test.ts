// Rule words: short and long flags, both argument orders, negation, quoting,
// and `iptables -S` lines with no table header.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { head, m, t } from "../../src/rules/build.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";
import type { RuleSet } from "../../src/rules/types.js";
import { rulesOf, withoutLines } from "./helpers.js";

const filterWith = (...lines: string[]): string =>
  ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":cali-x - [0:0]", ...lines, "COMMIT", ""].join("\n");

describe("argument orders", () => {
  const saved = "-A cali-x -d 10.96.0.10/32 -p tcp -m comment --comment \"cali:abc\" -m tcp --dport 53 -j ACCEPT";
  it("saved order: head fields first, then -m in order, then the target", () => {
    const rs = parseRuleSet(filterWith(saved)).ruleset;
    expect(rulesOf(rs, "filter", "cali-x")).toEqual([
      {
        parts: [head.destination("10.96.0.10/32"), head.protocol("tcp"), m.comment("cali:abc"), m.generic("tcp", m.opt("dport", ["53"]))],
        target: t.accept(),
      },
    ]);
  });

  it("restore-input order with long flags keeps the order written and normalises the flag spelling", () => {
    const text = filterWith(
      '-A cali-x --match comment --comment "cali:abc" --protocol tcp --destination 10.96.0.10/32 --match tcp --dport 53 --jump ACCEPT',
    );
    const r = parseRuleSet(text);
    expect(r.diagnostics).toEqual([]);
    expect(rulesOf(r.ruleset, "filter", "cali-x")[0]!.parts).toEqual([
      m.comment("cali:abc"),
      head.protocol("tcp"),
      head.destination("10.96.0.10/32"),
      m.generic("tcp", m.opt("dport", ["53"])),
    ]);
    expect(writeRuleSet(r.ruleset)).toContain('-A cali-x -m comment --comment "cali:abc" -p tcp -d 10.96.0.10/32 -m tcp --dport 53 -j ACCEPT\n');
  });

  it("--source/--src, --in-interface, --out-interface, --goto are the short flags' kinds", () => {
    const text = filterWith("-A cali-x ! --src 10.0.0.0/8 --dst 10.1.0.0/16 --in-interface cali+ ! --out-interface tunl0 --goto cali-x");
    const rule = rulesOf(parseRuleSet(text).ruleset, "filter", "cali-x")[0]!;
    expect(rule).toEqual({
      parts: [head.source("10.0.0.0/8", true), head.destination("10.1.0.0/16"), head.inInterface("cali+"), head.outInterface("tunl0", true)],
      target: t.goto("cali-x"),
    });
  });

  it("-p tcp --dport without -m tcp loads tcp's match implicitly, as iptables does", () => {
    const rs = parseRuleSet(filterWith("-A cali-x -p tcp --dport 80 -j DROP")).ruleset;
    expect(writeRuleSet(rs)).toContain("-A cali-x -p tcp -m tcp --dport 80 -j DROP\n");
  });

  it("multiport --source-ports and addrtype --src-type are options, not -s (longer_alt)", () => {
    const text = filterWith("-A cali-x -m multiport --source-ports 443,8000:8080 -m addrtype ! --src-type LOCAL --limit-iface-out -j RETURN");
    const r = parseRuleSet(text);
    expect(r.diagnostics).toEqual([]);
    expect(rulesOf(r.ruleset, "filter", "cali-x")[0]!.parts).toEqual([
      m.generic("multiport", m.opt("source-ports", ["443,8000:8080"])),
      m.addrtype(m.opt("src-type", ["LOCAL"], true), m.opt("limit-iface-out")),
    ]);
    expect(writeRuleSet(r.ruleset)).toBe(text);
  });

  it("bare words: set names with ':', masks, states, dst,dst; target options", () => {
    const text = filterWith(
      "-A cali-x -m set ! --match-set cali40s:AbC-_x dst,dst -m conntrack --ctstate RELATED,ESTABLISHED -m mark --mark 0x10000/0x10000 -j MARK --set-xmark 0x0/0x10000",
    );
    const rule = rulesOf(parseRuleSet(text).ruleset, "filter", "cali-x")[0]!;
    expect(rule).toEqual({
      parts: [m.set("cali40s:AbC-_x", "dst,dst", true), m.conntrack(["RELATED", "ESTABLISHED"]), m.mark(0x10000, 0x10000)],
      target: t.setXmark(0, 0x10000),
    });
  });
});

describe("quoting", () => {
  it('--comment "a \\"quoted\\" word" round-trips through saveString', () => {
    const text = filterWith('-A cali-x -m comment --comment "a \\"quoted\\" word \\\\ done" -j LOG --log-prefix "calico-packet: " --log-level 5');
    const r = parseRuleSet(text);
    const rule = rulesOf(r.ruleset, "filter", "cali-x")[0]!;
    expect(rule.parts).toEqual([m.comment('a "quoted" word \\ done')]);
    expect(rule.target).toEqual(t.jump("LOG", m.opt("log-prefix", ["calico-packet: "], false, true), m.opt("log-level", ["5"])));
    expect(writeRuleSet(r.ruleset)).toBe(text);
  });

  it("any comment text survives write → parse → write (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", minLength: 0, maxLength: 40 }), (comment) => {
        // A bare comment that looks like a flag would be re-read as that flag; iptables-save has the same limitation.
        fc.pre(!/^-/.test(comment) || /[^A-Za-z0-9_-]/.test(comment));
        const rs: RuleSet = {
          tables: [{ name: "filter", chains: [{ name: "INPUT", policy: "ACCEPT", rules: [{ parts: [m.comment(comment)], target: t.accept() }] }, { name: "FORWARD", policy: "ACCEPT", rules: [] }, { name: "OUTPUT", policy: "ACCEPT", rules: [] }] }],
        };
        const text = writeRuleSet(rs);
        const back = parseRuleSet(text);
        expect(back.diagnostics).toEqual([]);
        expect(withoutLines(back.ruleset)).toEqual(rs);
        expect(writeRuleSet(back.ruleset)).toBe(text);
      }),
    );
  });
});

describe("iptables -S / --list-rules", () => {
  // Lines as the seed capture shows them (KUBE-* from kube-proxy), OCR damage repaired.
  const listRules = [
    "-P INPUT ACCEPT",
    "-P FORWARD DROP",
    "-P OUTPUT ACCEPT",
    "-N KUBE-FORWARD",
    "-N KUBE-SERVICES",
    '-A KUBE-FORWARD -s 192.168.0.0/16 -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A KUBE-SERVICES -d 10.101.168.10/32 -p tcp -m comment --comment "knative-monitoring/fluentd-ds:fluentd-tcp has no endpoints" -m tcp --dport 24224 -j REJECT --reject-with icmp-port-unreachable',
    "",
  ].join("\n");

  it("header-less lines go to the filter table by default and need no COMMIT", () => {
    const r = parseRuleSet(listRules);
    expect(r.diagnostics).toEqual([]);
    expect(writeRuleSet(r.ruleset)).toBe(
      [
        "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ":KUBE-FORWARD - [0:0]", ":KUBE-SERVICES - [0:0]",
        ...listRules.split("\n").filter((l) => l.startsWith("-A ")),
        "COMMIT", "",
      ].join("\n"),
    );
    expect(rulesOf(r.ruleset, "filter", "KUBE-SERVICES")[0]!.target).toEqual(t.jump("REJECT", m.opt("reject-with", ["icmp-port-unreachable"])));
  });

  it("defaultTable picks the table (iptables -t nat -S)", () => {
    const r = parseRuleSet("-P PREROUTING ACCEPT\n-N KUBE-SERVICES\n-A PREROUTING -j KUBE-SERVICES\n", { defaultTable: "nat" });
    expect(r.diagnostics).toEqual([]);
    expect(r.ruleset.tables.map((x) => x.name)).toEqual(["nat"]);
  });
});

describe("keywords inside rules", () => {
  it("COMMIT as a bare comment or chain name is a word", () => {
    const text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:COMMIT - [0:0]\n-A INPUT -m comment --comment COMMIT -j COMMIT\nCOMMIT\n";
    const r = parseRuleSet(text);
    expect(r.diagnostics).toEqual([]);
    expect(writeRuleSet(r.ruleset)).toBe(text);
  });
});
