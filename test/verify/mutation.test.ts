// Mutation test: verify must notice when the compiled rules are wrong.
//
// For every rule of every policy, profile and endpoint chain of every
// bookinfo node: delete it, and verify (only the checks on that node — flows
// crossing it, their replies, the Felix invariant probes there — with every
// other node's rules and host context unchanged) must report a failure,
// unless redundancy.ts proves the deletion unobservable. Nothing is exempt
// as "outside the model": conntrack rules are seen by replies and the
// ESTABLISHED/INVALID invariants, Felix's encapsulation guards by the
// IPIP/VXLAN ones. Then a few alterations: a set name flipped to another
// set of the node, a port changed, a verdict target flipped.
import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import { CHAIN_PREFIX, COMMENT } from "../../src/backends/calico/names.js";
import { gatherInputs } from "../../src/cli/inputs.js";
import type { InputFile } from "../../src/frontend/index.js";
import type { Chain, Rule, RuleSet } from "../../src/rules/types.js";
import type { Flow } from "../../src/semantics/index.js";
import {
  checkerFor, checkName, checksOf, invariantProbes, plannedFlows, type Check, type InvariantProbe, type NodeRules,
} from "../../src/verify/index.js";
import { ruleComment, setsAcceptMark } from "../../src/verify/views.js";
import { BOOKINFO, compileAll, type Compiled } from "./helpers.js";
import { whyUnobservable } from "./redundancy.js";

/** Policy, profile and endpoint chains: every chain whose rules the backend derives from the endpoints and policies. */
const MUTATED_PREFIXES: readonly string[] = [CHAIN_PREFIX.policy, CHAIN_PREFIX.profile, CHAIN_PREFIX.endpoint].flatMap((p) => [p.ingress, p.egress]);
const POLICY_PREFIXES: readonly string[] = [CHAIN_PREFIX.policy.ingress, CHAIN_PREFIX.policy.egress];
const startsWithAny = (name: string, prefixes: readonly string[]): boolean => prefixes.some((p) => name.startsWith(p));

let c: Compiled;
/**
 * Per node and chain, the flows (with their replies) and invariant probes
 * whose unmutated walk on that node entered the chain. Walks are
 * deterministic and a chain's rules are read only by packets that enter it,
 * so a mutation of one chain can change only these checks: re-running just
 * them finds exactly the failures a full verify of the node would.
 */
const flowsVia = new Map<string, Map<string, Flow[]>>();
const probesVia = new Map<string, Map<string, InvariantProbe[]>>();

/** Chains a walk jumped or went to on `node`. */
function entered(check: Check | null, node: string): string[] {
  if (!check) return [];
  const steps = check.hops.filter((h) => h.node === node).flatMap((h) => h.outcomes.flatMap((o) => o.trace));
  return steps.flatMap((s) => {
    const t = s.rule?.target;
    return t && (t.kind === "jump" || t.kind === "goto") ? [t.name] : [];
  });
}

function addVia<T>(m: Map<string, Map<string, T[]>>, node: string, chains: readonly string[], item: T): void {
  const byChain = m.get(node) ?? new Map<string, T[]>();
  m.set(node, byChain);
  for (const ch of new Set(chains)) byChain.set(ch, [...(byChain.get(ch) ?? []), item]);
}

/**
 * One unisolated client pod per node, in a namespace no policy selects. A
 * `cali-tw-*` chain that forgot to clear the accept bit set by the sender's
 * `cali-fw-*` chain is seen only from a same-node sender whose egress is
 * accepted. Before cluster/addons.yaml, ubuntu1 held only main (whose egress
 * accepted no pod) and reviews-v1; CoreDNS (ubuntu1) and dev/sandbox (ubuntu2)
 * now give every node such a sender, but these probes keep the check
 * independent of where the example's pods happen to run.
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
  for (const f of flows) {
    const fc = checker.check(f);
    for (const node of checker.nodesOf(f)) addVia(flowsVia, node, [...entered(fc, node), ...entered(fc.reply, node)], f);
  }
  for (const p of invariantProbes(checker.topology, flows, checker.hopsOf)) addVia(probesVia, p.hop.node, entered(checker.checkInvariant(p), p.hop.node), p);
});

function withChain(rs: RuleSet, name: string, rules: readonly Rule[]): RuleSet {
  return {
    tables: rs.tables.map((t) => (t.name !== "filter" ? t : { ...t, chains: t.chains.map((ch) => (ch.name === name ? { ...ch, rules } : ch)) })),
  };
}

/** The first check on `node` (flow, reply or invariant) that fails with `ruleset` there, `chain` being the one changed, or null. */
function firstFailure(node: string, chain: string, ruleset: RuleSet): Check | null {
  const rules = new Map<string, NodeRules>(c.rules);
  rules.set(node, { ...c.rules.get(node)!, ruleset });
  const flows = flowsVia.get(node)?.get(chain) ?? [];
  const probes = probesVia.get(node)?.get(chain) ?? [];
  for (const r of checksOf(checkerFor(c.ctx, rules), flows, probes)) if (r.status !== "ok") return r;
  return null;
}

