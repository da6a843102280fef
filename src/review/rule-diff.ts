// Rule diff of one node: per table, per chain, unified hunks over the chain's
// rules, with Felix's `cali:` hash comments left out of the comparison and
// the display. A Felix rule hash chains over the rules before it in its chain
// (felix-format §4), so one edited rule changes the hash of every later rule:
// compared verbatim, a one-port edit would show the whole rest of the chain.
//
// Renames: a chain present only on the old side whose rules equal those of a
// chain present only on the new side (jump targets mapped through the renames
// found so far) is a rename, not a removal plus an addition. Renames are
// found to a fixpoint, since a renamed chain's callers change text too.
import { structuredPatch } from "diff";
import type { Chain, Rule, RulePart, RuleSet, TableName } from "../rules/types.js";
import { isBuiltinChain, TABLE_ORDER } from "../rules/types.js";
import { byteCompare, orderedChains, writeRuleBody } from "../rules/writer.js";

export type ChainChangeKind = "changed" | "added" | "removed" | "renamed";

export interface ChainChange {
  readonly table: TableName;
  readonly kind: ChainChangeKind;
  /** The old name (the new one for "added"). */
  readonly chain: string;
  /** The new name for "renamed" and "changed" (equal to chain unless renamed with edits). */
  readonly newChain: string;
  /** Unified diff lines of this chain: `@@ … @@ table chain` headers, ` `/`-`/`+` rule lines. */
  readonly lines: readonly string[];
}

const CONTEXT = 3;

function isHashComment(p: RulePart): boolean {
  return p.kind === "match" && p.module === "comment" && p.options.every((o) => o.name === "comment" && o.args.every((a) => a.startsWith("cali:")));
}

/** A rule as compared: hash comments dropped, jump targets mapped through `renames`. */
function ruleText(chain: string, r: Rule, renames: ReadonlyMap<string, string>): string {
  const t = r.target;
  const target = t && renames.has(t.name) ? { ...t, name: renames.get(t.name)! } : t;
  const body = writeRuleBody({ parts: r.parts.filter((p) => !isHashComment(p)), target });
  return body ? `-A ${chain} ${body}` : `-A ${chain}`;
}

function chainLines(c: Chain, name: string, renames: ReadonlyMap<string, string>): string[] {
  const head = c.policy !== null ? [`:${name} ${c.policy}`] : [];
  return [...head, ...c.rules.map((r) => ruleText(name, r, renames))];
}

function chainsOf(rs: RuleSet, table: TableName): Map<string, Chain> {
  const t = rs.tables.find((x) => x.name === table);
  return new Map(t ? orderedChains(t).map((c) => [c.name, c] as const) : []);
}

function findRenames(oldC: ReadonlyMap<string, Chain>, newC: ReadonlyMap<string, Chain>): Map<string, string> {
  const renames = new Map<string, string>();
  for (let round = 0; round < 8; round++) {
    const taken = new Set(renames.values());
    const newOnly = [...newC.keys()].filter((n) => !oldC.has(n) && !taken.has(n));
    // A chain's identity for renaming: its rules with its own name factored out.
    const key = (c: Chain, r: ReadonlyMap<string, string>): string => chainLines(c, "X", r).join("\n");
    const byKey = new Map<string, string[]>();
    for (const n of newOnly) byKey.set(key(newC.get(n)!, new Map()), [...(byKey.get(key(newC.get(n)!, new Map())) ?? []), n]);
    let found = false;
    for (const o of [...oldC.keys()].filter((n) => !newC.has(n) && !renames.has(n))) {
      const c = oldC.get(o)!;
      if (c.rules.length === 0) continue;
      const candidates = byKey.get(key(c, renames));
      const n = candidates?.shift();
      if (n === undefined) continue;
      renames.set(o, n);
      found = true;
    }
    if (!found) break;
  }
  return renames;
}

function hunks(table: TableName, label: string, a: readonly string[], b: readonly string[]): string[] {
  const text = (xs: readonly string[]): string => (xs.length ? xs.join("\n") + "\n" : "");
  const p = structuredPatch("old", "new", text(a), text(b), "", "", { context: CONTEXT });
  const out: string[] = [];
  for (const h of p.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@ ${table} ${label}`);
    out.push(...h.lines.filter((l) => !l.startsWith("\\")));
  }
  return out;
}

/** Every changed chain of one node, tables in iptables-save order, chains as iptables-save orders them. */
export function diffRuleSets(oldRs: RuleSet, newRs: RuleSet): ChainChange[] {
  const out: ChainChange[] = [];
  for (const table of TABLE_ORDER) {
    const oldC = chainsOf(oldRs, table);
    const newC = chainsOf(newRs, table);
    const renames = findRenames(oldC, newC);
    const none = new Map<string, string>();
    const renamedTo = new Set(renames.values());
    const changes: Array<ChainChange & { readonly sortKey: string }> = [];
    for (const [name, c] of oldC) {
      const target = renames.get(name) ?? name;
      const nc = newC.get(target);
      const before = chainLines(c, target, renames);
      if (!nc) {
        changes.push({ table, kind: "removed", chain: name, newChain: name, lines: hunks(table, name, chainLines(c, name, none), []), sortKey: name });
        continue;
      }
      const after = chainLines(nc, target, none);
      const same = before.join("\n") === after.join("\n");
      if (renames.has(name)) {
        const lines = same ? [] : hunks(table, target, before, after);
        changes.push({ table, kind: "renamed", chain: name, newChain: target, lines, sortKey: target });
      } else if (!same) {
        changes.push({ table, kind: "changed", chain: name, newChain: name, lines: hunks(table, name, before, after), sortKey: name });
      }
    }
    for (const [name, c] of newC) {
      if (oldC.has(name) || renamedTo.has(name)) continue;
      changes.push({ table, kind: "added", chain: name, newChain: name, lines: hunks(table, name, [], chainLines(c, name, none)), sortKey: name });
    }
    // Sorted for determinism: built-in chains first (hook order is not strcmp order), then by name.
    const builtin = (n: string): number => (isBuiltinChain(n) ? 0 : 1);
    changes.sort((x, y) => builtin(x.sortKey) - builtin(y.sortKey) || byteCompare(x.sortKey, y.sortKey));
    out.push(...changes.map(({ sortKey: _k, ...c }) => c));
  }
  return out;
}

/** A plain unified diff of two texts (ipsets, routes, unparseable rules), hunks only. */
export function textHunks(a: string, b: string): string[] {
  const p = structuredPatch("old", "new", a, b, "", "", { context: CONTEXT });
  return p.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.filter((l) => !l.startsWith("\\"))]);
}
