// Rule-stage passes: pure functions over one policy chain's Calico rules
// (the backend's rule model between the k8s IR and Felix's iptables rules,
// convert.ts). Every k8s NetworkPolicy rule is an allow rule, and an allow
// rule only sets the accept mark, so within one chain the rules form an OR:
// their order does not change what the chain accepts. That is what makes
// merging, moving and dropping rules sound here (and only here).
import type { CalicoPort, CalicoRule } from "../convert.js";
import { simplifyPorts } from "../convert.js";
import { splitPortList } from "../policy-rules.js";
import { canonical } from "../selector.js";
import type { CalicoSelector } from "../selector.js";
import { coversCidrs, familyOf, mergeCidrs, subtractCidrs } from "./cidr.js";

/** A Calico rule whose ipBlock CIDRs may have become one `hash:net` set (members in address order). */
export interface OptRule extends CalicoRule {
  readonly srcNetSet?: readonly string[];
  readonly dstNetSet?: readonly string[];
}

/** Above this many CIDRs a rule's list becomes one hash:net set: n CIDRs cost n+2 rules as a match block (§4.4), a set costs none. */
export const NET_SET_THRESHOLD = 4;

type Range = Extract<CalicoPort, { kind: "range" }>;

const allV4 = (nets: readonly string[]): boolean => nets.every((n) => familyOf(n) === 4);
const selKey = (s: CalicoSelector | null): string => (s ? canonical(s) : "");

/** Everything but the destination ports, as a grouping key. */
function keyWithoutPorts(r: OptRule): string {
  return JSON.stringify([r.protocol, selKey(r.srcSelector), selKey(r.dstSelector), r.srcNets, r.notSrcNets, r.dstNets, r.notDstNets, r.srcNetSet ?? null, r.dstNetSet ?? null]);
}

/** Which side holds the rule's ipBlock, when it is a plain IPv4 ipBlock rule (no selector, no net set yet). */
function ipBlockSide(r: OptRule): "src" | "dst" | null {
  if (r.srcSelector || r.dstSelector || r.srcNetSet || r.dstNetSet) return null;
  const src = r.srcNets.length > 0, dst = r.dstNets.length > 0;
  if (src === dst) return null;
  const nets = src ? [...r.srcNets, ...r.notSrcNets] : [...r.dstNets, ...r.notDstNets];
  if (!allV4(nets) || (src ? r.notDstNets.length : r.notSrcNets.length)) return null;
  return src ? "src" : "dst";
}

/**
 * cidr-merge: each IPv4 ipBlock loses its excepts (subtracted exactly); ipBlock
 * rules of one chain that differ only in their CIDRs collapse into one rule
 * with the merged list; a list longer than NET_SET_THRESHOLD becomes a set.
 */
export function cidrMerge(rules: readonly OptRule[]): OptRule[] {
  const out: (OptRule | null)[] = [];
  const groups = new Map<string, { index: number; side: "src" | "dst"; nets: string[] }>();
  for (const r of rules) {
    const side = ipBlockSide(r);
    if (!side) {
      out.push(r);
      continue;
    }
    const nets = side === "src" ? subtractCidrs(4, r.srcNets, r.notSrcNets) : subtractCidrs(4, r.dstNets, r.notDstNets);
    if (nets.length === 0) continue; // every address excepted: the rule matches nothing
    const key = JSON.stringify([side, r.protocol, r.dstPorts]);
    const g = groups.get(key);
    if (g) g.nets.push(...nets);
    else {
      groups.set(key, { index: out.length, side, nets });
      out.push(r);
    }
  }
  for (const g of groups.values()) {
    const r = out[g.index] as OptRule;
    const nets = mergeCidrs(4, g.nets);
    const long = nets.length > NET_SET_THRESHOLD;
    out[g.index] = g.side === "src"
      ? { ...r, srcNets: long ? [] : nets, notSrcNets: [], ...(long ? { srcNetSet: nets } : {}) }
      : { ...r, dstNets: long ? [] : nets, notDstNets: [], ...(long ? { dstNetSet: nets } : {}) };
  }
  return out.filter((r): r is OptRule => r !== null);
}

/**
 * Numeric ports ordered so that Felix's greedy SplitPortList packs them into
 * the fewest multiport matches: multiport holds 15 slots and a range costs 2
 * (iptables-extensions(8)), so 7 ranges leave one slot that only a single
 * port can fill — hence 7 ranges, 1 single, 7 ranges, 1 single, …, then the
 * remaining singles. Greedy over that order reaches max(⌈R/7⌉, ⌈(2R+S)/15⌉).
 */
export function packPorts(ports: readonly Range[]): Range[] {
  const ranges = ports.filter((p) => p.first !== p.last);
  const singles = ports.filter((p) => p.first === p.last);
  const out: Range[] = [];
  for (let i = 0; i < ranges.length; i += 7) {
    out.push(...ranges.slice(i, i + 7));
    const s = singles.shift();
    if (s) out.push(s);
  }
  return [...out, ...singles];
}

