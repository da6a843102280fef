// One Felix rule of the iptables rule model → nft statements, as Felix's
// nftables match builder and actions write the same builder calls
// (nftables.md §B.4; felix/nftables/match_builder.go, actions.go at v3.32.0).
// The model keeps Felix's builder order (rules/felix.ts hashes it so), which is
// also the order of Felix's nft clauses. Every match and target netpolc's Felix
// chains use has a case here; anything else has no faithful nft form known to
// us and throws — a bug to fix here, never a rule to drop.
import type { NftExpr, NftStmt, NftValue } from "../../../rules/nft/model.js";
import type { Rule, RuleOption, RulePart, Target } from "../../../rules/types.js";
import { nftSetName } from "./names.js";

/** How a translated rule names chains: layer prefix plus the version's chain names (table.ts). */
export type ChainNamer = (iptablesChain: string) => string;

export class NftTranslationError extends Error {
  constructor(what: string, rule: Rule) {
    super(`calico nftables: no faithful nft form for ${what} (rule ${JSON.stringify({ parts: rule.parts, target: rule.target })})`);
  }
}

const meta = (key: Extract<NftExpr, { kind: "meta" }>["key"]): NftExpr => ({ kind: "meta", key });
const payload = (proto: Extract<NftExpr, { kind: "payload" }>["proto"], field: string): NftExpr => ({ kind: "payload", proto, field });
const value = (v: string): NftValue => ({ kind: "value", value: v });
const eq = (left: NftExpr, right: NftValue, negated = false): NftStmt => ({ kind: "match", left, op: negated ? "!=" : "==", right });
const fib = (flags: Extract<NftExpr, { kind: "fib" }>["flags"], result: "type" | "oif"): NftExpr => ({ kind: "fib", flags, result });

/** Felix's `<IPV>` placeholder (insertIPVersion). */
const ipv = (family: 4 | 6): "ip" | "ip6" => (family === 6 ? "ip6" : "ip");

/** transportProto(): the `tcp`/`udp`/`sctp` of a port match, from the rule's protocol by name or number. */
const TRANSPORT: ReadonlyMap<string, "tcp" | "udp" | "sctp"> = new Map([
  ["tcp", "tcp"], ["6", "tcp"], ["udp", "udp"], ["17", "udp"], ["sctp", "sctp"], ["132", "sctp"],
]);

/** Felix's wildcard is `*` where iptables has `+` (match_builder.go Wildcard); written unquoted. */
const ifaceMatch = (iface: string): string => (iface.endsWith("+") ? iface.slice(0, -1) + "*" : iface);

/** ctstate words that are conntrack *status* bits in nft: Felix's nft static rules match DNAT with `ct status` (static.go). */
const CT_STATUS: ReadonlySet<string> = new Set(["DNAT", "SNAT"]);
const CT_STATE: ReadonlySet<string> = new Set(["INVALID", "ESTABLISHED", "RELATED", "NEW", "UNTRACKED"]);

/** The one option of a match or target, with `args` arguments. */
function only(o: readonly RuleOption[], rule: Rule, what: string, args = 1): RuleOption {
  if (o.length !== 1 || o[0]!.args.length !== args) throw new NftTranslationError(what, rule);
  return o[0]!;
}

/** `0x10000/0x10000` → [value, mask]. */
function markPair(arg: string, rule: Rule): [number, number] {
  const [v, m] = arg.split("/");
  if (v === undefined || m === undefined || Number.isNaN(Number(v)) || Number.isNaN(Number(m))) throw new NftTranslationError(`mark ${arg}`, rule);
  return [Number(v) >>> 0, Number(m) >>> 0];
}

/** multiport `80,8000:8080` → `{ 80, 8000-8080 }`: Felix always writes braces (PortsToMultiport). */
function portItems(list: string): string[] {
  return list.split(",").map((p) => p.replace(":", "-"));
}

function protocolOf(rule: Rule): "tcp" | "udp" | "sctp" | null {
  const p = rule.parts.find((x) => x.kind === "protocol" && !x.negated);
  return p && p.kind === "protocol" ? (TRANSPORT.get(p.value) ?? null) : null;
}

