// One nft rule lowered to rules of the iptables rule model (lower.ts has the
// tables, placement and sets): matches by meaning, one action as the target,
// several through a helper chain entered so that the verdict keeps its sense,
// a verdict-map lookup as one rule per element, numgen as statistic branches.
// What has no iptables meaning becomes a match the simulator reports as UNKNOWN.
import type { Rule, RuleOption, RulePart, TableName, Target } from "../types.js";
import type { NftExpr, NftRule, NftSet, NftStmt, NftValue, NftVerdict } from "./model.js";
import { icmpTypeNumber } from "./lower-values.js";

export interface RuleCtx {
  readonly table: TableName;
  readonly family: "ip" | "ip6";
  readonly sets: ReadonlyMap<string, NftSet>;
  rename(chain: string): string;
  /** An ipset holding these prefixes (an anonymous set of several items), by name. */
  anonSet(items: readonly string[]): string;
  /** A helper chain with these rules (a rule with several actions), by name. */
  aux(rules: Rule[]): string;
}

/** A match the simulator cannot model: it reports UNKNOWN when a packet reaches it. */
function unknownPart(what: string): RulePart {
  return { kind: "match", module: "nft", options: [{ name: "unmodelled", negated: false, args: [what] }] };
}

const opt = (name: string, args: readonly string[], negated = false): RuleOption => ({ name, negated, args });
const match = (module: string, ...options: RuleOption[]): RulePart => ({ kind: "match", module, options });

export function lowerRule(r: NftRule, ctx: RuleCtx): Rule[] {
  const parts: RulePart[] = [];
  const proto: { value: string | null } = { value: null };
  const effects: NftStmt[] = [];
  const line = r.line !== undefined ? { line: r.line } : {};
  const comment = r.comment !== null ? [match("comment", opt("comment", [r.comment]))] : [];
  for (const [i, s] of r.stmts.entries()) {
    if (s.kind === "match") parts.push(...lowerMatch(s.left, s.op === "!=", s.right, ctx, proto));
    else if (s.kind === "set-update") parts.push(recentPart(s.set, s.key, ctx, "set"));
    else if (s.kind === "vmap") {
      const rest = r.stmts.slice(i + 1).filter((x) => x.kind !== "counter");
      if (rest.length || effects.length) return [{ parts: [...parts, unknownPart("statements around a vmap"), ...comment], target: null, ...line }];
      return vmapRules(s.key, s.map, parts, ctx, proto).map((x) => ({ ...x, parts: [...x.parts, ...comment], ...line }));
    } else if (s.kind !== "counter") effects.push(s);
  }
  return [{ parts: [...parts, ...comment], target: effectsTarget(effects, ctx, proto), ...line }];
}

/** One action is the rule's target; several go into a helper chain, entered so that its verdict means what it meant in the rule. */
function effectsTarget(effects: readonly NftStmt[], ctx: RuleCtx, proto: { value: string | null }): Target | null {
  const targets = effects.map((e) => effectTarget(e, ctx, proto)).filter((t): t is Target => t !== null);
  if (targets.length <= 1) return targets[0] ?? null;
  const last = effects[effects.length - 1]!;
  const rules = targets.map((target) => ({ parts: [], target }));
  // A jump's chain returns into the helper, which then falls back into this chain: as nft continues after the rule.
  // goto/return/accept/drop: the helper is gone to, so a return from it leaves this chain, as in nft.
  const viaJump = last.kind !== "verdict" || last.verdict.kind === "jump";
  const name = ctx.aux(rules);
  return viaJump ? { kind: "jump", name, options: [] } : { kind: "goto", name };
}

