// Class verify against exhaustive verify on bookinfo: the same verdict on the
// compiled rules, and after every single-rule mutation of every node's filter
// table (a rule deleted, its verdict flipped, its destination port moved by
// one) the same "caught or not". The detection target: every
// mutation the exhaustive walk catches, class verify catches.
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { podIPv4 } from "../../src/ir/cluster.js";
import type { Chain, Rule, RuleSet } from "../../src/rules/types.js";
import { plannedFlows, verifyClassReport, verifyReport, type NodeRules } from "../../src/verify/index.js";
import { BOOKINFO, compileAll, type Compiled } from "./helpers.js";
import { flipped, movedPort } from "./rule-mutations.js";

function verdicts(c: Compiled, rules: ReadonlyMap<string, NodeRules>): { exhaustive: number; classes: number } {
  const ex = verifyReport(c.ctx, rules, plannedFlows(c.ctx, [], rules).flows);
  const cl = verifyClassReport(c.ctx, rules);
  if (cl.report === null) throw new Error(`class verify fell back: ${cl.fallback}`);
  return { exhaustive: ex.failures.length, classes: cl.report.failures.length };
}

function replaceRule(rs: RuleSet, table: string, chain: string, i: number, rule: Rule | null): RuleSet {
  return {
    tables: rs.tables.map((t) =>
      t.name !== table ? t : { ...t, chains: t.chains.map((ch) => (ch.name !== chain ? ch : { ...ch, rules: rule ? ch.rules.map((r, j) => (j === i ? rule : r)) : ch.rules.filter((_, j) => j !== i) })) },
    ),
  };
}

describe("class verify agrees with exhaustive verify", () => {
  it("bookinfo, every filter rule of every node deleted, flipped or its port moved", () => {
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    expect(verdicts(c, c.rules)).toEqual({ exhaustive: 0, classes: 0 });
    const disagree: string[] = [];
    let caught = 0;
    let tried = 0;
    for (const [node, nr] of c.rules) {
      for (const t of nr.ruleset.tables) {
        if (t.name !== "filter") continue;
        t.chains.forEach((ch: Chain) => {
          ch.rules.forEach((r, i) => {
            for (const [what, rule] of [["deleted", null], ["flipped", flipped(r)], ["port moved", movedPort(r)]] as const) {
              if (what !== "deleted" && rule === null) continue;
              const rules = new Map(c.rules);
              rules.set(node, { ...nr, ruleset: replaceRule(nr.ruleset, t.name, ch.name, i, rule) });
              const v = verdicts(c, rules);
              tried++;
              if (v.exhaustive > 0) caught++;
              if ((v.exhaustive > 0) !== (v.classes > 0)) disagree.push(`${node} ${t.name} ${ch.name} rule ${i + 1} ${what}: exhaustive ${v.exhaustive}, classes ${v.classes}`);
            }
          });
        });
      }
    }
    expect(disagree).toEqual([]);
    // The mutations are real: most are caught (the rest delete or flip what no flow reaches).
    expect(caught).toBeGreaterThan(tried / 3);
  }, 3_600_000);

  it("bookinfo, a DROP of one pod's address put first in each workload's ingress chain", () => {
    // A rule that singles out one pod: its hop keys must tell that pod from the others (a pod's projection on a hop's
    // content, classes.ts projectPod), or the walk of another pod would speak for it.
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const ips = c.ctx.model.cluster.pods.map((p) => podIPv4(p)).filter((ip): ip is string => ip !== null);
    const disagree: string[] = [];
    let caught = 0;
    for (const [node, nr] of c.rules) {
      const filter = nr.ruleset.tables.find((t) => t.name === "filter")!;
      for (const ch of filter.chains.filter((x) => x.name.startsWith("cali-tw-"))) {
        for (const ip of ips) {
          const drop: Rule = { parts: [{ kind: "source", negated: false, value: `${ip}/32` }], target: { kind: "jump", name: "DROP", options: [] } };
          const ruleset: RuleSet = { tables: nr.ruleset.tables.map((t) => (t !== filter ? t : { ...t, chains: t.chains.map((x) => (x !== ch ? x : { ...x, rules: [drop, ...x.rules] })) })) };
          const rules = new Map(c.rules);
          rules.set(node, { ...nr, ruleset });
          const v = verdicts(c, rules);
          if (v.exhaustive > 0) caught++;
          if ((v.exhaustive > 0) !== (v.classes > 0)) disagree.push(`${node} ${ch.name} DROP -s ${ip}: exhaustive ${v.exhaustive}, classes ${v.classes}`);
        }
      }
    }
    expect(disagree).toEqual([]);
    expect(caught).toBeGreaterThan(10);
  }, 600_000);

  it("bookinfo, a DROP of one port for one peer's address put first in each workload's chains, both ways", () => {
    // A port cut that holds only for one address of the other end (classes.ts roleCutsOf): a workload's ingress chain
    // reads the source, its egress chain the destination. Answered for the wrong end, the cut is lost (or kept for
    // every pair) and the port falls inside a wider class whose first port speaks for it.
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const ips = c.ctx.model.cluster.pods.map((p) => podIPv4(p)).filter((ip): ip is string => ip !== null);
    const disagree: string[] = [];
    let caught = 0;
    for (const [node, nr] of c.rules) {
      const filter = nr.ruleset.tables.find((t) => t.name === "filter")!;
      for (const ch of filter.chains.filter((x) => x.name.startsWith("cali-tw-") || x.name.startsWith("cali-fw-"))) {
        const peer = ch.name.startsWith("cali-tw-") ? "source" : "destination";
        for (const ip of ips.slice(0, 4)) {
          const drop: Rule = {
            parts: [
              { kind: peer, negated: false, value: `${ip}/32` },
              { kind: "protocol", negated: false, value: "tcp" },
              { kind: "match", module: "tcp", implicit: false, options: [{ name: "dport", negated: false, args: ["7777"], quoted: false }] },
            ],
            target: { kind: "jump", name: "DROP", options: [] },
          };
          const ruleset: RuleSet = { tables: nr.ruleset.tables.map((t) => (t !== filter ? t : { ...t, chains: t.chains.map((x) => (x !== ch ? x : { ...x, rules: [drop, ...x.rules] })) })) };
          const rules = new Map(c.rules);
          rules.set(node, { ...nr, ruleset });
          const v = verdicts(c, rules);
          if (v.exhaustive > 0) caught++;
          if ((v.exhaustive > 0) !== (v.classes > 0)) disagree.push(`${node} ${ch.name} DROP -${peer === "source" ? "s" : "d"} ${ip} --dport 7777: exhaustive ${v.exhaustive}, classes ${v.classes}`);
        }
      }
    }
    expect(disagree).toEqual([]);
    // Only pairs the policies let through on 7777 can be caught (5 on bookinfo).
    expect(caught).toBeGreaterThan(2);
  }, 600_000);
});