function mergePorts(a: readonly CalicoPort[], b: readonly CalicoPort[]): CalicoPort[] {
  const named = [...new Set([...a, ...b].flatMap((p) => (p.kind === "named" ? [p.name] : [])))];
  const numeric = simplifyPorts([...a, ...b].filter((p) => p.kind === "range")).filter((p): p is Range => p.kind === "range");
  const dedup = numeric.filter((p, i) => numeric.findIndex((q) => q.first === p.first && q.last === p.last) === i);
  return [...named.map((name): CalicoPort => ({ kind: "named", name })), ...packPorts(dedup)];
}

/** Whether the rule needs no match block besides its ports (so splitting it by port groups costs no extra block rules). */
function portsOnlyBlock(r: OptRule): boolean {
  return r.srcNets.length <= 1 && r.dstNets.length <= 1 && !r.notSrcNets.length && !r.notDstNets.length;
}

/**
 * port-merge: rules of one chain that differ only in their (non-empty) port
 * lists become one rule with the union, merged into ranges and packed; a
 * numeric list that still needs several multiport matches is split into one
 * rule per match instead of a match block (k rules instead of k+2).
 */
export function portMerge(rules: readonly OptRule[]): OptRule[] {
  const out: OptRule[] = [];
  const at = new Map<string, number>();
  for (const r of rules) {
    if (r.dstPorts.length === 0) {
      out.push(r);
      continue;
    }
    const key = keyWithoutPorts(r);
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push({ ...r, dstPorts: mergePorts(r.dstPorts, []) });
    } else out[i] = { ...(out[i] as OptRule), dstPorts: mergePorts((out[i] as OptRule).dstPorts, r.dstPorts) };
  }
  return out.flatMap((r) => {
    if (r.dstPorts.some((p) => p.kind === "named") || !portsOnlyBlock(r)) return [r];
    const splits = splitPortList(r.dstPorts as Range[]);
    return splits.length > 1 ? splits.map((s) => ({ ...r, dstPorts: s })) : [r];
  });
}

function netsCover(outerNets: readonly string[], outerNot: readonly string[], innerNets: readonly string[], innerNot: readonly string[]): boolean {
  if (outerNets.length === 0) return outerNot.length === 0;
  if (innerNets.length === 0) return false;
  if (![...outerNets, ...outerNot, ...innerNets, ...innerNot].every((n) => familyOf(n) === 4)) {
    return JSON.stringify([outerNets, outerNot]) === JSON.stringify([innerNets, innerNot]);
  }
  return coversCidrs(4, subtractCidrs(4, outerNets, outerNot), subtractCidrs(4, innerNets, innerNot));
}

function sideCovers(a: OptRule, b: OptRule, side: "src" | "dst"): boolean {
  const sel = (r: OptRule) => (side === "src" ? r.srcSelector : r.dstSelector);
  const nets = (r: OptRule) => (side === "src" ? (r.srcNetSet ?? r.srcNets) : (r.dstNetSet ?? r.dstNets));
  const not = (r: OptRule) => (side === "src" ? r.notSrcNets : r.notDstNets);
  const sa = sel(a), sb = sel(b);
  if (sa && (!sb || canonical(sa) !== canonical(sb))) return false;
  return netsCover(nets(a), not(a), nets(b), not(b));
}

function portsCover(a: OptRule, b: OptRule): boolean {
  if (a.dstPorts.length === 0) return true;
  if (b.dstPorts.length === 0) return false;
  const named = new Set(a.dstPorts.flatMap((p) => (p.kind === "named" ? [p.name] : [])));
  const ranges = a.dstPorts.filter((p): p is Range => p.kind === "range");
  // Named-port sets depend on the protocol and the destination selector (§7.2).
  const namedOk = (name: string) => named.has(name) && a.protocol === b.protocol && selKey(a.dstSelector) === selKey(b.dstSelector);
  const inRanges = (p: Range) => {
    for (let n = p.first; n <= p.last; n++) if (!ranges.some((q) => q.first <= n && n <= q.last)) return false;
    return true;
  };
  return b.dstPorts.every((p) => (p.kind === "named" ? namedOk(p.name) : inRanges(p)));
}

/** Whether every packet `b` accepts, `a` accepts too (a weaker-or-equal match, same allow target). */
export function covers(a: OptRule, b: OptRule): boolean {
  if (a.protocol !== null && a.protocol !== b.protocol) return false;
  return sideCovers(a, b, "src") && sideCovers(a, b, "dst") && portsCover(a, b);
}

/**
 * rule-absorb: a rule covered by an earlier rule of the chain is dropped (and,
 * rule order being irrelevant in an allow-only chain, so is one strictly
 * covered by a later rule).
 */
export function ruleAbsorb(rules: readonly OptRule[]): OptRule[] {
  return rules.filter((b, j) =>
    !rules.some((a, i) => i !== j && covers(a, b) && (i < j || !covers(b, a))),
  );
}
