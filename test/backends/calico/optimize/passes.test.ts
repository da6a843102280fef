// Each pass on hand-made inputs.
import { describe, expect, it } from "vitest";
import type { CalicoRule } from "../../../../src/backends/calico/convert.js";
import { fm, ft, rule } from "../../../../src/backends/calico/felix-rule.js";
import { MARK } from "../../../../src/backends/calico/names.js";
import { splitPortList } from "../../../../src/backends/calico/policy-rules.js";
import { dedupSets, dropAllReturns, dropTrailingReturn, shareChains } from "../../../../src/backends/calico/optimize/passes.js";
import { cidrMerge, packPorts, portMerge, ruleAbsorb } from "../../../../src/backends/calico/optimize/rules.js";

const base: CalicoRule = { protocol: "tcp", srcSelector: null, dstSelector: null, srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], dstPorts: [] };
const port = (first: number, last = first) => ({ kind: "range" as const, first, last });
const sel = { kind: "eq", label: "app", value: "a" } as never;

describe("cidr-merge", () => {
  it("merges adjacent ipBlocks of one chain and subtracts excepts", () => {
    const out = cidrMerge([
      { ...base, srcNets: ["10.0.0.0/25"] },
      { ...base, srcNets: ["10.0.0.128/25"] },
      { ...base, srcNets: ["10.0.1.0/24"], notSrcNets: ["10.0.1.0/25"] },
    ]);
    expect(out).toEqual([{ ...base, srcNets: ["10.0.0.0/24", "10.0.1.128/25"], notSrcNets: [] }]);
  });
  it("turns a long list into a hash:net set, drops fully excepted blocks, leaves selectors alone", () => {
    const [r] = cidrMerge([{ ...base, dstNets: ["10.0.0.0/8"], notDstNets: ["10.1.0.0/16"] }]);
    expect(r?.dstNets).toEqual([]);
    expect(r?.dstNetSet).toHaveLength(8);
    expect(cidrMerge([{ ...base, srcNets: ["10.0.0.0/24"], notSrcNets: ["10.0.0.0/23"] }])).toEqual([]);
    const s = { ...base, srcSelector: sel };
    expect(cidrMerge([s])).toEqual([s]);
  });
});

describe("port-merge", () => {
  it("packs 14 ranges and 2 singles into 2 multiport matches (Felix order needs 3)", () => {
    const ranges = Array.from({ length: 14 }, (_, i) => port(1000 + 10 * i, 1001 + 10 * i));
    const ports = [port(1), port(3), ...ranges];
    expect(splitPortList(ports)).toHaveLength(3);
    expect(splitPortList(packPorts(ports))).toHaveLength(2);
  });
  it("merges rules differing only in ports, and splits a >15-slot list into rules", () => {
    expect(portMerge([{ ...base, dstPorts: [port(80)] }, { ...base, dstPorts: [port(81)] }, { ...base, protocol: "udp", dstPorts: [port(53)] }])).toEqual([
      { ...base, dstPorts: [port(80, 81)] },
      { ...base, protocol: "udp", dstPorts: [port(53)] },
    ]);
    const many = Array.from({ length: 20 }, (_, i) => port(2 * i + 1));
    expect(portMerge([{ ...base, dstPorts: many }])).toHaveLength(2);
  });
});

describe("rule-absorb", () => {
  it("drops rules covered by a weaker one, keeps incomparable ones", () => {
    const any = { ...base, protocol: null };
    const narrow = { ...base, srcSelector: sel, dstPorts: [port(80)] };
    expect(ruleAbsorb([narrow, any])).toEqual([any]);
    const wide = { ...base, srcNets: ["10.0.0.0/8"], dstPorts: [port(1, 100)] };
    const inner = { ...base, srcNets: ["10.1.0.0/16"], dstPorts: [port(80)] };
    const other = { ...base, srcNets: ["11.0.0.0/8"], dstPorts: [port(80)] };
    expect(ruleAbsorb([wide, inner, other])).toEqual([wide, other]);
    expect(ruleAbsorb([inner, inner])).toEqual([inner]);
  });
  it("drops only the trailing 'return if accepted'; return-merge drops all", () => {
    const mark = rule([fm.protocol("tcp")], ft.setMark(MARK.accept));
    const ret = rule([fm.markSet(MARK.accept)], ft.ret());
    expect(dropTrailingReturn([mark, ret, mark, ret])).toEqual([mark, ret, mark]);
    expect(dropAllReturns([mark, ret, mark, ret])).toEqual([mark, mark]);
  });
});

describe("ipset-dedup and chain-share", () => {
  it("sets with the same members share the smallest name", () => {
    const set = (name: string, members: string[]) => ({ name, type: "hash:net" as const, options: [], members: members.map((value) => ({ value })) });
    expect(dedupSets([set("b", ["1.1.1.1", "2.2.2.2"]), set("a", ["2.2.2.2", "1.1.1.1"]), set("c", ["3.3.3.3"])])).toEqual(new Map([["b", "a"]]));
  });
  it("identical bodies share the smallest chain name", () => {
    expect(shareChains(new Map([["z", "x"], ["a", "x"], ["m", "y"]]))).toEqual(new Map([["z", "a"]]));
  });
});
