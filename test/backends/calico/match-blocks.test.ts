// Rule → Felix rules: the match-block table of spec felix-format §4.4, port
// splitting (§4.3) and IPv4 filtering (§4.5).
import { describe, expect, test } from "vitest";
import type { CalicoRule } from "../../../src/backends/calico/convert.js";
import { simplifyPorts } from "../../../src/backends/calico/convert.js";
import { chain } from "../../../src/backends/calico/felix-rule.js";
import { multiportList, renderAllowRule, splitPortList } from "../../../src/backends/calico/policy-rules.js";
import { SetRegistry } from "../../../src/backends/calico/sets.js";
import { Renderer, writeRuleBody } from "../../../src/rules/writer.js";

const BASE: CalicoRule = {
  protocol: null,
  srcSelector: null,
  dstSelector: null,
  srcNets: [],
  notSrcNets: [],
  dstNets: [],
  notDstNets: [],
  dstPorts: [],
};

/** Rendered rule bodies with the hash comment removed. */
function render(r: Partial<CalicoRule>): string[] {
  const rules = renderAllowRule({ ...BASE, ...r }, new SetRegistry());
  return new Renderer().savedRules(chain("c", rules)).map((x) => writeRuleBody(x).replace(/-m comment --comment "cali:[^"]+" ?/, "").trim());
}

const ACCEPT = "-j MARK --set-xmark 0x10000/0x10000";
const RETURN = "-m mark --mark 0x10000/0x10000 -j RETURN";

describe("§4.4 table (src nets / !src nets)", () => {
  test("2 / 0", () => {
    expect(render({ srcNets: ["10.0.0.0/8", "11.0.0.0/8"] })).toEqual([
      "-j MARK --set-xmark 0x0/0xc0000",
      "-s 10.0.0.0/8 -j MARK --set-xmark 0x40000/0x40000",
      "-s 11.0.0.0/8 -j MARK --set-xmark 0x40000/0x40000",
      `-m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("1 / 1", () => {
    expect(render({ srcNets: ["10.0.0.0/8"], notSrcNets: ["10.1.0.0/16"] })).toEqual([
      "-j MARK --set-xmark 0x40000/0xc0000",
      "-s 10.1.0.0/16 -j MARK --set-xmark 0x0/0x40000",
      `-s 10.0.0.0/8 -m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("2 / 1: the single negation fits in the main rule", () => {
    expect(render({ srcNets: ["10.0.0.0/8", "11.0.0.0/8"], notSrcNets: ["10.1.0.0/16"] })).toEqual([
      "-j MARK --set-xmark 0x0/0xc0000",
      "-s 10.0.0.0/8 -j MARK --set-xmark 0x40000/0x40000",
      "-s 11.0.0.0/8 -j MARK --set-xmark 0x40000/0x40000",
      `! -s 10.1.0.0/16 -m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("0 / 2", () => {
    expect(render({ notSrcNets: ["10.1.0.0/16", "10.2.0.0/16"] })).toEqual([
      "-j MARK --set-xmark 0x40000/0xc0000",
      "-s 10.1.0.0/16 -j MARK --set-xmark 0x0/0x40000",
      "-s 10.2.0.0/16 -j MARK --set-xmark 0x0/0x40000",
      `-m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("0 / 1: a lone negation needs no block", () => {
    expect(render({ notSrcNets: ["10.1.0.0/16"] })).toEqual([`! -s 10.1.0.0/16 ${ACCEPT}`, RETURN]);
  });
  test("a later positive block ANDs through scratch1", () => {
    const ports = Array.from({ length: 16 }, (_, i) => ({ kind: "range" as const, first: 1000 + 2 * i, last: 1000 + 2 * i }));
    const got = render({ protocol: "tcp", dstPorts: ports, dstNets: ["10.0.0.0/8", "11.0.0.0/8"] });
    expect(got[0]).toBe("-j MARK --set-xmark 0x0/0xc0000");
    expect(got[1]).toMatch(/^-p tcp -m multiport --dports 1000,.*,1028 -j MARK --set-xmark 0x40000\/0x40000$/);
    expect(got[2]).toBe("-p tcp -m multiport --dports 1030 -j MARK --set-xmark 0x40000/0x40000");
    expect(got.slice(3)).toEqual([
      "-d 10.0.0.0/8 -j MARK --set-xmark 0x80000/0x80000",
      "-d 11.0.0.0/8 -j MARK --set-xmark 0x80000/0x80000",
      "-m mark --mark 0x0/0x80000 -j MARK --set-xmark 0x0/0x40000",
      `-p tcp -m mark --mark 0x40000/0x40000 ${ACCEPT}`,
      RETURN,
    ]);
  });
  test("dst ports block then negated dst block share one init rule", () => {
    const got = render({
      protocol: "tcp",
      dstPorts: [{ kind: "range", first: 80, last: 80 }, { kind: "named", name: "http" }],
      dstNets: ["10.0.0.0/8"],
      notDstNets: ["10.5.0.0/16"],
    });
    expect(got.filter((l) => l.includes("0xc0000"))).toHaveLength(1);
    expect(got[got.length - 3]).toBe("-d 10.5.0.0/16 -j MARK --set-xmark 0x0/0x40000");
    expect(got[got.length - 2]).toBe(`-d 10.0.0.0/8 -p tcp -m mark --mark 0x40000/0x40000 ${ACCEPT}`);
  });
});

describe("ports (§4.3, §10.3.6)", () => {
  const r = (first: number, last = first) => ({ kind: "range" as const, first, last });
  test("15 slots per multiport; a range costs 2", () => {
    const ports = [...Array.from({ length: 14 }, (_, i) => r(i + 1)), r(100, 200)];
    expect(splitPortList(ports).map(multiportList)).toEqual(["1,2,3,4,5,6,7,8,9,10,11,12,13,14", "100:200"]);
    expect(splitPortList(Array.from({ length: 15 }, (_, i) => r(i + 1)))).toHaveLength(1);
  });
  test("SimplifyPorts", () => {
    expect(simplifyPorts([r(443), r(80)])).toEqual([r(80), r(443)]);
    expect(simplifyPorts([r(80), r(81), r(82)])).toEqual([r(80, 82)]);
    expect(simplifyPorts([{ kind: "named", name: "http" }, r(9090)])).toEqual([{ kind: "named", name: "http" }, r(9090)]);
    expect(simplifyPorts([r(9090), { kind: "named", name: "a" }, r(9091)])).toEqual([{ kind: "named", name: "a" }, r(9090, 9091)]);
  });
});

describe("IPv4 filtering (§4.5)", () => {
  test("an all-IPv6 list drops the rule", () => {
    expect(render({ srcNets: ["fd00::/8"] })).toEqual([]);
    expect(render({ srcNets: ["10.0.0.0/8"], notSrcNets: ["fd00::/64"] })).toEqual([]);
  });
  test("mixed lists keep the IPv4 entries", () => {
    expect(render({ srcNets: ["10.0.0.0/8"], notSrcNets: ["fd00::/64", "10.1.0.0/16"] })[1]).toBe(
      "-s 10.1.0.0/16 -j MARK --set-xmark 0x0/0x40000",
    );
  });
});
