// Mutation test: verify must notice when the compiled rules are wrong.
//
// For every rule of every policy, profile and endpoint chain of every
// bookinfo node: delete it, and verify (only the flows crossing that node,
// with every other node's rules and host context unchanged) must report a
// mismatch — unless redundancy.ts proves the deletion unobservable. Then a
// few alterations: a set name flipped to another set of the node, a port
// changed, a verdict target flipped.
import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import type { InputFile } from "../../src/frontend/index.js";
import type { Chain, Rule, RuleSet } from "../../src/ruleset/types.js";
import type { Flow } from "../../src/semantics/index.js";
import { checkerFor, flowName, plannedFlows, type FlowCheck, type NodeRules } from "../../src/verify/index.js";
import { setsAcceptMark } from "../../src/verify/views.js";
import { BOOKINFO, compileAll, type Compiled } from "./helpers.js";
import { whyUnobservable } from "./redundancy.js";

const MUTATED_CHAINS = /^cali-(pi|po|pri|pro|tw|fw)-/;

let c: Compiled;
const flowsOf = new Map<string, Flow[]>();

/**
 * One unisolated client pod per node, in a namespace no policy selects. On
 * ubuntu1 bookinfo's only same-node pair is main → reviews, and main's egress
 * never accepts a pod, so a `cali-tw-*` chain that forgot to clear the accept
 * bit set by the sender's `cali-fw-*` chain would go unseen; a same-node
 * sender whose egress is open makes that observable on every node.
 */
const PROBES: InputFile = {
  path: "test/verify/probe-pods.yaml",
  text: ["ubuntu1", "ubuntu2", "ubuntu3"]
    .map((node, i) => `apiVersion: v1
kind: Pod
metadata: {name: client-${node}, namespace: probe, labels: {app: client}}
spec: {nodeName: ${node}, containers: [{name: c, image: busybox}]}
status: {phase: Running, podIP: 192.168.${i}.${40 + i}}
`)
    .join("---\n"),
};

beforeAll(() => {
  c = compileAll([...gatherInputs([BOOKINFO], () => ""), PROBES]);
  const checker = checkerFor(c.ctx, c.rules);
  const { flows } = plannedFlows(c.ctx, [], c.rules);
  for (const node of c.rules.keys()) flowsOf.set(node, flows.filter((f) => checker.nodesOf(f).includes(node)));
});

function withChain(rs: RuleSet, name: string, rules: readonly Rule[]): RuleSet {
  return {
    tables: rs.tables.map((t) => (t.name !== "filter" ? t : { ...t, chains: t.chains.map((ch) => (ch.name === name ? { ...ch, rules } : ch)) })),
  };
}

/** The first flow crossing `node` whose verdict changes with `ruleset` there, or null. */
function firstFailure(node: string, ruleset: RuleSet): FlowCheck | null {
  const rules = new Map<string, NodeRules>(c.rules);
  rules.set(node, { ...c.rules.get(node)!, ruleset });
  const checker = checkerFor(c.ctx, rules);
  for (const f of flowsOf.get(node)!) {
    const r = checker.check(f);
    if (r.status !== "ok") return r;
  }
  return null;
}

function mutatedChains(rs: RuleSet): Chain[] {
  return rs.tables.find((t) => t.name === "filter")!.chains.filter((ch) => MUTATED_CHAINS.test(ch.name));
}