/** The fixed head of an endpoint chain (felix-format §3.2 rules 1, 2, 4): conntrack state rules and the encapsulation guards. */
function isFelixHead(rule: Rule): boolean {
  const conntrack = rule.parts.some((p) => p.kind === "match" && p.module === "conntrack");
  const comment = ruleComment(rule);
  return conntrack || comment === COMMENT.dropIpipFromWorkloads || comment === COMMENT.dropVxlanFromWorkloads;
}

function mutatedChains(rs: RuleSet): Chain[] {
  return rs.tables.find((t) => t.name === "filter")!.chains.filter((ch) => startsWithAny(ch.name, MUTATED_PREFIXES));
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
          const failure = firstFailure(node, chain.name, withChain(nr.ruleset, chain.name, chain.rules.filter((__, j) => j !== i)));
          const where = `${node} ${chain.name} rule ${i + 1} (${nr.file}:${chain.rules[i]!.line})`;
          const rule = chain.rules[i]!;
          const kind = failure ? `caught by ${failure.kind}` : (why ?? "unnoticed");
          tally.set(kind, (tally.get(kind) ?? 0) + 1);
          if (why === null && failure === null) problems.push(`${where}: deleting it went unnoticed`);
          if (why !== null && failure !== null) problems.push(`${where}: claimed "${why}" but ${failure.kind} ${checkName(failure)} changed`);
          // Felix's endpoint-chain head (conntrack accept/drop, encapsulation guards) is observable, never exempt.
          if (isFelixHead(rule) && failure?.kind !== "reply" && failure?.kind !== "invariant") problems.push(`${where}: Felix head rule not caught by a reply or invariant`);
          // Every policy rule that can grant (sets the accept mark, on a live set) must be caught, whatever a proof says.
          const grants = startsWithAny(chain.name, POLICY_PREFIXES) && setsAcceptMark(chain.rules[i]!) && why !== "matches an empty ipset";
          if (grants && failure === null) problems.push(`${where}: a granting policy rule was deleted unnoticed`);
        });
      }
    }
    const ms = performance.now() - t0;
    const caught = [...tally].filter(([k]) => k.startsWith("caught by ")).reduce((n, [, v]) => n + v, 0);
    // Sorted for determinism of the log line.
    const detail = [...tally].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}: ${v}`).join("; ");
    console.log(`mutation: ${deleted} deletions in ${ms.toFixed(0)} ms: ${caught} caught, ${deleted - caught} proven redundant, 0 exempt; ${detail}`);
    expect(problems, problems.join("\n")).toEqual([]);
    expect(caught).toBeGreaterThan(100);
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
    expect(firstFailure(node, chain!.name, withChain(rs, chain!.name, rules)), `${node} ${chain!.name} rule ${idx + 1}`).not.toBeNull();
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
      expectCaught(node, (ch, r) => ch.startsWith(CHAIN_PREFIX.policy.ingress) && uses(r), (r) =>
        mapOptions(r, (name, args) => (name === "match-set" ? [sets.find((s) => s !== args[0])!, ...args.slice(1)] : args)),
      );
      return;
    }
    throw new Error("no node with two non-empty selector sets");
  });

  it("a destination port changed", () => {
    expectCaught("ubuntu2", (ch, r) => ch.startsWith(CHAIN_PREFIX.policy.ingress) && hasOption(r, "dports"), (r) =>
      mapOptions(r, (name, args) => (name === "dports" ? ["9081"] : args)),
    );
  });

  it("an ipBlock widened", () => {
    expectCaught("ubuntu1", (ch, r) => ch.startsWith(CHAIN_PREFIX.policy.egress) && r.parts.some((p) => p.kind === "destination"), (r) => ({
      ...r,
      parts: r.parts.map((p) => (p.kind === "destination" ? { ...p, value: "0.0.0.0/0" } : p)),
    }));
  });

  it("a policy's accept-mark rule turned into a RETURN", () => {
    expectCaught("ubuntu3", (ch, r) => ch.startsWith(CHAIN_PREFIX.policy.ingress) && r.target?.name === "MARK", (r) => ({
      ...r,
      target: { kind: "jump", name: "RETURN", options: [] },
    }));
  });
});
