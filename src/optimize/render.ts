// Rendering optimised Calico rules to Felix rules: the backend's own allow-rule
// renderer, plus `hash:net` sets for long ipBlock lists, through a set
// registry that also applies ipset-dedup's aliases. Set names stay Felix-like:
// `cali40` + a unique ID (§7.1); CIDR sets use prefix `o` over their members.
import type { FelixRule, Frag } from "../backends/calico/felix-rule.js";
import { fm, ft } from "../backends/calico/felix-rule.js";
import type { CalicoProtocol } from "../backends/calico/convert.js";
import { MARK, ipSetName, makeUniqueId } from "../backends/calico/names.js";
import { renderAllowRule } from "../backends/calico/policy-rules.js";
import type { CalicoSelector } from "../backends/calico/selector.js";
import { SetRegistry } from "../backends/calico/sets.js";
import type { OptRule } from "./rules.js";

/** `cali40o:` + 23 chars of SHA-224 over the members: the same CIDR list gets the same set on every node. */
export function netSetName(members: readonly string[]): string {
  return ipSetName(makeUniqueId("o", members.join(",")));
}

export class OptRegistry extends SetRegistry {
  /** CIDR sets: name → members (address order). */
  readonly nets = new Map<string, readonly string[]>();

  constructor(private readonly alias: ReadonlyMap<string, string>) {
    super();
  }

  private aliased(name: string): string {
    return this.alias.get(name) ?? name;
  }

  override selector(sel: CalicoSelector): string {
    return this.aliased(super.selector(sel));
  }

  override namedPort(sel: CalicoSelector | null, protocol: CalicoProtocol, port: string): string {
    return this.aliased(super.namedPort(sel, protocol, port));
  }

  netSet(members: readonly string[]): string {
    const name = netSetName(members);
    this.nets.set(name, members);
    return this.aliased(name);
  }
}

const SET_ACCEPT = ft.setMark(MARK.accept).felix;

/** §4.3 order: the protocol first, then source/destination address matches — the set goes right after the protocol. */
function withSets(matches: readonly Frag[], sets: readonly Frag[]): Frag[] {
  const at = matches.findIndex((f) => f.part.kind !== "protocol");
  const i = at < 0 ? matches.length : at;
  return [...matches.slice(0, i), ...sets, ...matches.slice(i)];
}

export function renderOptRule(r: OptRule, reg: OptRegistry): FelixRule[] {
  const base = renderAllowRule(r, reg);
  if (!r.srcNetSet && !r.dstNetSet) return base;
  const sets = [
    ...(r.srcNetSet ? [fm.set(reg.netSet(r.srcNetSet), "src")] : []),
    ...(r.dstNetSet ? [fm.set(reg.netSet(r.dstNetSet), "dst")] : []),
  ];
  return base.map((fr) => (fr.target?.felix === SET_ACCEPT ? { ...fr, matches: withSets(fr.matches, sets) } : fr));
}
