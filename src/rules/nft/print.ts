// The nft printer's input spelling: what an agent hands to `nft -f`
// (nftables.md §A.6). printTransaction writes a whole ruleset as knftables'
// Fake.Dump() does — the form kube-proxy's tests compare and the only order
// of `add` commands that loads, since nft resolves a reference when it reads
// it (declarations before rules and elements, §A.6 "Gotcha", §C).
// The listing spelling (`nft list`) is print-listing.ts.
import { byteCompare } from "../writer.js";
import type { NftBaseChain, NftChain, NftDialect, NftElement, NftRule, NftRuleset, NftSet, NftStmt, NftTable } from "./model.js";
import { printStmts, printVerdict } from "./print-expr.js";
import { printListing } from "./print-listing.js";

export { canonicalize } from "./print-canon.js";
export { printListing } from "./print-listing.js";

/** A rule's statements as the agent of `dialect` writes them, without its comment (§A.3, §A.5, §B.4, §B.5). */
export function printStmtsInput(stmts: readonly NftStmt[], dialect: NftDialect): string {
  return printStmts(stmts, dialect);
}

/** nft strings are double-quoted and cannot escape a quote; agents never put one in a comment. */
function quoted(s: string): string {
  return `"${s}"`;
}

type TableRef = Pick<NftTable, "family" | "name" | "dialect" | "markDigits">;

/** `add rule <family> <table> <chain> <body>[ comment "<c>"]`. */
export function printRuleInput(table: TableRef, chain: string, rule: NftRule): string {
  const comment = rule.comment === null ? "" : ` comment ${quoted(rule.comment)}`;
  return `add rule ${table.family} ${table.name} ${chain} ${printStmts(rule.stmts, table.dialect, table.markDigits ?? 0)}${comment}`;
}

function tableLine(t: NftTable): string {
  return `add table ${t.family} ${t.name}` + (t.comment === null ? "" : ` { comment ${quoted(t.comment)} ; }`);
}

// knftables writes numeric priorities (ParsePriority, §A.2), and a policy only when one was asked for.
function baseSpec(b: NftBaseChain): string {
  return `type ${b.type} hook ${b.hook} priority ${b.priority} ;` + (b.policy === "drop" ? " policy drop ;" : "");
}

function chainLine(t: NftTable, c: NftChain): string {
  const parts: string[] = [];
  if (c.base !== null) parts.push(baseSpec(c.base));
  if (c.comment !== null) parts.push(`comment ${quoted(c.comment)} ;`);
  return `add chain ${t.family} ${t.name} ${c.name}` + (parts.length === 0 ? "" : ` { ${parts.join(" ")} }`);
}

/** knftables writeOperation's field order: type, flags, timeout, size, comment (§A.6). */
function setLine(t: NftTable, s: NftSet): string {
  let spec = `type ${s.type.join(" . ")}${s.data === null ? "" : ` : ${s.data}`} ;`;
  if (s.flags.length > 0) spec += ` flags ${s.flags.join(",")} ;`;
  if (s.timeout !== null) spec += ` timeout ${s.timeout}s ;`;
  if (s.size !== null) spec += ` size ${s.size} ;`;
  if (s.comment !== null) spec += ` comment ${quoted(s.comment)} ;`;
  return `add ${s.kind} ${t.family} ${t.name} ${s.name} { ${spec} }`;
}

/** `k1 . k2 comment "c" : verdict` — knftables puts an element's comment before the `:` (§A.6). */
export function elementInput(e: NftElement): string {
  let text = e.key.join(" . ");
  if (e.comment !== null) text += ` comment ${quoted(e.comment)}`;
  if (e.verdict !== null) text += ` : ${printVerdict(e.verdict)}`;
  return text;
}

function byName<T extends { readonly name: string }>(xs: readonly T[]): T[] {
  // Sorted for determinism, as knftables' Fake.Dump() sorts (§A.6). Stable: equal names keep their order.
  return [...xs].sort((a, b) => byteCompare(a.name, b.name));
}

function tableTransaction(t: NftTable): string[] {
  const chains = byName(t.chains);
  const sets = byName(t.sets.filter((s) => s.kind === "set"));
  const maps = byName(t.sets.filter((s) => s.kind === "map"));
  const lines = [tableLine(t)];
  for (const c of chains) lines.push(chainLine(t, c));
  for (const s of [...sets, ...maps]) lines.push(setLine(t, s));
  for (const c of chains) for (const r of c.rules) lines.push(printRuleInput(t, c.name, r));
  for (const s of [...sets, ...maps]) {
    for (const e of s.elements) lines.push(`add element ${t.family} ${t.name} ${s.name} { ${elementInput(e)} }`);
  }
  return lines;
}

/**
 * The whole ruleset as `nft -f` input in knftables' Fake.Dump() order (§A.6):
 * per table, the table; chains, sets, maps (each sorted by name); every
 * chain's rules (chains sorted, rules in order); then set and map elements in
 * insertion order. Loads as one atomic batch.
 */
export function printTransaction(ruleset: NftRuleset): string {
  return ruleset.tables.flatMap(tableTransaction).map((l) => l + "\n").join("");
}

// sortNFTablesTransaction's object order (kube-proxy helpers_test.go, §A.6).
const OBJECT_ORDER: ReadonlyMap<string, number> = new Map([
  ["table", 1],
  ["chain", 2],
  ["rule", 3],
  ["set", 4],
  ["map", 5],
  ["element", 6],
]);

function compareTransactionLines(a: string, b: string): number {
  const wa = a.split(" ");
  const wb = b.split(" ");
  if (wa[1] === "table" || wb[1] === "table") return wa[1] === wb[1] ? 0 : wa[1] === "table" ? -1 : 1;
  if (wa[1] !== wb[1]) return (OBJECT_ORDER.get(wa[1] ?? "") ?? 0) - (OBJECT_ORDER.get(wb[1] ?? "") ?? 0);
  if (wa[4] !== wb[4]) return byteCompare(wa[4] ?? "", wb[4] ?? "");
  // Rules keep the order they were added in; other lines of one object sort by the whole line.
  return wa[1] === "rule" ? 0 : byteCompare(a, b);
}

/**
 * kube-proxy's sortNFTablesTransaction (§A.6): drop blank and `#` lines, then
 * stable-sort by object type, object name, and (except rules) the whole line;
 * lines joined by `\n` with no trailing newline, as upstream returns them.
 */
export function sortTransaction(text: string): string {
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  return lines.sort(compareTransactionLines).join("\n");
}

/**
 * What netpolc writes to `<node>.nft`: per table `add table` + `delete
 * table` (the portable "replace" — `destroy table` needs nft ≥1.0.8, §C),
 * then the listing. `nft -f` of it is one atomic batch, so loading it on a
 * node replaces the tables whether or not they exist, and loading it twice
 * changes nothing; without the preamble a second load would append every
 * rule again. Everything after the preamble is printListing's fixed point.
 */
export function printNodeFile(ruleset: NftRuleset): string {
  const preamble = ruleset.tables.map((t) => `add table ${t.family} ${t.name}\ndelete table ${t.family} ${t.name}\n`).join("");
  return preamble + printListing(ruleset);
}
