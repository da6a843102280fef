// Syntactic proofs that deleting a rule cannot change the fate of any packet
// verify probes. The mutation test deletes every policy, profile and endpoint
// chain rule and demands a mismatch unless one of these proofs holds; each is
// checked on the ruleset's text structure, never by "verify still passes"
// (and a proof that verify then contradicts fails the test).
import { CHAIN, CHAIN_PREFIX, isPolicyChain, MARK } from "../../src/backends/calico/names.js";
import type { IpSet } from "../../src/rules/ipset.js";
import type { Chain, Rule, RuleSet } from "../../src/rules/types.js";

/** Endpoint chains: `cali-tw-*` (to workload) and `cali-fw-*` (from workload). */
const isEndpointChain = (name: string): boolean => name.startsWith(CHAIN_PREFIX.endpoint.ingress) || name.startsWith(CHAIN_PREFIX.endpoint.egress);

function markOption(rule: Rule): { value: number; mask: number } | null {
  const t = rule.target;
  if (!t || t.kind !== "jump" || t.name !== "MARK") return null;
  const o = t.options.find((x) => x.name === "set-xmark" || x.name === "set-mark");
  const [v = "", m = "0xffffffff"] = (o?.args[0] ?? "").split("/");
  return { value: Number(v), mask: Number(m) };
}

/** `-m mark --mark V/M` matches of a rule, as [value, mask]. */
function markMatches(rule: Rule): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const p of rule.parts) {
    if (p.kind !== "match" || p.module !== "mark") continue;
    for (const o of p.options) {
      const [v = "", m = "0xffffffff"] = (o.args[0] ?? "").split("/");
      if (o.name === "mark" && !o.negated) out.push([Number(v), Number(m)]);
    }
  }
  return out;
}

const headCount = (rule: Rule): number => rule.parts.filter((p) => p.kind !== "match" || p.module !== "comment").length;
const targetName = (rule: Rule): string | null => rule.target?.name ?? null;

/** `-m mark --mark 0x10000/0x10000 -j RETURN` and nothing else: "return if accepted". */
function isReturnIfAccepted(rule: Rule): boolean {
  const marks = markMatches(rule);
  return targetName(rule) === "RETURN" && headCount(rule) === 1 && marks.length === 1 && marks[0]![0] === MARK.accept && marks[0]![1] === MARK.accept;
}

/** A rule that can neither end the walk, leave the chain, nor clear the accept bit. */
function keepsAccept(rule: Rule): boolean {
  if (rule.target === null || targetName(rule) === "RETURN") return true;
  const m = markOption(rule);
  return m !== null && ((m.mask & MARK.accept) === 0 || (m.value & MARK.accept) !== 0);
}

function allRules(rs: RuleSet): Array<{ table: string; chain: Chain; rule: Rule; index: number }> {
  return rs.tables.flatMap((t) => t.chains.flatMap((chain) => chain.rules.map((rule, index) => ({ table: t.name, chain, rule, index }))));
}

/**
 * (3) "Return if accepted" that another one repeats: later in the same chain,
 * after only rules that keep the accept bit; or, in a policy/profile chain
 * followed only by such rules, in every calling chain right after the jump —
 * without it the packet leaves still marked and the caller returns at once.
 */
function redundantReturn(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, chain: Chain, index: number): boolean {
  const rule = chain.rules[index]!;
  if (!isReturnIfAccepted(rule)) return false;
  // Within the chain: the next rules keep the bit (or are no-op jumps) up to another identical return.
  for (const later of chain.rules.slice(index + 1)) {
    if (isReturnIfAccepted(later)) return true;
    const noopJump = later.target?.kind === "jump" && (isNoop(rs, ipsets, later.target.name) || keepsAcceptChain(rs, later.target.name));
    if (!keepsAccept(later) && !noopJump && !neverMatches(later, ipsets)) return false;
  }
  if (!isPolicyChain(chain.name) || !chain.rules.slice(index + 1).every(keepsAccept)) return false;
  const callers = allRules(rs).filter((r) => r.rule.target?.name === chain.name);
  return callers.every((c) => c.rule.target?.kind === "jump" && !!c.chain.rules[c.index + 1] && isReturnIfAccepted(c.chain.rules[c.index + 1]!));
}

