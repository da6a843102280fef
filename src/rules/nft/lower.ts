// nftables → the iptables rule model: what the simulator walks, so verify,
// explain, matrix and diff judge `<node>.nft` exactly as they judge
// `<node>.iptables`. Lowering follows nft's meaning, not a backend's
// spelling: a translation slip in a backend shows up as a different rule here.
//
//   table, base chains ─▶ chains in iptables' tables + RuleSet.hooks (each base
//                          chain on its hook at its own priority, run to its own verdict)
//   named sets          ─▶ ipsets (hash:net / hash:ip / hash:ip,port / bitmap:port)
//   dynamic sets        ─▶ `-m recent` lists (kube-proxy's ClientIP affinity)
//   `k vmap @m`         ─▶ one rule per element (elements of a set never overlap, so at
//                          most one matches, as a map lookup finds at most one)
//   `numgen random mod N vmap { i : v }` ─▶ `-m statistic --probability 1/(N−i)` rules,
//                          the same distribution kube-proxy's iptables mode uses
//
// Felix's table (`calico`) is made of layers (nftables.md §B.3): a chain
// `filter-cali-tw-x` is iptables' filter chain `cali-tw-x`, base chain
// `nat-PREROUTING` is nat's PREROUTING. Other tables (kube-proxy's) keep their
// chain names and are placed in the table whose kind of base chain reaches them.
// What has no iptables meaning here becomes a match the simulator reports as
// UNKNOWN when a packet reaches it: never a guess.
import type { IpSet, IpSetMember, IpSetType } from "../ipset.js";
import type { Chain, HookEntry, HookName, Rule, RuleOption, RuleOrigin, RulePart, RuleSet, TableName, Target } from "../types.js";
import { printStmts } from "./print-expr.js";
import { BUILTIN_CHAINS, TABLE_ORDER } from "../types.js";
import type { NftChain, NftExpr, NftRule, NftRuleset, NftSet, NftStmt, NftTable, NftValue, NftVerdict } from "./model.js";
import { icmpTypeNumber } from "./lower-values.js";

export interface LoweredRules {
  readonly ruleset: RuleSet;
  /** The tables' named sets (and anonymous multi-element sets) as ipsets, by name. */
  readonly ipsets: readonly IpSet[];
}

const LAYERS: readonly TableName[] = ["raw", "mangle", "nat", "filter"];
const HOOK_OF = { prerouting: "PREROUTING", input: "INPUT", forward: "FORWARD", output: "OUTPUT", postrouting: "POSTROUTING" } as const;

/** iptables' tables sit on their hooks at fixed priorities (raw −300, mangle −150, nat −100 / 100, filter 0). */
export function builtinHooks(rs: RuleSet): HookEntry[] {
  const out: HookEntry[] = [];
  for (const name of TABLE_ORDER) {
    const t = rs.tables.find((x) => x.name === name);
    if (!t) continue;
    for (const chain of BUILTIN_CHAINS[name]) {
      if (!t.chains.some((c) => c.name === chain)) continue;
      const hook = chain as HookName;
      const priority = name === "raw" ? -300 : name === "mangle" ? -150 : name === "filter" ? 0 : hook === "PREROUTING" || hook === "OUTPUT" ? -100 : 100;
      out.push({ table: name, chain, hook, priority, nat: name === "nat" });
    }
  }
  return out;
}

/** The nft tables of one family (and the node's iptables tables of that family, if an agent still uses them), lowered as one host's rules. */
export function lowerNft(nft: NftRuleset, family: "ip" | "ip6", iptables: RuleSet | null = null): LoweredRules {
  const chains = new Map<TableName, Chain[]>(LAYERS.map((l) => [l, []]));
  const hooks: HookEntry[] = [];
  if (iptables) {
    for (const t of iptables.tables) chains.get(t.name)!.push(...t.chains);
    hooks.push(...builtinHooks(iptables));
  }
  const ipsets: IpSet[] = [];
  for (const t of nft.tables) {
    if (t.family !== family) continue;
    const lowered = lowerTable(t);
    for (const [table, cs] of lowered.chains) {
      const have = chains.get(table)!;
      for (const c of cs) {
        if (have.some((h) => h.name === c.name)) throw new Error(`table ${t.family} ${t.name}: chain ${c.name} is also in ${table} (two tables cannot be lowered into one)`);
        have.push(c);
      }
    }
    hooks.push(...lowered.hooks);
    ipsets.push(...lowered.ipsets);
  }
  const tables = LAYERS.filter((l) => chains.get(l)!.length > 0).map((name) => ({ name, chains: chains.get(name)! }));
  return { ruleset: { tables, hooks }, ipsets };
}

interface TableOut {
  readonly chains: Map<TableName, Chain[]>;
  readonly hooks: HookEntry[];
  readonly ipsets: IpSet[];
}

/** Where each chain of the table lives in iptables' terms, and under which name. */
interface Placement {
  /** chain → the tables it is lowered into (a chain reached from two kinds of base chain is lowered into both). */
  readonly tables: ReadonlyMap<string, readonly TableName[]>;
  /** The name a chain (or a jump/goto target) gets in the lowered table. */
  rename(chain: string): string;
}