function effectTarget(s: NftStmt, ctx: RuleCtx, proto: { value: string | null }): Target | null {
  const jump = (name: string, ...options: RuleOption[]): Target => ({ kind: "jump", name, options });
  switch (s.kind) {
    case "verdict":
      return verdictTarget(s.verdict, ctx);
    case "mark-set": {
      // nft computes the new mark left to right; xt_mark's MARK computes (mark & ~mask) ^ value. Fold into that.
      let and = s.base === "mark" ? 0xffffffff : 0;
      let xor = s.base === "mark" ? 0 : s.base >>> 0;
      for (const o of s.ops) {
        if (o.op === "&") [and, xor] = [(and & o.value) >>> 0, (xor & o.value) >>> 0];
        else if (o.op === "^") xor = (xor ^ o.value) >>> 0;
        else [and, xor] = [(and & ~o.value) >>> 0, ((xor & ~o.value) | o.value) >>> 0];
      }
      return jump("MARK", opt("set-xmark", [`0x${xor.toString(16)}/0x${(~and >>> 0).toString(16)}`]));
    }
    case "nat": {
      const random = s.flags.includes("fully-random") ? [opt("random-fully", [])] : s.flags.includes("random") ? [opt("random", [])] : [];
      if (s.type === "masquerade") return jump("MASQUERADE", ...random);
      if (s.port !== null && proto.value === null) return null;
      const to = s.addr === null ? "" : ctx.family === "ip6" && s.port !== null ? `[${s.addr}]` : s.addr;
      const dest = `${to}${s.port !== null ? `:${s.port}` : ""}`;
      return jump(s.type === "dnat" ? "DNAT" : "SNAT", opt(s.type === "dnat" ? "to-destination" : "to-source", [dest]), ...random);
    }
    case "reject":
      return jump("REJECT");
    case "notrack":
      return jump("NOTRACK");
    case "log":
      if (s.group !== null) return jump("NFLOG", opt("nflog-group", [String(s.group)]), ...(s.prefix !== null ? [{ ...opt("nflog-prefix", [s.prefix]), quoted: true }] : []));
      return jump("LOG", ...(s.prefix !== null ? [{ ...opt("log-prefix", [s.prefix]), quoted: true }] : []));
    default:
      return null;
  }
}

function verdictTarget(v: NftVerdict, ctx: RuleCtx): Target | null {
  switch (v.kind) {
    case "accept":
      return { kind: "jump", name: "ACCEPT", options: [] };
    case "drop":
      return { kind: "jump", name: "DROP", options: [] };
    case "return":
      return { kind: "jump", name: "RETURN", options: [] };
    case "continue":
      return null;
    case "jump":
      return { kind: "jump", name: ctx.rename(v.chain), options: [] };
    case "goto":
      return { kind: "goto", name: ctx.rename(v.chain) };
  }
}

/** `-m recent`: kube-proxy's affinity sets are what its iptables mode keeps in recent lists (`update` = --set, `@set` = --rcheck). */
function recentPart(set: string, key: NftExpr, ctx: RuleCtx, cmd: "set" | "rcheck", negated = false): RulePart {
  if (key.kind !== "payload" || (key.field !== "saddr" && key.field !== "daddr")) return unknownPart(`dynamic set @${set} keyed on ${key.kind}`);
  const s = ctx.sets.get(set);
  const mask = ctx.family === "ip" ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const side = key.field === "saddr" ? "rsource" : "rdest";
  const seconds = cmd === "rcheck" && s?.timeout ? [opt("seconds", [String(s.timeout)]), opt("reap", [])] : [];
  return match("recent", opt(cmd, [], negated), ...seconds, opt("name", [set]), opt("mask", [mask]), opt(side, []));
}