/** A chain whose every rule keeps the accept bit (sets only, or RETURNs; jumps only to such chains): entered with the bit set, it returns with it set. */
function keepsAcceptChain(rs: RuleSet, name: string, depth = 0): boolean {
  const chain = filterChain(rs, name);
  if (!chain || depth > 8) return false;
  return chain.rules.every((r) => keepsAccept(r) || (r.target?.kind === "jump" && keepsAcceptChain(rs, r.target.name, depth + 1)));
}

/** (4) A MARK that only clears bits no rule of the ruleset ever sets: every probe carries mark 0 into the host. */
function clearsUnsetBits(rs: RuleSet, rule: Rule): boolean {
  const m = markOption(rule);
  if (!m || (m.value & m.mask) !== 0) return false;
  return allRules(rs).every((r) => {
    const o = markOption(r.rule);
    return !o || (o.value & o.mask & m.mask) === 0;
  });
}

/** Whether every rule that jumps or goes to a chain `callee` accepts sits in a chain `caller` accepts. */
function calledOnlyFrom(rs: RuleSet, callee: (name: string) => boolean, caller: (name: string) => boolean): boolean {
  return allRules(rs).every((r) => !callee(r.rule.target?.name ?? "") || caller(r.chain.name));
}

/**
 * (5) The clear of the accept bit at the top of a `cali-fw-*` chain. Every
 * probe carries mark 0 into a host, and only a policy/profile chain or
 * FORWARD's own tail can set the accept bit (no raw/mangle/nat rule does);
 * policy/profile chains are entered only from endpoint chains, endpoint
 * chains only from the dispatch chains, from-workload dispatch only from
 * cali-FORWARD (which dispatches from-workload chains before to-workload
 * ones) and cali-wl-to-host, and that only from cali-INPUT. So on the
 * forward and the INPUT path alike, no endpoint chain ran before
 * `cali-fw-*`, and the bit is already clear.
 */
function fwAcceptAlreadyClear(rs: RuleSet, chain: Chain, rule: Rule): boolean {
  const m = markOption(rule);
  if (!chain.name.startsWith(CHAIN_PREFIX.endpoint.egress) || !m || m.value !== 0 || m.mask !== MARK.accept) return false;
  const setters = allRules(rs).filter((r) => {
    const o = markOption(r.rule);
    return o !== null && (o.value & o.mask & MARK.accept) !== 0;
  });
  const settersOk = setters.every((s) => s.table === "filter" && (isPolicyChain(s.chain.name) || s.chain.name === "FORWARD"));
  const isDispatch = (n: string): boolean => n.startsWith(CHAIN.fromWlDispatch) || n.startsWith(CHAIN.toWlDispatch);
  const callersOk =
    calledOnlyFrom(rs, isPolicyChain, isEndpointChain) &&
    calledOnlyFrom(rs, isEndpointChain, isDispatch) &&
    calledOnlyFrom(rs, (n) => n.startsWith(CHAIN.fromWlDispatch), (n) => n.startsWith(CHAIN.fromWlDispatch) || n === CHAIN.forward || n === CHAIN.wlToHost) &&
    calledOnlyFrom(rs, (n) => n === CHAIN.wlToHost, (n) => n === CHAIN.input);
  const fwd = filterChain(rs, CHAIN.forward)?.rules ?? [];
  const from = fwd.findIndex((r) => r.target?.name === CHAIN.fromWlDispatch);
  const to = fwd.findIndex((r) => r.target?.name === CHAIN.toWlDispatch);
  return settersOk && callersOk && from >= 0 && to > from;
}

const TERMINAL_TARGETS = new Set(["ACCEPT", "DROP", "REJECT", "RETURN"]);

