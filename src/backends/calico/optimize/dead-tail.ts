// dead-tail: unreachable endpoint-chain tails, and the profile chains nothing
// jumps to any more. Works on the node's filter chains in the rule model:
// dropping a chain's SUFFIX leaves every remaining `cali:` hash exactly what
// Felix computes, since a rule's hash covers only the chain name and the rules
// up to it (§6) — the cut chain's hash runs are cut with it.
//
// Why the tails are dead (§3.2): k8s NetworkPolicy rules are all allow rules,
// so no policy chain ever sets the pass bit; after "Drop if no policies
// passed packet" (`-m mark --mark 0/pass -j DROP`) every packet has been
// dropped or returned. Without policies, a jump to a profile chain that sets
// the accept mark unconditionally (`kns.*`, §5) is followed by "return if
// accepted", which then always returns.
import { hex } from "../../../rules/build.js";
import type { Chain, HashRun, Rule } from "../../../rules/types.js";
import { COMMENT, MARK } from "../names.js";

const isJumpTo = (r: Rule | undefined, name: string): boolean => r?.target?.kind === "jump" && r.target.name === name;

const SET_ACCEPT = `${hex(MARK.accept)}/${hex(MARK.accept)}`;

function setsAcceptAlways(c: Chain | undefined): boolean {
  const first = c?.rules[0];
  const t = first?.target;
  if (!first || !t || t.kind !== "jump" || t.name !== "MARK" || first.parts.length > 0) return false;
  return t.options.some((o) => o.name === "set-xmark" && o.args[0] === SET_ACCEPT);
}

function liveLength(c: Chain, byName: ReadonlyMap<string, Chain>): number {
  for (let i = 0; i < c.rules.length; i++) {
    const r = c.rules[i] as Rule;
    // P30+ says "End of tier default. Drop if no policies passed packet" (App. B).
    if (isJumpTo(r, "DROP") && r.comments?.some((c) => c.endsWith(COMMENT.dropIfNoPolicies))) return i + 1;
    if (r.target?.kind === "jump" && setsAcceptAlways(byName.get(r.target.name)) && isJumpTo(c.rules[i + 1], "RETURN")) return i + 2;
  }
  return c.rules.length;
}

const isEndpointChain = (n: string): boolean => n.startsWith("cali-tw-") || n.startsWith("cali-fw-");
const isProfileChain = (n: string): boolean => n.startsWith("cali-pri-") || n.startsWith("cali-pro-");

/**
 * What a pass derives from one rules array, kept for the compilation while the array lives: `kind` names the
 * derivation. Policy, profile and group chains are one object per compilation and endpoint chains of pods with the
 * same policies share one rules array (endpoints.ts), on every node, so each is worked out once.
 */
export type RulesMemo = <V>(kind: string, rules: readonly Rule[], make: () => V) => V;

const NO_MEMO: RulesMemo = (_kind, _rules, make) => make();

/**
 * `memo` may keep a cut across nodes: an endpoint chain's live length depends on its rules and on the profile chains
 * they jump to, and a profile chain's rules depend only on the profile and the pass list (the driver keys its memo by both).
 */
export function deadTail(chains: readonly Chain[], memo: RulesMemo = NO_MEMO): Chain[] {
  let byName: ReadonlyMap<string, Chain> | null = null;
  const named = (): ReadonlyMap<string, Chain> => (byName ??= new Map(chains.map((c) => [c.name, c])));
  // The cut rules are one array per rules array, so the targets below are also worked out once per array.
  const cut = chains.map((c) => (isEndpointChain(c.name) ? prefix(c, memo("live", c.rules, () => live(c, named()))) : c));
  // The profile chains something jumps to.
  const targets = new Set<string>();
  for (const c of cut) for (const t of memo("profiles", c.rules, () => profileTargets(c.rules))) targets.add(t);
  return cut.filter((c) => !isProfileChain(c.name) || targets.has(c.name));
}

function live(c: Chain, byName: ReadonlyMap<string, Chain>): readonly Rule[] {
  const n = liveLength(c, byName);
  return n === c.rules.length ? c.rules : c.rules.slice(0, n);
}

const NONE: readonly string[] = Object.freeze([]);

function profileTargets(rules: readonly Rule[]): readonly string[] {
  let out: string[] | null = null;
  for (const r of rules) if (r.target && isProfileChain(r.target.name)) (out ??= []).push(r.target.name);
  return out ?? NONE;
}

/** `c` with `live`, the first rules of `c`, its hash runs cut to match (the hashes before the cut do not change, as above). */
function prefix(c: Chain, live: readonly Rule[]): Chain {
  const n = live.length;
  if (n === c.rules.length) return c;
  const out: { -readonly [K in keyof Chain]: Chain[K] } = { name: c.name, policy: c.policy, rules: live };
  if (c.hashRuns) {
    const runs: HashRun[] = [];
    let left = n;
    for (const run of c.hashRuns) {
      runs.push({ chain: run.chain, rules: Math.min(run.rules, left) });
      left -= Math.min(run.rules, left);
    }
    out.hashRuns = runs;
  }
  return out;
}
