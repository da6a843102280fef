// Rendering optimised Calico rules to Felix rules: the backend's own allow-rule
// renderer, plus `hash:net` sets for long ipBlock lists, through a set
// registry that also records those sets. Set names stay Felix-like: `cali40` +
// a unique ID (§7.1); CIDR sets use prefix `o` over their members.
import type { Rule, RulePart } from "../../../rules/types.js";
import { fm } from "../felix-rule.js";
import { MARK, ipSetName, makeUniqueId } from "../names.js";
import { renderAllowRule } from "../policy-rules.js";
import { CLASSIC_PROFILE, type FelixMarks } from "../profile.js";
import { SetRegistry } from "../sets.js";
import type { OptRule } from "./rules.js";

/** `cali40o:` + 23 chars of SHA-224 over the members: the same CIDR list gets the same set on every node. */
export function netSetName(members: readonly string[], family: 4 | 6 = 4): string {
  return ipSetName(makeUniqueId("o", members.join(",")), family);
}

export class OptRegistry extends SetRegistry {
  /** CIDR sets: name → members (address order), in the order rules first used them. */
  readonly nets = new Map<string, readonly string[]>();

  netSet(members: readonly string[]): string {
    const name = netSetName(members, this.family);
    if (!this.nets.has(name)) this.nets.set(name, members);
    return name;
  }
}

/** The rule that sets the accept mark: `-j MARK --set-xmark <accept>/<accept>`. */
function setsAccept(r: Rule): boolean {
  const t = r.target;
  const bit = `0x${MARK.accept.toString(16)}`;
  return t?.kind === "jump" && t.name === "MARK" && t.spelling === undefined && t.options.length === 1 && t.options[0]?.args[0] === `${bit}/${bit}`;
}

/** §4.3 order: the protocol first, then source/destination address matches — the set goes right after the protocol. */
function withSets(parts: readonly RulePart[], sets: readonly RulePart[]): RulePart[] {
  const at = parts.findIndex((p) => p.kind !== "protocol");
  const i = at < 0 ? parts.length : at;
  return [...parts.slice(0, i), ...sets, ...parts.slice(i)];
}

export function renderOptRule(r: OptRule, reg: OptRegistry, marks: FelixMarks = CLASSIC_PROFILE.marks): Rule[] {
  // cidr-merge builds CIDR sets from IPv4 ipBlocks only: in the IPv6 tables such a rule matches nothing (A5).
  if (reg.family === 6 && (r.srcNetSet || r.dstNetSet)) return [];
  const base = renderAllowRule(r, reg, marks);
  if (!r.srcNetSet && !r.dstNetSet) return base;
  const sets = [
    ...(r.srcNetSet ? [fm.set(reg.netSet(r.srcNetSet), "src")] : []),
    ...(r.dstNetSet ? [fm.set(reg.netSet(r.dstNetSet), "dst")] : []),
  ];
  return base.map((fr) => (setsAccept(fr) ? { ...fr, parts: withSets(fr.parts, sets) } : fr));
}