/** Rules that can never match: a positive match on an empty ipset. */
function neverMatches(rule: Rule, ipsets: ReadonlyMap<string, IpSet>): boolean {
  return rule.parts.some((p) => {
    if (p.kind !== "match" || p.module !== "set") return false;
    const o = p.options.find((x) => x.name === "match-set" && !x.negated);
    const set = o ? ipsets.get(o.args[0] ?? "") : undefined;
    return set !== undefined && set.members.length === 0;
  });
}

/** Bits some MARK rule of the ruleset can set. */
function settableBits(rs: RuleSet): number {
  return allRules(rs).reduce((bits, r) => bits | ((markOption(r.rule)?.value ?? 0) & (markOption(r.rule)?.mask ?? 0)), 0);
}

/** Always matches: no conditions but comments and `--mark 0x0/M` tests of bits nothing ever sets. */
function alwaysMatches(rs: RuleSet, rule: Rule): boolean {
  const settable = settableBits(rs);
  return rule.parts.every((p) => {
    if (p.kind !== "match") return false;
    if (p.module === "comment") return true;
    return p.module === "mark" && markMatches({ parts: [p], target: null }).every(([v, m]) => v === 0 && (m & settable) === 0) && p.options.every((o) => !o.negated);
  });
}

function filterChain(rs: RuleSet, name: string): Chain | undefined {
  return rs.tables.find((t) => t.name === "filter")?.chains.find((c) => c.name === name);
}

/** (6) Unreachable: after a rule that always matches and always leaves the chain, or in a chain only dead rules enter. */
function isDead(rs: RuleSet, chain: Chain, index: number, depth = 0): boolean {
  const before = chain.rules.slice(0, index);
  if (before.some((r) => alwaysMatches(rs, r) && (r.target?.kind === "goto" || TERMINAL_TARGETS.has(r.target?.name ?? "")))) return true;
  const callers = allRules(rs).filter((r) => r.rule.target?.name === chain.name);
  return depth < 8 && callers.length > 0 && callers.every((c) => isDead(rs, c.chain, c.index, depth + 1));
}

/**
 * A chain that can neither set the accept bit nor end the walk: each rule
 * never matches, has no target, RETURNs, sets marks other than accept, or
 * jumps to such a chain. Jumping to it changes nothing (7).
 */
function isNoop(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, name: string, depth = 0): boolean {
  const chain = filterChain(rs, name);
  if (!chain || depth > 8) return false;
  return chain.rules.every((r) => {
    if (neverMatches(r, ipsets) || r.target === null || r.target.name === "RETURN") return true;
    const m = markOption(r);
    if (m) return (m.value & m.mask & MARK.accept) === 0;
    return r.target.kind === "jump" && isNoop(rs, ipsets, r.target.name, depth + 1);
  });
}

type Bit = "clear" | "set" | "unknown";

/** A jump's effect on the accept bit: a no-op chain keeps it, a chain that sets it first thing and never clears it sets it. */
function jumpEffect(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, name: string, before: Bit): Bit {
  if (isNoop(rs, ipsets, name)) return before;
  const chain = filterChain(rs, name);
  const first = chain?.rules.find((r) => !neverMatches(r, ipsets) && r.target !== null);
  const m = first ? markOption(first) : null;
  const setsFirst = !!first && !!m && headCount(first) === 0 && (m.value & m.mask & MARK.accept) !== 0;
  return setsFirst && chain!.rules.every(keepsAccept) ? "set" : "unknown";
}

/**
 * (8) Forward analysis of one chain: the accept bit before each rule, and
 * whether the rule can be reached at all. A "return if accepted" always
 * leaves once the bit is known set (e.g. after the kns profile, which sets it
 * unconditionally), and never matches while it is known clear; rules after an
 * unconditional exit are unreachable.
 */