function matchPart(p: Extract<RulePart, { kind: "match" }>, rule: Rule, family: 4 | 6): NftStmt {
  switch (p.module) {
    case "set": {
      const o = only(p.options, rule, "-m set", 2);
      const [name, dir] = o.args as [string, string];
      const set: NftValue = { kind: "set-ref", name: nftSetName(name) };
      // SourceIPSet / DestIPSet, and the named-port sets' DestIPPortSet / SourceIPPortSet (match_builder.go).
      if (dir === "src" || dir === "dst") return eq(payload(ipv(family), dir === "src" ? "saddr" : "daddr"), set, o.negated);
      if (dir === "src,src" || dir === "dst,dst") {
        const side = dir === "src,src" ? "s" : "d";
        return eq({ kind: "concat", parts: [payload(ipv(family), `${side}addr`), meta("l4proto"), payload("th", `${side}port`)] }, set, o.negated);
      }
      throw new NftTranslationError(`-m set ${dir}`, rule);
    }
    case "multiport": {
      const o = only(p.options, rule, "-m multiport");
      const dir = o.name === "dports" || o.name === "destination-ports" ? "dport" : o.name === "sports" || o.name === "source-ports" ? "sport" : null;
      const proto = protocolOf(rule);
      // Felix panics on ports without TCP/UDP/SCTP (transportProto); so do we.
      if (dir === null || proto === null) throw new NftTranslationError(`-m multiport --${o.name} without tcp/udp/sctp`, rule);
      return eq(payload(proto, dir), { kind: "anon-set", items: portItems(o.args[0]!) }, o.negated);
    }
    case "tcp":
    case "udp":
    case "sctp": {
      // DestPort / SourcePort (iptables `-p udp --dport 4789`): one port, written without braces.
      const o = only(p.options, rule, `-m ${p.module}`);
      const dir = o.name === "dport" ? "dport" : o.name === "sport" ? "sport" : null;
      if (dir === null || !/^\d+$/.test(o.args[0]!) || protocolOf(rule) !== p.module) throw new NftTranslationError(`-m ${p.module} --${o.name}`, rule);
      return eq(payload(p.module, dir), value(o.args[0]!), o.negated);
    }
    case "mark": {
      const o = only(p.options, rule, "-m mark");
      const [v, m] = markPair(o.args[0]!, rule);
      const left: NftExpr = { kind: "bitwise", op: "&", left: meta("mark"), value: m };
      // MarkClear / MarkNotClear write a bare `0`; MarkMatchesWithMask %#x (match_builder.go).
      return eq(left, value(v === 0 ? "0" : "0x" + v.toString(16)), o.negated);
    }
    case "conntrack": {
      const o = only(p.options, rule, "-m conntrack");
      const words = o.args[0]!.split(",");
      if (o.name !== "ctstate") throw new NftTranslationError(`-m conntrack --${o.name}`, rule);
      if (words.every((w) => CT_STATUS.has(w))) return eq({ kind: "ct", key: "status" }, value(words.join(",").toLowerCase()), o.negated);
      if (words.every((w) => CT_STATE.has(w))) return eq({ kind: "ct", key: "state" }, value(words.join(",").toLowerCase()), o.negated);
      throw new NftTranslationError(`--ctstate ${o.args[0]}`, rule);
    }
    case "addrtype": {
      // SrcAddrType / NotSrcAddrType(limitIfaceOut) / DestAddrType: one fib lookup per match.
      const types = p.options.filter((o) => o.name === "src-type" || o.name === "dst-type");
      const limitOut = p.options.some((o) => o.name === "limit-iface-out");
      const t = types[0];
      if (types.length !== 1 || p.options.length !== types.length + (limitOut ? 1 : 0) || t!.args.length !== 1 || t!.args[0]!.includes(",")) {
        throw new NftTranslationError("-m addrtype", rule);
      }
      if (limitOut && t!.name !== "src-type") throw new NftTranslationError("-m addrtype --dst-type --limit-iface-out", rule);
      const flags: Extract<NftExpr, { kind: "fib" }>["flags"] = t!.name === "dst-type" ? ["daddr"] : limitOut ? ["saddr", "oif"] : ["saddr"];
      return eq(fib(flags, "type"), value(t!.args[0]!.toLowerCase()), t!.negated);
    }
    case "rpfilter": {
      // RPFCheckFailed: Felix's iptables `--invert --validmark` is nft's `fib saddr . mark . iif oif 0`.
      const names = p.options.map((o) => o.name).sort();
      if (names.join(",") !== "invert,validmark" || p.options.some((o) => o.negated || o.args.length)) throw new NftTranslationError("-m rpfilter", rule);
      return eq(fib(["saddr", "mark", "iif"], "oif"), value("0"));
    }
    case "icmp":
    case "icmp6": {
      // ICMPType / ICMPTypeAndCode (and v6): Felix's negated type+code (`type != T code != C`) is not the negation
      // of the match, so it has no faithful form.
      const o = only(p.options, rule, `-m ${p.module}`);
      const [type, code] = o.args[0]!.split("/");
      const proto = p.module === "icmp" ? "icmp" : "icmpv6";
      if ((o.name !== "icmp-type" && o.name !== "icmpv6-type") || (code !== undefined && o.negated)) throw new NftTranslationError(`-m ${p.module}`, rule);
      const typeMatch = eq(payload(proto, "type"), value(type!), o.negated);
      if (code === undefined) return typeMatch;
      throw new NftTranslationError(`-m ${p.module} with a code (nft 1.0.6 rejects Felix's \`icmp type T code C\`, §D.6)`, rule);
    }
    default:
      throw new NftTranslationError(`-m ${p.module}`, rule);
  }
}