describe("mutation: deleting a rule is caught unless provably unobservable", () => {
  it("every policy, profile and endpoint chain rule of every node", () => {
    const t0 = performance.now();
    const problems: string[] = [];
    const tally = new Map<string, number>();
    let deleted = 0;
    for (const [node, nr] of c.rules) {
      for (const chain of mutatedChains(nr.ruleset)) {
        chain.rules.forEach((_, i) => {
          deleted++;
          const why = whyUnobservable(nr.ruleset, nr.ipsets, chain, i);
          const failure = firstFailure(node, withChain(nr.ruleset, chain.name, chain.rules.filter((__, j) => j !== i)));
          const where = `${node} ${chain.name} rule ${i + 1} (${nr.file}:${chain.rules[i]!.line})`;
          tally.set(why ?? "caught", (tally.get(why ?? "caught") ?? 0) + 1);
          if (why === null && failure === null) problems.push(`${where}: deleting it went unnoticed`);
          if (why !== null && failure !== null) problems.push(`${where}: claimed "${why}" but ${flowName(failure.flow)} changed`);
          // Every policy rule that can grant (sets the accept mark, on a live set) must be caught, whatever a proof says.
          const grants = /^cali-p[io]-/.test(chain.name) && setsAcceptMark(chain.rules[i]!) && why !== "matches an empty ipset";
          if (grants && failure === null) problems.push(`${where}: a granting policy rule was deleted unnoticed`);
        });
      }
    }
    const ms = performance.now() - t0;
    console.log(`mutation: ${deleted} deletions in ${ms.toFixed(0)} ms; ${[...tally].map(([k, v]) => `${k}: ${v}`).join("; ")}`);
    expect(problems, problems.join("\n")).toEqual([]);
    expect(tally.get("caught") ?? 0).toBeGreaterThan(50);
  });
});

describe("mutation: altered rules are caught", () => {
  /** Applies `edit` to the first rule of `node` matching `pick`, and expects verify to notice. */
  function expectCaught(node: string, pick: (chain: string, r: Rule) => boolean, edit: (r: Rule) => Rule): void {
    const rs = c.rules.get(node)!.ruleset;
    const chain = mutatedChains(rs).find((ch) => ch.rules.some((r) => pick(ch.name, r)));
    expect(chain, "no rule to alter").toBeDefined();
    const idx = chain!.rules.findIndex((r) => pick(chain!.name, r));
    const rules = chain!.rules.map((r, j) => (j === idx ? edit(r) : r));
    expect(firstFailure(node, withChain(rs, chain!.name, rules)), `${node} ${chain!.name} rule ${idx + 1}`).not.toBeNull();
  }
  const mapOptions = (r: Rule, f: (name: string, args: readonly string[]) => readonly string[]): Rule => ({
    ...r,
    parts: r.parts.map((p) => (p.kind !== "match" ? p : { ...p, options: p.options.map((o) => ({ ...o, args: f(o.name, o.args) })) })),
  });
  const hasOption = (r: Rule, name: string): boolean => r.parts.some((p) => p.kind === "match" && p.options.some((o) => o.name === name));

  it("a source set flipped to another non-empty set of the node", () => {
    for (const [node, nr] of c.rules) {
      const sets = [...nr.ipsets.values()].filter((s) => s.members.length > 0 && s.name.startsWith("cali40s:")).map((s) => s.name);
      if (sets.length < 2) continue;
      const uses = (r: Rule): boolean => r.parts.some((p) => p.kind === "match" && p.options.some((o) => o.name === "match-set" && sets.includes(o.args[0] ?? "")));
      expectCaught(node, (ch, r) => ch.startsWith("cali-pi-") && uses(r), (r) =>
        mapOptions(r, (name, args) => (name === "match-set" ? [sets.find((s) => s !== args[0])!, ...args.slice(1)] : args)),
      );
      return;
    }
    throw new Error("no node with two non-empty selector sets");
  });

  it("a destination port changed", () => {
    expectCaught("ubuntu2", (ch, r) => ch.startsWith("cali-pi-") && hasOption(r, "dports"), (r) =>
      mapOptions(r, (name, args) => (name === "dports" ? ["9081"] : args)),
    );
  });

  it("an ipBlock widened", () => {
    expectCaught("ubuntu1", (ch, r) => ch.startsWith("cali-po-") && r.parts.some((p) => p.kind === "destination"), (r) => ({
      ...r,
      parts: r.parts.map((p) => (p.kind === "destination" ? { ...p, value: "0.0.0.0/0" } : p)),
    }));
  });

  it("a policy's accept-mark rule turned into a RETURN", () => {
    expectCaught("ubuntu3", (ch, r) => ch.startsWith("cali-pi-") && r.target?.name === "MARK", (r) => ({
      ...r,
      target: { kind: "jump", name: "RETURN", options: [] },
    }));
  });
});
