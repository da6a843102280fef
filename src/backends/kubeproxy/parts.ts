// Rule parts in kube-proxy's restore-text order, built with the RuleSet
// builders (src/rules/build.ts). kube-proxy writes `-m tcp -p tcp -d <ip>
// --dport <port>`: the port option continues the `-m tcp` match after the
// head flags, which the RuleSet spells as an `implicit` match part (§3.3).
import { head, m, t } from "../../rules/build.js";
import type { Rule, RuleOption, RulePart, Target } from "../../rules/types.js";

export const opt = m.opt;

/** `-m <p> -p <p>`. */
export function proto(p: string): RulePart[] {
  return [m.generic(p), head.protocol(p)];
}

/** `--dport <port>` continuing the protocol match. */
export function dport(p: string, port: number): RulePart {
  return { kind: "match", module: p, options: [opt("dport", [String(port)])], implicit: true };
}

/** `-m <p> -p <p> [-d <ip>] --dport <port>`: kube-proxy's service match. */
export function serviceMatch(p: string, dst: string | null, port: number): RulePart[] {
  return [...proto(p), ...(dst === null ? [] : [head.destination(dst)]), dport(p, port)];
}

export const cmt = (text: string): RulePart => m.comment(text);

export function rule(parts: readonly RulePart[], target: Target | null): Rule {
  return { parts, target };
}

export const jump = (chain: string, ...options: RuleOption[]): Target => t.jump(chain, ...options);
export const REJECT: Target = t.jump("REJECT");
export const DROP: Target = t.drop();
export const ACCEPT: Target = t.accept();
export const RETURN: Target = t.ret();

export function dnat(endpoint: string): Target {
  return t.jump("DNAT", opt("to-destination", [endpoint]));
}

export function markTarget(option: "or-mark" | "xor-mark" | "set-xmark", value: string): Target {
  return t.jump("MARK", opt(option, [value]));
}

/** `-m mark [!] --mark <v>/<v>` with kube-proxy's own spelling of the value. */
export function markMatch(value: string, negated = false): RulePart {
  return m.generic("mark", opt("mark", [`${value}/${value}`], negated));
}

export function conntrack(states: string, negated = false): RulePart {
  return m.generic("conntrack", opt("ctstate", [states], negated));
}

export function addrtype(which: "src-type" | "dst-type", type: string, negated = false): RulePart {
  return m.generic("addrtype", opt(which, [type], negated));
}

export function nfacct(name: string): RulePart {
  return m.generic("nfacct", opt("nfacct-name", [name]));
}

export function statistic(probability: string): RulePart {
  return m.generic("statistic", opt("mode", ["random"]), opt("probability", [probability]));
}

/** `-m recent --name <sep> --rcheck --seconds <s> --reap` (§3.3(j)). */
export function recentCheck(sep: string, seconds: number): RulePart {
  return m.generic("recent", opt("name", [sep]), opt("rcheck"), opt("seconds", [String(seconds)]), opt("reap"));
}

/** `-m recent --name <sep> --set` (§3.3(k)). */
export function recentSet(sep: string): RulePart {
  return m.generic("recent", opt("name", [sep]), opt("set"));
}

export const src = (cidr: string, negated = false): RulePart => head.source(cidr, negated);
export const dst = (cidr: string, negated = false): RulePart => head.destination(cidr, negated);
export const inIface = (name: string, negated = false): RulePart => head.inInterface(name, negated);
