// dead-tail: unreachable endpoint-chain tails, and the profile chains nothing
// jumps to any more. Works on the hashed RuleSet: dropping a chain's SUFFIX
// leaves every remaining `cali:` hash exactly what Felix computes, since a
// rule's hash covers only the chain name and the rules up to it (§6).
//
// Why the tails are dead (§3.2): k8s NetworkPolicy rules are all allow rules,
// so no policy chain ever sets the pass bit; after "Drop if no policies
// passed packet" (`-m mark --mark 0/pass -j DROP`) every packet has been
// dropped or returned. Without policies, a jump to a profile chain that sets
// the accept mark unconditionally (`kns.*`, §5) is followed by "return if
// accepted", which then always returns.
import { COMMENT, MARK } from "../backends/calico/names.js";
import type { Chain, Rule } from "../rules/types.js";
import { primeChainText, primedChainText } from "../rules/writer.js";

const comments = (r: Rule): string[] =>
  r.parts.flatMap((p) => (p.kind === "match" && p.module === "comment" ? p.options.flatMap((o) => o.args) : []));
const onlyComments = (r: Rule): boolean => r.parts.every((p) => p.kind === "match" && p.module === "comment");

function setsAcceptAlways(c: Chain | undefined): boolean {
  const first = c?.rules[0];
  const t = first?.target;
  if (!first || !t || t.kind !== "jump" || t.name !== "MARK" || !onlyComments(first)) return false;
  const bit = `0x${MARK.accept.toString(16)}`;
  return t.options.some((o) => o.name === "set-xmark" && o.args[0] === `${bit}/${bit}`);
}

function liveLength(c: Chain, byName: ReadonlyMap<string, Chain>): number {
  for (let i = 0; i < c.rules.length; i++) {
    const r = c.rules[i] as Rule;
    if (r.target?.kind === "jump" && r.target.name === "DROP" && comments(r).includes(COMMENT.dropIfNoPolicies)) return i + 1;
    const next = c.rules[i + 1];
    if (r.target?.kind === "jump" && setsAcceptAlways(byName.get(r.target.name)) && next?.target?.kind === "jump" && next.target.name === "RETURN") return i + 2;
  }
  return c.rules.length;
}

const isEndpointChain = (n: string): boolean => n.startsWith("cali-tw-") || n.startsWith("cali-fw-");
const isProfileChain = (n: string): boolean => n.startsWith("cali-pri-") || n.startsWith("cali-pro-");

export function deadTail(chains: readonly Chain[]): Chain[] {
  const byName = new Map(chains.map((c) => [c.name, c]));
  const cut = chains.map((c) => (isEndpointChain(c.name) ? prefix(c, liveLength(c, byName)) : c));
  const targets = new Set(cut.flatMap((c) => c.rules.flatMap((r) => (r.target ? [r.target.name] : []))));
  return cut.filter((c) => !isProfileChain(c.name) || targets.has(c.name));
}

/**
 * The first `n` rules of `c`. A chain written by the backend's text path
 * keeps that path: its text is one line per rule, so the cut chain's text is
 * the first `n` lines (the hashes before the cut do not change, as above).
 */
function prefix(c: Chain, n: number): Chain {
  if (n === c.rules.length) return c;
  const out: Chain = { name: c.name, policy: c.policy, rules: c.rules.slice(0, n) };
  const text = primedChainText(c);
  if (text !== undefined) {
    const lines = text.split("\n");
    // One line per rule (and the empty string after the last newline), or the writer renders the rules itself.
    if (lines.length === c.rules.length + 1) primeChainText(out, lines.slice(0, n).map((l) => l + "\n").join(""));
  }
  return out;
}