function lowerMatch(left: NftExpr, negated: boolean, right: NftValue, ctx: RuleCtx, proto: { value: string | null }): RulePart[] {
  if (left.kind === "payload" && (left.proto === "ip" || left.proto === "ip6") && (left.field === "saddr" || left.field === "daddr")) {
    const head = left.field === "saddr" ? "source" : "destination";
    const dir = left.field === "saddr" ? "src" : "dst";
    if (right.kind === "value") return [{ kind: head, negated, value: right.value }];
    if (right.kind === "anon-set") {
      if (right.items.length === 1) return [{ kind: head, negated, value: right.items[0]! }];
      return [match("set", opt("match-set", [ctx.anonSet(right.items), dir], negated))];
    }
    const s = ctx.sets.get(right.name);
    if (s && s.flags.includes("dynamic")) return [recentPart(right.name, left, ctx, "rcheck", negated)];
    return [match("set", opt("match-set", [right.name, dir], negated))];
  }
  if (left.kind === "meta" && left.key === "l4proto") {
    if (right.kind !== "value") return [unknownPart("meta l4proto against a set")];
    if (!negated) proto.value = right.value;
    return [{ kind: "protocol", negated, value: right.value }];
  }
  if (left.kind === "payload" && (left.field === "dport" || left.field === "sport")) return portMatch(left, negated, right, proto);
  if (left.kind === "payload" && (left.proto === "icmp" || left.proto === "icmpv6") && left.field === "type" && right.kind === "value") {
    const n = icmpTypeNumber(left.proto, right.value);
    if (n === null) return [unknownPart(`${left.proto} type ${right.value}`)];
    return left.proto === "icmp"
      ? [{ kind: "protocol", negated: false, value: "icmp" }, match("icmp", opt("icmp-type", [String(n)], negated))]
      : [{ kind: "protocol", negated: false, value: "ipv6-icmp" }, match("icmp6", opt("icmpv6-type", [String(n)], negated))];
  }
  if (left.kind === "meta" && left.key === "mark") return markMatch(0xffffffff, negated, right);
  if (left.kind === "bitwise" && left.op === "&" && left.left.kind === "meta" && left.left.key === "mark") return markMatch(left.value, negated, right);
  if (left.kind === "meta" && (left.key === "iifname" || left.key === "oifname") && right.kind === "value") {
    const value = right.value.replace(/^"(.*)"$/, "$1").replace(/\*$/, "+");
    return [{ kind: left.key === "iifname" ? "in-interface" : "out-interface", negated, value }];
  }
  if (left.kind === "ct" && left.key === "state") {
    const states = right.kind === "value" ? right.value.split(",") : right.kind === "anon-set" ? right.items : null;
    if (!states) return [unknownPart("ct state against a named set")];
    return [match("conntrack", opt("ctstate", [states.map((x) => x.trim().toUpperCase()).join(",")], negated))];
  }
  // Felix writes `--ctstate DNAT` as `ct status dnat` in nftables mode (nftables.md §B.4): the same conntrack bit.
  if (left.kind === "ct" && left.key === "status" && right.kind === "value" && /^(dnat|snat)(,(dnat|snat))*$/.test(right.value)) {
    return [match("conntrack", opt("ctstate", [right.value.toUpperCase()], negated))];
  }
  if (left.kind === "fib") return fibMatch(left, negated, right);
  if (left.kind === "concat" && right.kind === "set-ref") {
    const dirs = left.parts.map((p) => (p.kind === "payload" && p.field.startsWith("s") ? "src" : p.kind === "payload" ? "dst" : null));
    const addrFirst = left.parts[0]?.kind === "payload" && (left.parts[0].field === "saddr" || left.parts[0].field === "daddr");
    // ipset's hash:ip,port takes the protocol from the packet: `addr . meta l4proto . th dport` is its key.
    if (addrFirst && left.parts.length === 3 && left.parts[1]?.kind === "meta" && left.parts[1].key === "l4proto" && dirs[2] !== null) {
      return [match("set", opt("match-set", [right.name, `${dirs[0]},${dirs[2]}`], negated))];
    }
  }
  return [unknownPart(`match on ${left.kind}${"key" in left ? ` ${left.key}` : ""}`)];
}

function markMatch(mask: number, negated: boolean, right: NftValue): RulePart[] {
  if (right.kind !== "value") return [unknownPart("meta mark against a set")];
  const value = Number(right.value);
  if (!Number.isFinite(value)) return [unknownPart(`meta mark ${right.value}`)];
  return [match("mark", opt("mark", [`0x${(value >>> 0).toString(16)}/0x${(mask >>> 0).toString(16)}`], negated))];
}

