// The -O2 passes of the Calico backend: each is named, described in one line,
// individually switchable, and made of pure functions for the stage(s) it
// works on, all on the rule model (src/rules/types.ts) before rendering:
//   rules  — one policy chain's Calico rules (rules.ts), before Felix rules are built;
//   felix  — one policy or profile chain's Felix rules, before the chain is made;
//   sets   — the node's policy IP sets (alias map: set name → kept name);
//   chains — the node's policy chains as Felix spells them (chain name → shared chain name);
//   filter — the node's filter chains, last (suffix cuts only, so hashes stay Felix's).
// The driver (node.ts) applies them in this file's order, which is fixed.
import type { IpSet } from "../../../rules/ipset.js";
import { felixText } from "../../../rules/felix.js";
import type { Chain, Rule } from "../../../rules/types.js";
import { byteCompare } from "../../../rules/writer.js";
import { fm, ft, rule } from "../felix-rule.js";
import { MARK } from "../names.js";
import { deadTail, type RulesMemo } from "./dead-tail.js";
import { PASS_NAMES } from "./pass-names.js";
import { cidrMerge, portMerge, ruleAbsorb, type OptRule } from "./rules.js";

export interface Pass {
  readonly name: string;
  readonly description: string;
  readonly rules?: (rules: readonly OptRule[]) => OptRule[];
  readonly felix?: (rules: readonly Rule[]) => Rule[];
  readonly sets?: (sets: readonly IpSet[]) => ReadonlyMap<string, string>;
  readonly chains?: (bodies: ReadonlyMap<string, string>) => ReadonlyMap<string, string>;
  /** The node's filter chains, last; `memo` keeps what the pass derives from a rules array for the compilation. */
  readonly filter?: (chains: readonly Chain[], memo: RulesMemo) => Chain[];
}

const RETURN_IF_ACCEPTED = felixText(rule([fm.markSet(MARK.accept)], ft.ret()));

function isReturnIfAccepted(r: Rule): boolean {
  return !r.comments?.length && r.parts.length === 1 && felixText(r) === RETURN_IF_ACCEPTED;
}

/** The last rule, when it is "return if accepted", decides nothing: the chain returns next anyway (P28+ drops it too, §4.1). */
export function dropTrailingReturn(rules: readonly Rule[]): Rule[] {
  const last = rules[rules.length - 1];
  return last && isReturnIfAccepted(last) ? rules.slice(0, -1) : [...rules];
}

/**
 * Policy and profile chains only ever set the accept mark (and scratch bits
 * that nothing outside a match block reads), so an early "return if accepted"
 * changes which rules a packet traverses, never the verdict the endpoint
 * chain reads from the mark afterwards.
 */
export function dropAllReturns(rules: readonly Rule[]): Rule[] {
  return rules.filter((r) => !isReturnIfAccepted(r));
}

/** Sets with the same type and members share the lexicographically smallest name. */
export function dedupSets(sets: readonly IpSet[]): Map<string, string> {
  const byContent = new Map<string, string>();
  const alias = new Map<string, string>();
  // Sorted for determinism: the smallest name of each group is met first.
  for (const s of [...sets].sort((a, b) => byteCompare(a.name, b.name))) {
    const key = `${s.type}\n${s.members.map((m) => m.value).sort(byteCompare).join("\n")}`;
    const kept = byContent.get(key);
    if (kept === undefined) byContent.set(key, s.name);
    else alias.set(s.name, kept);
  }
  return alias;
}

/** Chains with the same rendered body (the chain comment excluded) share the smallest chain name. */
export function shareChains(bodies: ReadonlyMap<string, string>): Map<string, string> {
  const byBody = new Map<string, string>();
  const shared = new Map<string, string>();
  for (const name of [...bodies.keys()].sort(byteCompare)) {
    const body = bodies.get(name) as string;
    const kept = byBody.get(body);
    if (kept === undefined) byBody.set(body, name);
    else shared.set(name, kept);
  }
  return shared;
}

export const PASSES: readonly Pass[] = [
  { name: "cidr-merge", description: "subtract ipBlock excepts, merge adjacent/overlapping CIDRs of a chain's ipBlock rules; > 4 CIDRs become one hash:net set", rules: cidrMerge },
  { name: "port-merge", description: "merge the port lists of rules differing only in ports; pack them into the fewest 15-slot multiport matches", rules: portMerge },
  { name: "rule-absorb", description: "drop rules covered by another rule of the same chain, and the trailing 'return if accepted'", rules: ruleAbsorb, felix: dropTrailingReturn },
  { name: "return-merge", description: "drop every 'return if accepted' of allow-only policy/profile chains (the verdict is the mark, read by the caller)", felix: dropAllReturns },
  { name: "ipset-dedup", description: "policy IP sets with identical members share one set (the smallest name); references rewritten", sets: dedupSets },
  { name: "chain-share", description: "policy chains with identical rules (modulo name and comment) are emitted once; every jump points at the shared one", chains: shareChains },
  { name: "dead-tail", description: "cut endpoint chains after their last reachable rule (nothing sets the pass bit; kns.* profiles always accept); drop unreferenced profile chains", filter: deadTail },
];

// The flag tables list pass-names.ts: a pass added here and not there (or out of order) is a bug, found at load.
if (PASSES.map((p) => p.name).join() !== PASS_NAMES.join()) throw new Error("optimize/pass-names.ts does not list PASSES in order");
export { PASS_NAMES };

/** The passes to run, in PASSES order; throws an Error naming the unknown pass (the CLI turns it into a usage error). */
export function selectPasses(only: readonly string[] | null, disabled: readonly string[]): Pass[] {
  for (const n of [...(only ?? []), ...disabled]) {
    if (!PASS_NAMES.includes(n)) throw new Error(`unknown pass '${n}' (passes: ${PASS_NAMES.join(", ")})`);
  }
  return PASSES.filter((p) => (only === null || only.includes(p.name)) && !disabled.includes(p.name));
}
