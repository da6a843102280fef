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

export function deadTail(chains: readonly Chain[]): Chain[] {
  const byName = new Map(chains.map((c) => [c.name, c]));
  const cut = chains.map((c) => (isEndpointChain(c.name) ? prefix(c, liveLength(c, byName)) : c));
  // Every jump target of the node's filter chains (a thousand chains at scale: loops, not nested flatMaps).
  const targets = new Set<string>();
  for (const c of cut) for (const r of c.rules) if (r.target) targets.add(r.target.name);
  return cut.filter((c) => !isProfileChain(c.name) || targets.has(c.name));
}

/** The first `n` rules of `c`, its hash runs cut to match (the hashes before the cut do not change, as above). */
function prefix(c: Chain, n: number): Chain {
  if (n === c.rules.length) return c;
  const out: { -readonly [K in keyof Chain]: Chain[K] } = { name: c.name, policy: c.policy, rules: c.rules.slice(0, n) };
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