function chainFlow(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, chain: Chain): Array<{ bit: Bit; reachable: boolean }> {
  const out: Array<{ bit: Bit; reachable: boolean }> = [];
  let bit: Bit = "unknown";
  let reachable = true;
  for (const r of chain.rules) {
    out.push({ bit, reachable });
    if (neverMatches(r, ipsets) || r.target === null) continue;
    const m = markOption(r);
    const uncond = alwaysMatches(rs, r);
    if (isReturnIfAccepted(r)) {
      if (bit === "set") reachable = false;
      else bit = "clear";
    } else if (m) {
      const touches = (m.mask & MARK.accept) !== 0;
      const sets = (m.value & MARK.accept) !== 0;
      if (touches) bit = uncond ? (sets ? "set" : "clear") : sets === (bit === "set") ? bit : "unknown";
    } else if (r.target.kind === "jump" && !TERMINAL_TARGETS.has(r.target.name)) {
      bit = jumpEffect(rs, ipsets, r.target.name, bit);
    } else if (uncond) {
      reachable = false;
    }
  }
  return out;
}

/**
 * (9) A clear of the accept bit that is overwritten before anything reads
 * it: the following rules neither test nor change the bit (no mark match, no
 * MARK on the accept bit, no-op jumps), until a jump to a chain that sets it
 * unconditionally (an endpoint without policies going straight to its kns profile).
 */
function clearOverwritten(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, chain: Chain, index: number): boolean {
  const m = markOption(chain.rules[index]!);
  if (!m || m.value !== 0 || (m.mask & MARK.accept) === 0) return false;
  for (const r of chain.rules.slice(index + 1)) {
    if (neverMatches(r, ipsets) || r.target === null) continue;
    if (r.target.kind === "jump" && !TERMINAL_TARGETS.has(r.target.name) && r.target.name !== "MARK") {
      const effect = jumpEffect(rs, ipsets, r.target.name, "unknown");
      if (effect === "set") return true;
      if (isNoop(rs, ipsets, r.target.name)) continue;
      return false;
    }
    const o = markOption(r);
    if (markMatches(r).some(([, mask]) => (mask & MARK.accept) !== 0) || (o && (o.mask & MARK.accept) !== 0)) return false;
    if (r.target.kind === "goto" || (r.target.name === "RETURN" && alwaysMatches(rs, r))) return false;
  }
  return false;
}

/**
 * Why deleting `chain.rules[index]` cannot change the fate of any packet
 * verify probes, or null: each reason a proof on the ruleset's structure.
 * There is no "outside the model" reason any more: conntrack-state rules are
 * observed by replies and the ESTABLISHED/INVALID invariants, Felix's
 * encapsulation guards by the IPIP/VXLAN invariants (src/verify/invariants.ts).
 */
export function whyUnobservable(rs: RuleSet, ipsets: ReadonlyMap<string, IpSet>, chain: Chain, index: number): string | null {
  const rule = chain.rules[index]!;
  // (1) No target: iptables only counts the packet (Felix's chain comments).
  if (rule.target === null) return "comment-only";
  // (2) A positive match on an empty set matches no packet at all.
  if (neverMatches(rule, ipsets)) return "matches an empty ipset";
  if (isDead(rs, chain, index)) return "unreachable";
  if (rule.target.kind === "jump" && isNoop(rs, ipsets, rule.target.name)) return "jump to a chain that cannot accept or drop";
  const flow = chainFlow(rs, ipsets, chain)[index]!;
  if (!flow.reachable) return "unreachable";
  if (isReturnIfAccepted(rule) && flow.bit === "clear") return "return-if-accepted while the bit is clear";
  if (redundantReturn(rs, ipsets, chain, index)) return "return-if-accepted repeated by the caller";
  if (clearsUnsetBits(rs, rule)) return "clears mark bits nothing sets";
  if (fwAcceptAlreadyClear(rs, chain, rule)) return "accept bit already clear on entry";
  if (clearOverwritten(rs, ipsets, chain, index)) return "accept-bit clear overwritten before it is read";
  return null;
}
