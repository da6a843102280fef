// kube-proxy's restore text → what iptables-save (and iptables -S) print
// back from the kernel (spec kubeproxy-format §4.3): address matches first
// with their mask, `-p` after them, option continuations folded into their
// match, recent/statistic/mark/REJECT in the kernel's canonical spelling.
// Only iptables words here; it is kube-proxy's because only its rules are
// written in restore spelling. A chain or rule shared by many nodes is
// converted once per compilation (savedChain, savedRuleOnce).
import { memoTable, type Compilation } from "../../compilation.js";
import type { Chain, HeadKind, Rule, RuleOption, RulePart, Target } from "../../rules/types.js";
import { fixed } from "./names.js";

/** iptables-save's order of the short-flag fields (iptables.c print_firewall / save). */
const HEAD_ORDER: readonly HeadKind[] = ["source", "destination", "in-interface", "out-interface", "protocol"];

type Match = Extract<RulePart, { kind: "match" }>;

const SAVED_CHAINS = memoTable<Chain, Chain>("kubeproxy/saved-chains");
const SAVED_RULES = memoTable<Rule, Rule>("kubeproxy/saved-rules");

/** The saved form of a (shared, immutable) chain, made once per compilation. */
export function savedChain(comp: Compilation, c: Chain): Chain {
  return comp.memo(SAVED_CHAINS, c, () => ({ ...c, rules: c.rules.map(savedRule) }));
}

/** The saved form of a (shared, immutable) rule, made once per compilation. */
export function savedRuleOnce(comp: Compilation, r: Rule): Rule {
  return comp.memo(SAVED_RULES, r, () => savedRule(r));
}

export function savedRule(r: Rule): Rule {
  const v6 = r.parts.some((p) => p.kind !== "match" && (p.kind === "source" || p.kind === "destination") && p.value.includes(":"));
  const heads = r.parts.flatMap((p) => (p.kind === "match" ? [] : [p.kind === "source" || p.kind === "destination" ? { ...p, value: withMask(p.value) } : p]));
  // Sorted by iptables-save's field order (stable for equal kinds).
  heads.sort((a, b) => HEAD_ORDER.indexOf(a.kind) - HEAD_ORDER.indexOf(b.kind));
  const matches: Match[] = [];
  for (const p of r.parts) {
    if (p.kind !== "match") continue;
    const prev = p.implicit ? [...matches].reverse().find((x) => x.module === p.module) : undefined;
    if (prev) matches[matches.indexOf(prev)] = { ...prev, options: [...prev.options, ...p.options] };
    else matches.push({ kind: "match", module: p.module, options: p.options });
  }
  const parts = [...heads, ...matches.map((x) => savedMatch(x, v6))];
  return { parts, target: r.target && savedTarget(r.target, v6) };
}

/** Bare hosts get their full-length mask: `10.180.0.1` → `10.180.0.1/32`, `ff06::c1` → `ff06::c1/128`. */
function withMask(addr: string): string {
  if (addr.includes("/")) return addr;
  return `${addr}/${addr.includes(":") ? 128 : 32}`;
}

function savedMatch(x: Match, v6: boolean): Match {
  switch (x.module) {
    case "recent":
      return { ...x, options: savedRecent(x.options, v6) };
    case "statistic":
      return { ...x, options: x.options.map((o) => (o.name === "probability" ? { ...o, args: [savedProbability(o.args[0] ?? "0")] } : o)) };
    case "mark":
      return { ...x, options: x.options.map((o) => (o.name === "mark" ? { ...o, args: [hexPair(o.args[0] ?? "0")] } : o)) };
    default:
      return x;
  }
}

/** xt_recent prints its mode first, then seconds/reap/hitcount, then name, mask and side (libxt_recent.c save). */
function savedRecent(options: readonly RuleOption[], v6: boolean): RuleOption[] {
  const order = ["set", "rcheck", "update", "remove", "seconds", "reap", "hitcount", "rttl", "name", "mask", "rsource", "rdest"];
  const out = [...options];
  if (!out.some((o) => o.name === "mask")) out.push({ name: "mask", negated: false, args: [v6 ? "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" : "255.255.255.255"] });
  if (!out.some((o) => o.name === "rsource" || o.name === "rdest")) out.push({ name: "rsource", negated: false, args: [] });
  return out.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}

/** The kernel keeps round(p·2^31) (libxt_statistic.c) and prints it back with %.11f. */
export function savedProbability(text: string): string {
  const n = Math.round(Number(text) * 0x80000000);
  return fixed(n / 0x80000000, 11);
}

/** `0x00004000/0x00004000` → `0x4000/0x4000` (and a bare value with an all-ones mask). */
function hexPair(text: string): string {
  const [v = "0", mask] = text.split("/");
  const hex = (s: string): string => `0x${(Number.parseInt(s, 16) >>> 0).toString(16)}`;
  return mask === undefined ? hex(v) : `${hex(v)}/${hex(mask)}`;
}

function savedTarget(tg: Target, v6: boolean): Target {
  if (tg.kind !== "jump") return tg;
  if (tg.name === "REJECT" && tg.options.length === 0) {
    return { ...tg, options: [{ name: "reject-with", negated: false, args: [v6 ? "icmp6-port-unreachable" : "icmp-port-unreachable"] }] };
  }
  if (tg.name !== "MARK") return tg;
  const o = tg.options[0];
  const value = hexPair(o?.args[0] ?? "0").split("/")[0] ?? "0x0";
  // MARK --or-mark M is --set-xmark M/M; --xor-mark M is --set-xmark M/0 (libxt_MARK.c).
  const xmark = o?.name === "or-mark" ? `${value}/${value}` : o?.name === "xor-mark" ? `${value}/0x0` : hexPair(o?.args[0] ?? "0");
  return { ...tg, options: [{ name: "set-xmark", negated: false, args: [xmark] }] };
}
