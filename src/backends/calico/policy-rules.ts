// One Calico rule → Felix rules (§4.2–§4.5; felix/rules/policy.go
// ProtoRuleToIptablesRules, CalculateRuleMatch, matchBlockBuilder).
//
// iptables holds one -s, one -d and one AND-ed multiport per direction, so
// what Calico ORs (several CIDRs, >15 port slots, numeric + named ports) is
// computed ahead of the main rule into mark bits ("match blocks", §4.4):
//   init:  MARK <0 or S0>/<S0|S1>
//   first positive block: each alternative sets S0 directly;
//   later positive blocks: each alternative sets S1, then "S1 clear → clear S0";
//   negated blocks: each excluded CIDR clears S0.
// The main rule then also requires S0. Block order is fixed: src ports, dst
// ports, src CIDRs, dst CIDRs, negated src CIDRs, negated dst CIDRs.
import type { CalicoPort, CalicoProtocol, CalicoRule } from "./convert.js";
import type { Rule, RulePart } from "../../rules/types.js";
import { fm, ft, rule } from "./felix-rule.js";
import { isV6 } from "./ipv4.js";
import { CLASSIC_PROFILE, type FelixMarks } from "./profile.js";
import type { SetRegistry } from "./sets.js";

type Range = Extract<CalicoPort, { kind: "range" }>;

/** multiport takes ≤15 slots; a range costs 2 (iptables-extensions(8), Felix SplitPortList). */
const MULTIPORT_SLOTS = 15;

export function splitPortList(ports: readonly Range[]): Range[][] {
  const splits: Range[][] = [];
  let current: Range[] = [];
  let free = MULTIPORT_SLOTS;
  for (const p of ports) {
    const cost = p.first === p.last ? 1 : 2;
    if (free < cost) {
      splits.push(current);
      current = [];
      free = MULTIPORT_SLOTS;
    }
    current.push(p);
    free -= cost;
  }
  if (current.length) splits.push(current);
  return splits;
}