function fibMatch(left: Extract<NftExpr, { kind: "fib" }>, negated: boolean, right: NftValue): RulePart[] {
  if (right.kind !== "value") return [unknownPart("fib against a set")];
  // `fib saddr [. oif] type local` is addrtype's LOCAL test (with `. oif`/`. iif`: on that interface only, --limit-iface-out/in).
  const addr = left.flags.filter((f) => f === "saddr" || f === "daddr");
  const iface = left.flags.filter((f) => f === "iif" || f === "oif");
  if (left.result === "type" && right.value === "local" && addr.length === 1 && iface.length <= 1 && left.flags.length === addr.length + iface.length) {
    const limit = iface[0] === "oif" ? [opt("limit-iface-out", [])] : iface[0] === "iif" ? [opt("limit-iface-in", [])] : [];
    return [match("addrtype", opt(addr[0] === "saddr" ? "src-type" : "dst-type", ["LOCAL"], negated), ...limit)];
  }
  // Felix's reverse-path check (`-m rpfilter [--validmark]`, nftables.md §B.4): a lookup of the source that finds no
  // way out (oif 0) is a failed check.
  if (left.result === "oif" && left.flags.includes("saddr") && left.flags.includes("iif") && (right.value === "0" || right.value === "missing")) {
    const validmark = left.flags.includes("mark") ? [opt("validmark", [])] : [];
    return [match("rpfilter", ...(negated ? [] : [opt("invert", [])]), ...validmark)];
  }
  return [unknownPart(`fib ${left.flags.join(" . ")} ${left.result} ${right.value}`)];
}

function portMatch(left: Extract<NftExpr, { kind: "payload" }>, negated: boolean, right: NftValue, proto: { value: string | null }): RulePart[] {
  const p = left.proto === "th" ? proto.value : left.proto;
  if (p !== "tcp" && p !== "udp" && p !== "sctp") return [unknownPart(`${left.proto} ${left.field} without a known transport protocol`)];
  const parts: RulePart[] = proto.value === p ? [] : [{ kind: "protocol", negated: false, value: p }];
  proto.value = p;
  const items = right.kind === "value" ? [right.value] : right.kind === "anon-set" ? right.items : null;
  if (!items) return [unknownPart(`${left.field} against a named set`)];
  const ports = items.map((x) => x.replace("-", ":"));
  if (ports.length === 1) return [...parts, match(p, opt(left.field, [ports[0]!], negated))];
  return [...parts, match("multiport", opt(left.field === "dport" ? "dports" : "sports", [ports.join(",")], negated))];
}

/** A map lookup as one rule per element (or, for `numgen`, one statistic rule per index). */
function vmapRules(
  key: NftExpr, map: Extract<NftStmt, { kind: "vmap" }>["map"], parts: readonly RulePart[], ctx: RuleCtx, proto: { value: string | null },
): Rule[] {
  const entries = map.kind === "anon"
    ? map.entries.map((e) => ({ key: [e.key], verdict: e.verdict }))
    : (ctx.sets.get(map.name)?.elements ?? []).flatMap((e) => (e.verdict ? [{ key: e.key, verdict: e.verdict }] : []));
  if (map.kind === "set-ref" && !ctx.sets.has(map.name)) return [{ parts: [...parts, unknownPart(`vmap @${map.name}: no such map`)], target: null }];
  if (key.kind === "numgen") return numgenRules(key, entries, parts, ctx);
  const fields = key.kind === "concat" ? key.parts : [key];
  return entries.map((e) => {
    const p = { value: proto.value };
    const own: RulePart[] = [];
    if (e.key.length !== fields.length) own.push(unknownPart("map key of another width"));
    else fields.forEach((f, i) => own.push(...lowerMatch(f, false, { kind: "value", value: e.key[i]! }, ctx, p)));
    return { parts: [...parts, ...own], target: verdictTarget(e.verdict, ctx) };
  });
}

function numgenRules(key: Extract<NftExpr, { kind: "numgen" }>, entries: readonly { key: readonly string[]; verdict: NftVerdict }[], parts: readonly RulePart[], ctx: RuleCtx): Rule[] {
  const n = key.mod;
  const byIndex = new Map(entries.map((e) => [Number(e.key[0]), e.verdict]));
  if (key.mode !== "random" || byIndex.size !== n || [...byIndex.keys()].some((i) => !(i >= 0 && i < n))) {
    return [{ parts: [...parts, unknownPart(`numgen ${key.mode} mod ${n} with ${byIndex.size} entries`)], target: null }];
  }
  return [...Array(n).keys()].map((i) => {
    // The i-th rule is reached with probability (n−i)/n and takes 1/(n−i) of it: 1/n each, as numgen gives.
    const chance = i < n - 1 ? [match("statistic", opt("mode", ["random"]), opt("probability", [(1 / (n - i)).toFixed(11)]))] : [];
    return { parts: [...parts, ...chance], target: verdictTarget(byIndex.get(i)!, ctx) };
  });
}
