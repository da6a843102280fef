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
import type { Chain, HookEntry, HookName, RuleOrigin, RuleSet, TableName } from "../types.js";
import { printStmts } from "./print-expr.js";
import { BUILTIN_CHAINS, TABLE_ORDER } from "../types.js";
import type { NftChain, NftRule, NftRuleset, NftSet, NftTable, NftVerdict } from "./model.js";
import { lowerRule, type RuleCtx } from "./lower-rule.js";

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
