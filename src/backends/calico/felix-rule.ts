// Felix's rules, built in the rule model (src/rules/types.ts) with builders
// named after felix/iptables/match_builder.go and actions.go. A rule is built
// once, in iptables-save's own spelling but for protocol numbers (Felix
// writes `-p 4`; the renderer prints what the node's /etc/protocols says), and
// the iptables renderer derives the spelling Felix hashes from it (src/rules/
// felix.ts): nothing here writes text. Chains carry the runs Felix hashes
// under one name (§6), so the renderer can print their `cali:` comments.
import { head, m, t } from "../../rules/build.js";
import type { Chain, Rule, RulePart, Target } from "../../rules/types.js";
import { appendsHashChain } from "./names.js";

/** Match parts (felix/iptables/match_builder.go). */
export const fm = {
  protocol: (name: string, negated = false): RulePart => head.protocol(name, negated),
  /** ProtocolNum: Felix writes (and hashes) the number; iptables-save prints its name (Appendix A). */
  protocolNum: (num: number): RulePart => head.protocol(String(num)),
  source: (cidr: string, negated = false): RulePart => head.source(cidr, negated),
  destination: (cidr: string, negated = false): RulePart => head.destination(cidr, negated),
  inInterface: (iface: string): RulePart => head.inInterface(iface),
  outInterface: (iface: string): RulePart => head.outInterface(iface),
  set: (name: string, flags: "src" | "dst" | "src,src" | "dst,dst", negated = false): RulePart => m.set(name, flags, negated),
  multiport: (dir: "src" | "dst", ports: string, negated = false): RulePart => m.multiport(dir === "src" ? "sports" : "dports", ports, negated),
  /**
   * Protocol(proto).DestPort(port): Felix writes (and hashes) `-p udp --dport 4789`, the port continuing the match
   * iptables loads after `-p`; iptables-save prints it `-p udp … -m udp --dport 4789` (felix.ts drops the `-m`).
   */
  destPort: (proto: "tcp" | "udp", port: number): RulePart[] => [head.protocol(proto), m.generic(proto, m.opt("dport", [String(port)]))],
  /** MarkClear: `--mark 0/<mask>`. */
  markClear: (mask: number): RulePart => m.mark(0, mask),
  /** MarkNotClear: `! --mark 0/<mask>` (P28+ group chains, §4.6). */
  markNotClear: (mask: number): RulePart => m.mark(0, mask, true),
  /** MarkSingleBitSet: `--mark <bit>/<bit>`. */
  markSet: (bit: number): RulePart => m.mark(bit, bit),
  conntrack: (states: readonly string[], negated = false): RulePart => m.conntrack(states, negated),
  dstAddrTypeLocal: (): RulePart => m.addrtype(m.opt("dst-type", ["LOCAL"])),
  srcAddrTypeLocal: (): RulePart => m.addrtype(m.opt("src-type", ["LOCAL"])),
  notSrcAddrTypeLocalLimitOut: (): RulePart => m.addrtype(m.opt("src-type", ["LOCAL"], true), m.opt("limit-iface-out")),
  /** Felix's `--invert --validmark`, kept in the order iptables-save prints (§8.2). */
  rpfilterFailedValidMark: (): RulePart => m.rpfilter("validmark", "invert"),
};

/** Targets (felix/iptables/actions.go, §6). */
export const ft = {
  accept: (): Target => t.accept(),
  drop: (): Target => t.drop(),
  ret: (): Target => t.ret(),
  jump: (chain: string): Target => t.jump(chain),
  goto: (chain: string): Target => t.goto(chain),
  /** By action name (for configurable verdicts). */
  verdict: (name: "ACCEPT" | "DROP" | "RETURN"): Target => t.jump(name),
  /** SetMark: `--set-mark <bit>/<bit>`. */
  setMark: (bit: number): Target => t.setXmark(bit, bit),
  /** ClearMark: `--set-mark 0/<mask>`. */
  clearMark: (mask: number): Target => t.setXmark(0, mask),
  /** SetMaskedMark: `--set-mark %#x/%#x` — zero is written `0x0` here (§4.4). */
  setMaskedMark: (value: number, mask: number): Target => ({ ...(t.setXmark(value, mask) as Extract<Target, { kind: "jump" }>), spelling: "masked" }),
  masquerade: (randomFully: boolean): Target => t.masquerade(randomFully),
  /** NoTrack: `--jump NOTRACK` (raw table). */
  notrack: (): Target => t.jump("NOTRACK"),
  /**
   * Nflog(group, prefix, 0): `--nflog-size 80` (kernels ≥ 4.8, Felix's NFLogSize feature). Kept in iptables-save's
   * option order (prefix, group, size; libxt_NFLOG); felix.ts writes Felix's (group, prefix, size) for the hash.
   */
  nflog: (group: number, prefix: string): Target =>
    t.jump("NFLOG", m.opt("nflog-prefix", [prefix], false, true), m.opt("nflog-group", [String(group)]), m.opt("nflog-size", ["80"])),
};

/** A rule: its matches, its target, and the comments Felix writes before them. */
export function rule(parts: readonly RulePart[], target: Target | null, ...comments: string[]): Rule {
  return comments.length ? { parts, target, comments } : { parts, target };
}

/** A user chain (policy null) or built-in chain (policy given), every rule hashed under its name. */
export function chain(name: string, rules: readonly Rule[], policy: string | null = null): Chain {
  return { name, policy, rules, hashRuns: [{ chain: name, rules: rules.length }] };
}

/**
 * A kernel chain with Felix hooks: inserted rules hash under the kernel chain
 * name, appended ones under `<chain>*appends*` (§2.2).
 */
export function kernelChain(name: string, policy: string, inserted: readonly Rule[], appended: readonly Rule[] = []): Chain {
  return {
    name,
    policy,
    rules: [...inserted, ...appended],
    hashRuns: [
      { chain: name, rules: inserted.length },
      { chain: appendsHashChain(name), rules: appended.length },
    ],
  };
}