function lowerTable(t: NftTable): TableOut {
  const placement = t.name === "calico" ? layered(t) : byReach(t);
  const sets = new Map(t.sets.map((s) => [s.name, s]));
  const out: TableOut = { chains: new Map(LAYERS.map((l) => [l, []])), hooks: [], ipsets: [] };
  const anon = new Map<string, string>();
  const family = t.family;
  for (const s of t.sets) {
    const ipset = setAsIpSet(s, family);
    if (ipset) out.ipsets.push(ipset);
  }
  for (const c of t.chains) {
    for (const table of placement.tables.get(c.name) ?? []) {
      const aux: Chain[] = [];
      const ctx: RuleCtx = {
        table, family, sets, rename: (n) => placement.rename(n),
        anonSet: (items) => {
          const key = items.join(",");
          let name = anon.get(key);
          if (!name) {
            name = `nft-anon-${t.name}-${anon.size}`;
            anon.set(key, name);
            out.ipsets.push({ name, type: "hash:net", options: ["family", family === "ip" ? "inet" : "inet6"], members: items.map((value) => ({ value })) });
          }
          return name;
        },
        aux: (rules) => {
          const name = `${placement.rename(c.name)}~${aux.length}`;
          aux.push({ name, policy: null, rules });
          return name;
        },
      };
      // Every lowered rule (helper chains' too) says which nft rule it stands for: reports print that, not the lowering.
      const rules = c.rules.flatMap((r, index) => {
        const origin: RuleOrigin = { table: `${t.family} ${t.name}`, chain: c.name, index, text: printStmts(r.stmts, "listing") + (r.comment === null ? "" : ` comment "${r.comment}"`) };
        const from = aux.length;
        const out = lowerRule(r, ctx).map((x) => ({ ...x, origin }));
        for (let i = from; i < aux.length; i++) aux[i] = { ...aux[i]!, rules: aux[i]!.rules.map((x) => ({ ...x, origin, ...(r.line !== undefined ? { line: r.line } : {}) })) };
        return out;
      });
      const name = placement.rename(c.name);
      const origin = { table: `${t.family} ${t.name}`, chain: c.name };
      out.chains.get(table)!.push({ name, policy: c.base ? (c.base.policy === "drop" ? "DROP" : "ACCEPT") : null, rules, origin }, ...aux.map((a) => ({ ...a, origin })));
      if (c.base) out.hooks.push({ table, chain: name, hook: HOOK_OF[c.base.hook], priority: c.base.priority, nat: c.base.type === "nat" });
    }
  }
  return out;
}

/** Felix's layers: `<layer>-<iptables chain>` (nftables.md §B.3); a base chain `<layer>-<HOOK>` is that table's built-in chain. */
function layered(t: NftTable): Placement {
  const tables = new Map<string, readonly TableName[]>();
  for (const c of t.chains) {
    const layer = LAYERS.find((l) => c.name.startsWith(`${l}-`));
    if (layer) tables.set(c.name, [layer]);
  }
  return { tables, rename: (n) => n.replace(/^(raw|mangle|nat|filter)-/, "") };
}

/** Chains reached from nat base chains live in nat, from raw-priority ones in raw, from mangle-priority or route ones in mangle, else in filter. */
function byReach(t: NftTable): Placement {
  const byName = new Map(t.chains.map((c) => [c.name, c]));
  const sets = new Map(t.sets.map((s) => [s.name, s]));
  const tables = new Map<string, TableName[]>();
  const visit = (name: string, table: TableName): void => {
    const have = tables.get(name) ?? [];
    if (have.includes(table)) return;
    tables.set(name, [...have, table]);
    for (const r of byName.get(name)?.rules ?? []) for (const target of targetsOf(r, sets)) if (byName.has(target)) visit(target, table);
  };
  for (const c of t.chains) if (c.base) visit(c.name, baseTable(c));
  // A chain no base chain reaches still shows up (explain, diff), in filter.
  for (const c of t.chains) if (!tables.has(c.name)) visit(c.name, "filter");
  return { tables, rename: (n) => n };
}

function baseTable(c: NftChain): TableName {
  const b = c.base!;
  if (b.type === "nat") return "nat";
  if (b.priority <= -200) return "raw";
  if (b.type === "route" || b.priority <= -125) return "mangle";
  return "filter";
}

/** Every chain a rule may continue in: its jump/goto and the verdicts of the maps it looks up. */
function targetsOf(r: NftRule, sets: ReadonlyMap<string, NftSet>): string[] {
  const out: string[] = [];
  const verdict = (v: NftVerdict | null): void => {
    if (v && (v.kind === "jump" || v.kind === "goto")) out.push(v.chain);
  };
  for (const s of r.stmts) {
    if (s.kind === "verdict") verdict(s.verdict);
    if (s.kind === "vmap") {
      if (s.map.kind === "anon") for (const e of s.map.entries) verdict(e.verdict);
      else for (const e of sets.get(s.map.name)?.elements ?? []) verdict(e.verdict);
    }
  }
  return out;
}

interface RuleCtx {
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

function lowerRule(r: NftRule, ctx: RuleCtx): Rule[] {
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

/** A named set as the ipset the lowered rules match on; maps, dynamic sets (recent lists) and interface sets have none. */
function setAsIpSet(s: NftSet, family: "ip" | "ip6"): IpSet | null {
  if (s.kind === "map" || s.flags.includes("dynamic")) return null;
  const options = ["family", family === "ip" ? "inet" : "inet6"];
  const addr = family === "ip" ? "ipv4_addr" : "ipv6_addr";
  const key = s.type.join(" . ");
  let type: IpSetType;
  let members: IpSetMember[];
  if (key === addr) {
    type = s.flags.includes("interval") ? "hash:net" : "hash:ip";
    members = s.elements.map((e) => ({ value: e.key[0]! }));
  } else if (key === `${addr} . inet_proto . inet_service`) {
    type = "hash:ip,port";
    members = s.elements.map((e) => ({ value: `${e.key[0]},${e.key[1]}:${e.key[2]}` }));
  } else if (key === "inet_service") {
    type = "bitmap:port";
    members = s.elements.map((e) => ({ value: e.key[0]! }));
  } else return null;
  return { name: s.name, type, options, members };
}
