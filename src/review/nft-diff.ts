// Rule diff of one node's `.nft`: per table (`ip calico`, `ip6 kube-proxy`),
// per chain the rules as `nft list` prints them, and per set or map its
// elements, in unified hunks — the nftables counterpart of rule-diff.ts.
//
// Both sides are parsed (either form parse.ts reads: the listing netpolc
// writes or knftables' `add` transaction) and canonicalized, so only what
// nft would list differently is a difference. Felix's `cali:<hash>;` prefix
// of a rule comment is left out of the comparison and the display: the hash
// chains over the rules before it (felix-format §4), so one edited rule would
// otherwise show every later rule of its chain. A base chain's declaration
// (type, hook, priority, policy) and a chain's comment are its first lines,
// so a change to them is a hunk like any other. A set's attributes come
// first, then one line per element: an added or removed element is one
// `+`/`-` line. Renames of regular chains are found as rule-diff.ts finds
// them (equal rules, jump targets mapped through the renames found so far,
// to a fixpoint); sets are matched by name only. A table's own comment is
// not compared.
import { structuredPatch } from "diff";
import type { NftChain, NftElement, NftRule, NftRuleset, NftSet, NftStmt, NftTable, NftVerdict } from "../rules/nft/model.js";
import { formatParseDiagnostic, parseNft } from "../rules/nft/parse.js";
import { canonicalize } from "../rules/nft/print.js";
import { printStmts, printVerdict } from "../rules/nft/print-expr.js";
import { priorityText, timeText } from "../rules/nft/print-listing.js";
import { byteCompare } from "../rules/writer.js";
import type { ChainChange, ChainChangeKind } from "./rule-diff.js";

export type NftObjectKind = "chain" | "set" | "map";

/** A ChainChange (rule-diff.ts) of an nft table: chains, and sets and maps by element; hunk headers name `<table> <chain>` (`… set <name>`). */
export interface NftChainChange extends Omit<ChainChange, "table"> {
  /** `<family> <table>`, e.g. `ip calico`. */
  readonly table: string;
  readonly object: NftObjectKind;
}

const CONTEXT = 3;
/** Felix's rule hash (felix-format §4): `cali:` and the hash (16 characters of URL-safe base64), then `;`. */
const FELIX_HASH = /^cali:[^;\s]+;\s?/;
const NONE: ReadonlyMap<string, string> = new Map();

type Renames = ReadonlyMap<string, string>;

function verdictOf(v: NftVerdict, renames: Renames): NftVerdict {
  return (v.kind === "jump" || v.kind === "goto") && renames.has(v.chain) ? { kind: v.kind, chain: renames.get(v.chain)! } : v;
}

function stmtOf(s: NftStmt, renames: Renames): NftStmt {
  if (s.kind === "verdict") return { ...s, verdict: verdictOf(s.verdict, renames) };
  if (s.kind === "vmap" && s.map.kind === "anon") return { ...s, map: { kind: "anon", entries: s.map.entries.map((e) => ({ ...e, verdict: verdictOf(e.verdict, renames) })) } };
  return s;
}

function ruleText(r: NftRule, renames: Renames): string {
  const body = printStmts(renames.size ? r.stmts.map((s) => stmtOf(s, renames)) : r.stmts, "listing");
  const comment = r.comment === null ? "" : r.comment.replace(FELIX_HASH, "");
  return comment === "" ? body : `${body} comment "${comment}"`;
}

/** A chain as compared: its comment and declaration lines (as listed), then its rules. */
function chainLines(c: NftChain, renames: Renames): string[] {
  const head: string[] = [];
  if (c.comment !== null) head.push(`comment "${c.comment}"`);
  if (c.base !== null) head.push(`type ${c.base.type} hook ${c.base.hook} priority ${priorityText(c.base.hook, c.base.priority)}; policy ${c.base.policy};`);
  return [...head, ...c.rules.map((r) => ruleText(r, renames))];
}

function elementText(s: NftSet, e: NftElement, renames: Renames): string {
  let text = e.key.map((v, i) => (s.type[i] === "ifname" ? `"${v}"` : v)).join(" . ");
  if (e.comment !== null) text += ` comment "${e.comment}"`;
  if (e.verdict !== null) text += ` : ${printVerdict(verdictOf(e.verdict, renames))}`;
  return text;
}

/** A set or map as compared: its attributes as listed, then one line per element (in the listing's order). */
function setLines(s: NftSet, renames: Renames): string[] {
  const lines = [`type ${s.type.join(" . ")}${s.data === null ? "" : ` : ${s.data}`}`];
  if (s.size !== null) lines.push(`size ${s.size}`);
  if (s.flags.length > 0) lines.push(`flags ${s.flags.join(",")}`);
  if (s.timeout !== null) lines.push(`timeout ${timeText(s.timeout)}`);
  if (s.comment !== null) lines.push(`comment "${s.comment}"`);
  return [...lines, ...s.elements.map((e) => elementText(s, e, renames))];
}