/** PortRangesToMultiport: `80`, `8000:8080`, comma-joined. */
export function multiportList(ports: readonly Range[]): string {
  return ports.map((p) => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`)).join(",");
}

/** A rule after set resolution and family filtering: Felix's proto.Rule for k8s input. */
interface FelixMatchRule {
  readonly protocol: CalicoProtocol | null;
  srcNets: readonly string[];
  notSrcNets: readonly string[];
  dstNets: readonly string[];
  notDstNets: readonly string[];
  readonly srcSets: readonly string[];
  readonly dstSets: readonly string[];
  dstPorts: readonly Range[];
  dstNamedSets: readonly string[];
}

/** FilterRuleToIPVersion (§4.5, ipv6-and-policy A5): keep the table's family's CIDRs; a list emptied by filtering drops the rule. */
function filterFamily(nets: readonly string[], family: 4 | 6): string[] | null {
  const kept = nets.filter((n) => isV6(n) === (family === 6));
  return nets.length > 0 && kept.length === 0 ? null : kept;
}

/**
 * Set selection (§7.2 ruleToParsedRule): the destination selector set is
 * replaced by named-port sets (already filtered by that selector) when the
 * rule has named ports and no numeric ones. Named ports match TCP unless the
 * rule is UDP/SCTP (P27).
 */
function resolve(r: CalicoRule, sets: SetRegistry): FelixMatchRule | null {
  const nets = [r.srcNets, r.notSrcNets, r.dstNets, r.notDstNets].map((n) => filterFamily(n, sets.family));
  const [srcNets, notSrcNets, dstNets, notDstNets] = nets;
  if (!srcNets || !notSrcNets || !dstNets || !notDstNets) return null;
  const numeric = r.dstPorts.filter((p): p is Range => p.kind === "range");
  const named = r.dstPorts.flatMap((p) => (p.kind === "named" ? [p.name] : []));
  const proto: CalicoProtocol = r.protocol === "udp" || r.protocol === "sctp" ? r.protocol : "tcp";
  const dstSelectorReplaced = named.length > 0 && numeric.length === 0;
  return {
    protocol: r.protocol,
    srcNets,
    notSrcNets,
    dstNets,
    notDstNets,
    srcSets: r.srcSelector ? [sets.selector(r.srcSelector)] : [],
    dstSets: r.dstSelector && !dstSelectorReplaced ? [sets.selector(r.dstSelector)] : [],
    dstPorts: numeric,
    dstNamedSets: named.map((n) => sets.namedPort(r.dstSelector, proto, n)),
  };
}

class MatchBlocks {
  readonly rules: Rule[] = [];
  used = false;
  private donePositive = false;

  constructor(private readonly marks: FelixMarks) {}

  private init(initial: number): void {
    if (this.used) return;
    this.rules.push(rule([], ft.setMaskedMark(initial, this.marks.scratch0 | this.marks.scratch1)));
    this.used = true;
  }

  /** One positive block: any alternative passing marks the block as passed. */
  positive(alternatives: readonly (readonly RulePart[])[]): void {
    this.init(0);
    const bit = this.donePositive ? this.marks.scratch1 : this.marks.scratch0;
    for (const a of alternatives) this.rules.push(rule(a, ft.setMark(bit)));
    if (this.donePositive) this.rules.push(rule([fm.markClear(this.marks.scratch1)], ft.clearMark(this.marks.scratch0)));
    this.donePositive = true;
  }

  /** A negated block: any excluded CIDR matching clears "all blocks pass". */
  negated(excluded: readonly RulePart[]): void {
    this.init(this.marks.scratch0);
    for (const f of excluded) this.rules.push(rule([f], ft.clearMark(this.marks.scratch0)));
  }
}

function protoRulePart(p: CalicoProtocol | null): RulePart[] {
  return p ? [fm.protocol(p)] : [];
}

/** Move whatever cannot fit in one rule into match blocks (§4.4), mutating `r`. */
function buildBlocks(r: FelixMatchRule, marks: FelixMarks): MatchBlocks {
  const blocks = new MatchBlocks(marks);
  // Source ports never occur in k8s input, so the source-ports block is always skipped.
  const splits = splitPortList(r.dstPorts);
  if (splits.length + r.dstNamedSets.length > 1) {
    blocks.positive([
      ...splits.map((s) => [...protoRulePart(r.protocol), fm.multiport("dst", multiportList(s))]),
      ...r.dstNamedSets.map((n) => [fm.set(n, "dst,dst")]),
    ]);
    r.dstPorts = [];
    r.dstNamedSets = [];
  }
  if (r.srcNets.length > 1) {
    blocks.positive(r.srcNets.map((c) => [fm.source(c)]));
    r.srcNets = [];
  }
  if (r.dstNets.length > 1) {
    blocks.positive(r.dstNets.map((c) => [fm.destination(c)]));
    r.dstNets = [];
  }
  if (r.srcNets.length + r.notSrcNets.length > 1) {
    blocks.negated(r.notSrcNets.map((c) => fm.source(c)));
    r.notSrcNets = [];
  }
  if (r.dstNets.length + r.notDstNets.length > 1) {
    blocks.negated(r.notDstNets.map((c) => fm.destination(c)));
    r.notDstNets = [];
  }
  return blocks;
}

/** CalculateRuleMatch fragment order (§4.3), for the fields k8s can fill. */
function mainMatch(r: FelixMatchRule): RulePart[] {
  return [
    ...protoRulePart(r.protocol),
    ...r.srcNets.map((c) => fm.source(c)),
    ...r.srcSets.map((s) => fm.set(s, "src")),
    ...r.dstNets.map((c) => fm.destination(c)),
    ...r.dstSets.map((s) => fm.set(s, "dst")),
    ...(r.dstPorts.length ? [fm.multiport("dst", multiportList(r.dstPorts))] : []),
    ...r.dstNamedSets.map((s) => fm.set(s, "dst,dst")),
    ...r.notSrcNets.map((c) => fm.source(c, true)),
    ...r.notDstNets.map((c) => fm.destination(c, true)),
  ];
}

/**
 * An allow rule (§4.2): blocks, main match → set accept, then RETURN on
 * accept (P27 keeps it always; P28+ strips the chain's trailing RETURNs,
 * withoutTrailingReturns). The scratch bits are the profile's (§3.1).
 */
export function renderAllowRule(calicoRule: CalicoRule, sets: SetRegistry, marks: FelixMarks = CLASSIC_PROFILE.marks, nflog: FlowLog | null = null): Rule[] {
  const r = resolve(calicoRule, sets);
  if (!r) return [];
  const blocks = buildBlocks(r, marks);
  const match = mainMatch(r);
  if (blocks.used) match.push(fm.markSet(marks.scratch0));
  // P30+ with flow logs (CombineMatchAndActionsForProtoRule): the NFLOG goes between the verdict mark and the RETURN.
  const log = nflog ? [rule([fm.markSet(marks.accept)], ft.nflog(nflog.group, nflog.prefix))] : [];
  return [...blocks.rules, rule(match, ft.setMark(marks.accept)), ...log, rule([fm.markSet(marks.accept)], ft.ret())];
}

/** The NFLOG a verdict is logged with when flow logs are on (felix/rules/nflogprefix.go). */
export interface FlowLog {
  readonly group: number;
  readonly prefix: string;
}

const isReturn = (r: Rule): boolean => r.target?.kind === "jump" && r.target.name === "RETURN";

/** P28+ (§4.1): a policy chain's trailing rules whose target is RETURN are removed, before the chain comment is added. */
export function withoutTrailingReturns(rules: readonly Rule[]): Rule[] {
  let end = rules.length;
  while (end > 0 && isReturn(rules[end - 1]!)) end--;
  return rules.slice(0, end);
}

/** Felix attaches the chain comment to the first rule, creating a no-op rule if the chain is empty (§4.1). */
export function withChainComment(rules: readonly Rule[], comment: string): Rule[] {
  const [first, ...rest] = rules;
  if (!first) return [rule([], null, comment)];
  return [{ ...first, comments: [...(first.comments ?? []), comment] }, ...rest];
}
