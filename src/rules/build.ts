// Small builders for rule parts and targets, so backends never concatenate
// flag strings (STYLE.md "Build structures, write once").
import type { RuleOption, RulePart, Target } from "./types.js";

const opt = (name: string, args: readonly string[] = [], negated = false, quoted = false): RuleOption =>
  quoted ? { name, negated, args, quoted } : { name, negated, args };

export const head = {
  source: (cidr: string, negated = false): RulePart => ({ kind: "source", negated, value: cidr }),
  destination: (cidr: string, negated = false): RulePart => ({ kind: "destination", negated, value: cidr }),
  inInterface: (iface: string, negated = false): RulePart => ({ kind: "in-interface", negated, value: iface }),
  outInterface: (iface: string, negated = false): RulePart => ({ kind: "out-interface", negated, value: iface }),
  protocol: (proto: string, negated = false): RulePart => ({ kind: "protocol", negated, value: proto }),
};

function match(module: string, ...options: RuleOption[]): RulePart {
  return { kind: "match", module, options };
}

export const m = {
  comment: (text: string): RulePart => match("comment", opt("comment", [text], false, true)),
  /** `-m mark [!] --mark value/mask` (hex as iptables-save prints: %#x). */
  mark: (value: number, mask: number, negated = false): RulePart =>
    match("mark", opt("mark", [`${hex(value)}/${hex(mask)}`], negated)),
  /** `-m set [!] --match-set NAME src|dst|src,src|dst,dst`. */
  set: (name: string, flags: string, negated = false): RulePart => match("set", opt("match-set", [name, flags], negated)),
  /** `-m multiport [!] --dports|--sports list`. */
  multiport: (dir: "dports" | "sports", ports: string, negated = false): RulePart =>
    match("multiport", opt(dir, [ports], negated)),
  conntrack: (states: readonly string[], negated = false): RulePart =>
    match("conntrack", opt("ctstate", [states.join(",")], negated)),
  addrtype: (...options: RuleOption[]): RulePart => match("addrtype", ...options),
  rpfilter: (...flags: string[]): RulePart => match("rpfilter", ...flags.map((f) => opt(f))),
  /** Any other match, built option by option. */
  generic: (module: string, ...options: RuleOption[]): RulePart => match(module, ...options),
  opt,
};

export const t = {
  jump: (name: string, ...options: RuleOption[]): Target => ({ kind: "jump", name, options }),
  goto: (name: string): Target => ({ kind: "goto", name }),
  accept: (): Target => ({ kind: "jump", name: "ACCEPT", options: [] }),
  drop: (): Target => ({ kind: "jump", name: "DROP", options: [] }),
  ret: (): Target => ({ kind: "jump", name: "RETURN", options: [] }),
  /** `-j MARK --set-xmark value/mask`. */
  setXmark: (value: number, mask: number): Target => ({
    kind: "jump",
    name: "MARK",
    options: [opt("set-xmark", [`${hex(value)}/${hex(mask)}`])],
  }),
  masquerade: (randomFully: boolean): Target => ({
    kind: "jump",
    name: "MASQUERADE",
    options: randomFully ? [opt("random-fully")] : [],
  }),
};

/** Go's %#x: lower-case, 0x prefix, "0x0" for zero — the spelling iptables-save uses for marks. */
export function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16);
}
