// The simulator compiles a table's chains when a walk first reaches them
// (rule-index.ts CompiledTable): at scale a walk meets a few of a node's
// thousands of chains. What a chain compiles to must not depend on when.
import { describe, expect, it } from "vitest";
import { compileTests } from "../../src/simulate/match.js";
import { compileTarget } from "../../src/simulate/target.js";
import { compileIndex, type CompileOptions } from "../../src/simulate/rule-index.js";
import type { Rule, RuleSet } from "../../src/rules/types.js";
import { createSimulator } from "../../src/simulate/index.js";
import { host, pkt, rules, simulatePath } from "./simulate-helpers.js";

/** compileIndex's default options, counting the rules compiled. */
function counting(): { opts: CompileOptions; compiled: Rule[] } {
  const compiled: Rule[] = [];
  const opts: CompileOptions = {
    keyIndex: true,
    testsOf: (r) => (compiled.push(r), compileTests(r)),
    effectOf: compileTarget,
  };
  return { opts, compiled };
}

const many = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join("\n");

const rs = rules(`*filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :to-a - [0:0]
  :to-b - [0:0]
  :unused - [0:0]
  -A FORWARD -d 10.0.0.2/32 -j to-a
  -A FORWARD -d 10.0.0.3/32 -j to-b
  -A to-a -p tcp -m tcp --dport 80 -j ACCEPT
  -A to-a -j DROP
  ${many(40, (i) => `-A to-b -p tcp -m tcp --dport ${1000 + i} -j ACCEPT`)}
  -A to-b -j REJECT
  ${many(40, (i) => `-A unused -s 10.1.${i}.0/24 -j DROP`)}
  COMMIT
`);

describe("chains compiled when first reached", () => {
  it("compiles nothing up front, then each chain asked for once", () => {
    const { opts, compiled } = counting();
    const filter = compileIndex(rs, opts).tables.get("filter")!;
    expect(compiled).toHaveLength(0);
    const forward = filter.get("FORWARD")!;
    expect(compiled).toHaveLength(2);
    expect(filter.get("FORWARD")).toBe(forward);
    expect(compiled).toHaveLength(2);
    expect(forward.rules.map((r) => r.target)).toEqual([null, null]);
    expect(filter.get("no-such-chain")).toBeUndefined();
    expect(filter.get("to-a")!.rules).toHaveLength(2);
    expect(compiled).toHaveLength(4);
  });

  it("gives the outcomes of compiling every chain first, whatever order the walks reach them in", () => {
    const packets = [
      pkt({ dst: "10.0.0.2", dstPort: 80 }),
      pkt({ dst: "10.0.0.2", dstPort: 81 }),
      pkt({ dst: "10.0.0.3", dstPort: 1017 }),
      pkt({ dst: "10.0.0.3", dstPort: 2000 }),
      pkt({ dst: "10.0.0.4" }),
    ];
    const path = { kind: "forward", inIface: "cali1", outIface: "cali2" } as const;
    // Each packet on a simulator of its own (each walk compiles what it reaches), and all of them, in both orders, on one.
    const own = packets.map((p) => simulatePath(rs, path, p, host()));
    expect(own.map((o) => o.map((x) => x.verdict))).toEqual([["ACCEPT"], ["DROP"], ["ACCEPT"], ["REJECT"], ["ACCEPT"]]);
    const one = createSimulator();
    const forwards = packets.map((p) => one.simulatePath(rs, path, p, host()));
    const other = createSimulator();
    const backwards = [...packets].reverse().map((p) => other.simulatePath(rs, path, p, host())).reverse();
    expect(forwards).toEqual(own);
    expect(backwards).toEqual(own);
    const { opts } = counting();
    const ix = compileIndex(rs, opts);
    const filter = ix.tables.get("filter")!;
    // Every chain compiled first, in reverse: the same chains, rules, effects and keys as when reached one by one.
    for (const name of ["unused", "to-b", "to-a", "FORWARD"]) filter.get(name);
    const b = filter.get("to-b")!;
    expect(b.keyed?.kind).toBe("dport");
    expect(b.rules.map((r) => r.effect.kind)).toEqual([...Array(40).fill("accept"), "reject"]);
    expect(filter.get("FORWARD")!.rules.map((r) => r.effect)).toEqual([
      { kind: "jump", chain: "to-a" },
      { kind: "jump", chain: "to-b" },
    ]);
  });

  it("maps a name given to two chains to the last, as compiling them all did", () => {
    const twice: RuleSet = {
      tables: [
        {
          name: "filter",
          chains: [
            { name: "FORWARD", policy: "ACCEPT", rules: [{ parts: [], target: { kind: "jump", name: "x", options: [] } }] },
            { name: "x", policy: null, rules: [{ parts: [], target: { kind: "jump", name: "DROP", options: [] } }] },
            { name: "x", policy: null, rules: [{ parts: [], target: { kind: "jump", name: "ACCEPT", options: [] } }] },
          ],
        },
      ],
    };
    const [o] = simulatePath(twice, { kind: "forward", inIface: "eth0", outIface: "eth1" }, pkt(), host());
    expect(o!.verdict).toBe("ACCEPT");
  });
});