function hunks(label: string, a: readonly string[], b: readonly string[]): string[] {
  const text = (xs: readonly string[]): string => (xs.length ? xs.join("\n") + "\n" : "");
  const p = structuredPatch("old", "new", text(a), text(b), "", "", { context: CONTEXT });
  return p.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@ ${label}`, ...h.lines.filter((l) => !l.startsWith("\\"))]);
}

function findRenames(oldC: ReadonlyMap<string, NftChain>, newC: ReadonlyMap<string, NftChain>): Map<string, string> {
  const renames = new Map<string, string>();
  const regular = (m: ReadonlyMap<string, NftChain>, other: ReadonlyMap<string, NftChain>): string[] => [...m.keys()].filter((n) => !other.has(n) && m.get(n)!.base === null);
  for (let round = 0; round < 8; round++) {
    const taken = new Set(renames.values());
    const byKey = new Map<string, string[]>();
    for (const n of regular(newC, oldC).filter((x) => !taken.has(x))) {
      const key = chainLines(newC.get(n)!, NONE).join("\n");
      byKey.set(key, [...(byKey.get(key) ?? []), n]);
    }
    let found = false;
    for (const o of regular(oldC, newC).filter((x) => !renames.has(x))) {
      const c = oldC.get(o)!;
      if (c.rules.length === 0) continue;
      const n = byKey.get(chainLines(c, renames).join("\n"))?.shift();
      if (n === undefined) continue;
      renames.set(o, n);
      found = true;
    }
    if (!found) break;
  }
  return renames;
}

type Keyed = NftChainChange & { readonly sortKey: string; readonly rank: number };

function diffSets(table: string, oldT: NftTable | undefined, newT: NftTable | undefined, renames: Renames): Keyed[] {
  const oldS = new Map((oldT?.sets ?? []).map((s) => [s.name, s] as const));
  const newS = new Map((newT?.sets ?? []).map((s) => [s.name, s] as const));
  const out: Keyed[] = [];
  for (const name of new Set([...oldS.keys(), ...newS.keys()])) {
    const [a, b] = [oldS.get(name), newS.get(name)];
    const object = (a ?? b)!.kind;
    const before = a ? setLines(a, renames) : [];
    const after = b ? setLines(b, NONE) : [];
    if (a && b && a.kind === b.kind && before.join("\n") === after.join("\n")) continue;
    const kind: ChainChangeKind = !a ? "added" : !b ? "removed" : "changed";
    const lines = hunks(`${table} ${object} ${name}`, before, after);
    out.push({ table, object, kind, chain: name, newChain: name, lines, sortKey: name, rank: object === "set" ? 0 : 1 });
  }
  return out;
}

function diffChains(table: string, oldT: NftTable | undefined, newT: NftTable | undefined, renames: Renames): Keyed[] {
  const oldC = new Map((oldT?.chains ?? []).map((c) => [c.name, c] as const));
  const newC = new Map((newT?.chains ?? []).map((c) => [c.name, c] as const));
  const renamedTo = new Set(renames.values());
  // Base chains first (hook order is not strcmp order), then by name.
  const rank = (c: NftChain): number => (c.base === null ? 3 : 2);
  const base = { table, object: "chain" as const };
  const out: Keyed[] = [];
  for (const [name, c] of oldC) {
    const target = renames.get(name) ?? name;
    const nc = newC.get(target);
    if (!nc) {
      out.push({ ...base, kind: "removed", chain: name, newChain: name, lines: hunks(`${table} ${name}`, chainLines(c, NONE), []), sortKey: name, rank: rank(c) });
      continue;
    }
    const before = chainLines(c, renames);
    const after = chainLines(nc, NONE);
    const same = before.join("\n") === after.join("\n");
    const lines = same ? [] : hunks(`${table} ${target}`, before, after);
    if (renames.has(name)) out.push({ ...base, kind: "renamed", chain: name, newChain: target, lines, sortKey: target, rank: rank(nc) });
    else if (!same) out.push({ ...base, kind: "changed", chain: name, newChain: name, lines, sortKey: name, rank: rank(nc) });
  }
  for (const [name, c] of newC) {
    if (oldC.has(name) || renamedTo.has(name)) continue;
    out.push({ ...base, kind: "added", chain: name, newChain: name, lines: hunks(`${table} ${name}`, [], chainLines(c, NONE)), sortKey: name, rank: rank(c) });
  }
  return out;
}

/** Every changed set, map and chain of one node: tables in the old side's order (then new tables), sets, maps, base chains, chains, each by name. */
export function diffNftRulesets(oldRs: NftRuleset, newRs: NftRuleset): NftChainChange[] {
  const [a, b] = [canonicalize(oldRs), canonicalize(newRs)];
  const key = (t: NftTable): string => `${t.family} ${t.name}`;
  const tables = [...new Set([...a.tables.map(key), ...b.tables.map(key)])];
  const out: NftChainChange[] = [];
  for (const table of tables) {
    const [oldT, newT] = [a.tables.find((t) => key(t) === table), b.tables.find((t) => key(t) === table)];
    const chainMap = (t: NftTable | undefined): Map<string, NftChain> => new Map((t?.chains ?? []).map((c) => [c.name, c] as const));
    const renames = findRenames(chainMap(oldT), chainMap(newT));
    const changes = [...diffSets(table, oldT, newT, renames), ...diffChains(table, oldT, newT, renames)];
    // Sorted for determinism.
    changes.sort((x, y) => x.rank - y.rank || byteCompare(x.sortKey, y.sortKey));
    out.push(...changes.map(({ sortKey: _k, rank: _r, ...c }) => c));
  }
  return out;
}

/**
 * The changes between two `.nft` texts (undefined: the file is absent on that side), or null when
 * either side does not parse: its errors (`file:line:col: error: …`) are then in `problems`.
 */
export function diffNftTexts(a: string | undefined, b: string | undefined, paths: readonly [string, string], problems: string[]): NftChainChange[] | null {
  const sides = [a, b].map((text, i) => {
    if (text === undefined) return { tables: [] };
    const r = parseNft(text, { file: paths[i] });
    const errs = r.diagnostics.filter((d) => d.severity === "error");
    problems.push(...errs.map(formatParseDiagnostic));
    return errs.length ? null : r.ruleset;
  });
  const [ra, rb] = sides;
  return ra && rb ? diffNftRulesets(ra, rb) : null;
}