/** The match statements of a rule, in the model's (Felix's builder) order. */
export function translateMatches(rule: Rule, family: 4 | 6): NftStmt[] {
  return rule.parts.map((p): NftStmt => {
    switch (p.kind) {
      case "protocol":
        return eq(meta("l4proto"), value(p.value), p.negated);
      case "source":
      case "destination":
        return eq(payload(ipv(family), p.kind === "source" ? "saddr" : "daddr"), value(p.value), p.negated);
      case "in-interface":
      case "out-interface":
        return eq(meta(p.kind === "in-interface" ? "iifname" : "oifname"), value(ifaceMatch(p.value)), p.negated);
      case "match":
        return matchPart(p, rule, family);
    }
  });
}

const FULL = 0xffffffff;

/** MARK --set-xmark v/m: SetMark (`or`), ClearMark (`& ~m`) or SetMaskedMark (`& ~m ^ v`), as built (felix-rule.ts). */
function markAction(t: Extract<Target, { kind: "jump" }>, rule: Rule): NftStmt {
  const o = only(t.options, rule, "-j MARK");
  if (o.name !== "set-xmark") throw new NftTranslationError(`-j MARK --${o.name}`, rule);
  const [v, m] = markPair(o.args[0]!, rule);
  const clear = (m ^ FULL) >>> 0;
  if (t.spelling !== "masked" && v === m) return { kind: "mark-set", base: "mark", ops: [{ op: "|", value: v }] };
  if (t.spelling !== "masked" && v === 0) return { kind: "mark-set", base: "mark", ops: [{ op: "&", value: clear }] };
  return { kind: "mark-set", base: "mark", ops: [{ op: "&", value: clear }, { op: "^", value: v }] };
}

function optionArg(t: Extract<Target, { kind: "jump" }>, name: string): string | null {
  return t.options.find((o) => o.name === name)?.args[0] ?? null;
}

function builtinAction(t: Extract<Target, { kind: "jump" }>, rule: Rule): NftStmt | null {
  const noOptions = (): void => {
    if (t.options.length) throw new NftTranslationError(`-j ${t.name} with options`, rule);
  };
  switch (t.name) {
    case "ACCEPT":
      noOptions();
      return { kind: "verdict", verdict: { kind: "accept" } };
    case "DROP":
      noOptions();
      return { kind: "verdict", verdict: { kind: "drop" } };
    case "RETURN":
      noOptions();
      return { kind: "verdict", verdict: { kind: "return" } };
    case "REJECT":
      noOptions();
      return { kind: "reject", with: null };
    case "NOTRACK":
      noOptions();
      return { kind: "notrack" };
    case "MARK":
      return markAction(t, rule);
    case "MASQUERADE": {
      // MasqAction: ` fully-random` with the MASQFullyRandom feature, which iptables' --random-fully mirrors.
      if (t.options.some((o) => o.name !== "random-fully")) throw new NftTranslationError("-j MASQUERADE with options", rule);
      return { kind: "nat", type: "masquerade", addr: null, port: null, flags: t.options.length ? ["fully-random"] : [] };
    }
    case "NFLOG": {
      // NflogAction: `log prefix "<p>" snaplen <size> group <g>`; no --nflog-size is Felix's Size < 0 (no snaplen).
      if (t.options.some((o) => !["nflog-prefix", "nflog-group", "nflog-size"].includes(o.name))) throw new NftTranslationError("-j NFLOG", rule);
      const group = optionArg(t, "nflog-group");
      const size = optionArg(t, "nflog-size");
      return { kind: "log", prefix: optionArg(t, "nflog-prefix"), level: null, group: group === null ? null : Number(group), snaplen: size === null ? null : Number(size) };
    }
    default:
      return null;
  }
}

/** Is this an iptables target (upper case) rather than a chain? Felix's chains all start `cali-`. */
const isTargetName = (name: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(name);

/**
 * The action statements: ` counter` on every rule with an action (renderer.go
 * renderRule), then the action with its chain named by `chainName`.
 */
export function translateTarget(rule: Rule, chainName: ChainNamer): NftStmt[] {
  const t = rule.target;
  if (t === null) return [];
  if (t.kind === "goto") return [{ kind: "counter" }, { kind: "verdict", verdict: { kind: "goto", chain: chainName(t.name) } }];
  const action = builtinAction(t, rule);
  if (action) return [{ kind: "counter" }, action];
  if (isTargetName(t.name) || t.options.length) throw new NftTranslationError(`-j ${t.name}`, rule);
  return [{ kind: "counter" }, { kind: "verdict", verdict: { kind: "jump", chain: chainName(t.name) } }];
}

/** The whole rule's statements (no comment). */
export function translateRule(rule: Rule, family: 4 | 6, chainName: ChainNamer): NftStmt[] {
  return [...translateMatches(rule, family), ...translateTarget(rule, chainName)];
}
