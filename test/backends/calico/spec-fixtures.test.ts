// The worked examples F1–F5 of spec felix-format §11, byte for byte. The
// expected text in ./expected was copied from the spec, never generated.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { renderCalicoNode } from "../../../src/backends/calico/index.js";
import { writeIpSets } from "../../../src/rules/ipset.js";
import { writeRuleSet, writeTable } from "../../../src/rules/writer.js";
import type { TableName } from "../../../src/rules/types.js";
import type { NodeOutput } from "../../../src/backends/types.js";
import { Compilation } from "../../../src/compilation.js";
import {
  ALLOW_DB_ACCESS,
  DEFAULT_DENY,
  chainLines,
  ipBlock,
  podPeer,
  policy,
  port,
  rule,
  scenario,
  sel,
  P27_OPTIONS,
} from "./fixtures.js";

const expected = (name: string): string => readFileSync(new URL(`./expected/${name}`, import.meta.url), "utf8");
const expectedLines = (name: string): string[] => expected(name).trimEnd().split("\n");

function table(out: NodeOutput, name: TableName): string {
  const t = out.ruleset.tables.find((x) => x.name === name);
  if (!t) throw new Error(`no ${name} table`);
  return writeTable(t);
}

const render = (policies = [ALLOW_DB_ACCESS, DEFAULT_DENY]) => renderCalicoNode(new Compilation(scenario(policies)), "node1", P27_OPTIONS);

describe("F1 allow-db-access", () => {
  const filter = table(render([ALLOW_DB_ACCESS]), "filter");
  test("policy chain", () => {
    expect(chainLines(filter, "cali-pi-_tTE-E7yY40ogArNVgKt")).toEqual(expectedLines("f1.pi"));
  });
  test("the 22 endpoint-chain lines of §3.2 for the db pod", () => {
    const got = [...chainLines(filter, "cali-tw-cali95aa86cbb2a"), ...chainLines(filter, "cali-fw-cali95aa86cbb2a")];
    expect(got).toEqual(expectedLines("f1.endpoint"));
  });
  test("ingress-only policy has no cali-po chain", () => {
    expect(filter).not.toContain("cali-po-");
  });
});

describe("F2 default-deny + allow", () => {
  const filter = table(render(), "filter");
  test("both tw chains and the comment-only default-deny chain", () => {
    const got = [
      ...chainLines(filter, "cali-tw-cali95aa86cbb2a"),
      ...chainLines(filter, "cali-tw-cali2b1490aa46a"),
      ...chainLines(filter, "cali-pi-_R3gvoG4sTTQrQ1d4clb"),
    ];
    expect(got).toEqual(expectedLines("f2.tw"));
  });
});

const BACKEND_EGRESS = policy("backend-egress", {
  podSelector: sel({ app: "backend" }),
  types: ["Egress"],
  egress: [
    rule([podPeer(sel({ app: "db" }))], [port("TCP", 5432)], 0),
    rule(
      [podPeer(sel({ "k8s-app": "kube-dns" }), sel({ "kubernetes.io/metadata.name": "kube-system" }))],
      [port("UDP", 53), port("TCP", 53)],
      1,
    ),
    rule([ipBlock("10.0.0.0/8", ["10.0.5.0/24", "10.0.6.0/24"])], [port("TCP", 443), port("TCP", 8000, 8080)], 2),
  ],
});

describe("F3 backend-egress", () => {
  const out = render([BACKEND_EGRESS]);
  const filter = table(out, "filter");
  test("whole policy chain", () => {
    expect(chainLines(filter, "cali-po-_TLgRoGmpg_-k85XlT90")).toEqual(expectedLines("f3.po"));
  });
  test("the backend's fw chain jumps to it; egress-only policy has no cali-pi chain", () => {
    const fw = chainLines(filter, "cali-fw-cali2b1490aa46a").map((l) => l.replace(/"cali:[^"]+"/, "H"));
    expect(fw.slice(5, 9)).toEqual([
      '-A cali-fw-cali2b1490aa46a -m comment --comment H -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x20000',
      "-A cali-fw-cali2b1490aa46a -m comment --comment H -m mark --mark 0x0/0x20000 -j cali-po-_TLgRoGmpg_-k85XlT90",
      '-A cali-fw-cali2b1490aa46a -m comment --comment H -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-fw-cali2b1490aa46a -m comment --comment H -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
    ]);
    expect(filter).not.toContain("cali-pi-");
  });
  test("sets: db selector set has the db pod, kube-dns set is empty", () => {
    const sets = writeIpSets(out.ipsets);
    expect(sets).toContain("create cali40s:rr5gmoszvjfXIf4eUdbrWFD hash:net family inet hashsize 1024 maxelem 1048576\nadd cali40s:rr5gmoszvjfXIf4eUdbrWFD 192.168.231.5\n");
    expect(sets).toContain("create cali40s:TwSPtm330ezw8L_TsjzvdD8 hash:net family inet hashsize 1024 maxelem 1048576\ncreate");
  });
});

const ALLOW_HTTP = policy("allow-http", {
  podSelector: sel({ app: "db" }),
  ingress: [rule([podPeer(sel(), sel())], [port("TCP", "http"), port("TCP", 9090)])],
});

describe("F4 named + numeric port", () => {
  const out = render([ALLOW_HTTP]);
  test("whole policy chain", () => {
    expect(chainLines(table(out, "filter"), "cali-pi-_hj7n1TFWR17MgjrWM41")).toEqual(expectedLines("f4.pi"));
  });
  test("set names and types", () => {
    const names = out.ipsets.map((s) => `${s.name} ${s.type}`);
    expect(names).toContain("cali40s:Vbl4aLpsO8Ss0UCzvsdmKAp hash:net");
    expect(names).toContain("cali40n:cl9_Kgeu4H0OGLbhovVR3NB hash:ip,port");
  });
});

describe("F5 complete node1 output", () => {
  const out = render();
  test("filter table byte for byte", () => {
    expect(table(out, "filter")).toBe(expected("f5.filter"));
  });
  test("nat, raw and mangle exactly §8.1–§8.3", () => {
    expect(table(out, "nat")).toBe(expected("f5.nat"));
    expect(table(out, "raw")).toBe(expected("f5.raw"));
    expect(table(out, "mangle")).toBe(expected("f5.mangle"));
  });
  test("whole ruleset is raw, mangle, nat, filter", () => {
    expect(writeRuleSet(out.ruleset)).toBe(
      expected("f5.raw") + expected("f5.mangle") + expected("f5.nat") + expected("f5.filter"),
    );
  });
  test("ipsets byte for byte", () => {
    expect(writeIpSets(out.ipsets)).toBe(expected("f5.ipsets"));
  });
});
