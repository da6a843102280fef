// The listing's normalisations as a model → model function: canonicalize(m)
// is the model `nft -s list ruleset` describes after `nft -f` of
// printTransaction(m) (nft 1.0.6). printListing prints it; the round-trip
// tests compare models through it. Each rule below was found by loading
// rulesets in a throw-away namespace and listing them (nftables.md §A.8, §B.4;
// the ones the spec did not state are marked "found").
import type { NftChain, NftElement, NftExpr, NftRule, NftRuleset, NftSet, NftStmt, NftTable, NftValue } from "./model.js";
import { byteCompare } from "../writer.js";
import type { KeyField } from "./print-keys.js";
import { canonValue, fieldsOf, isIntervalItem, mergeIntervals, sortKeys } from "./print-values.js";

const ALL = 0xffffffff;

/**
 * The (M, X) of `(mark & M) ^ X` that nft makes of `mark op v op v …`.
 * nft's grammar gives the operators C's precedence (& before ^ before |,
 * found: `mark ^ 0x4000 & 0x4000` is `mark ^ 0x4000`) and folds constant
 * operands; the agents only write sequences already in that order
 * (`& M ^ X`, `or V`, `xor V`), where it is also left-to-right order.
 */
function markMaskXor(ops: readonly { readonly op: "&" | "|" | "^"; readonly value: number }[]): [number, number] {
  // Split at | into terms and each term at ^ into AND-chains; the first chain starts with the mark itself.
  const terms: number[][][] = [[[]]];
  for (const o of ops) {
    if (o.op === "|") terms.push([[o.value]]);
    else if (o.op === "^") terms[terms.length - 1]!.push([o.value]);
    else terms[terms.length - 1]!.at(-1)!.push(o.value);
  }
  const and = (xs: number[]): number => xs.reduce((a, v) => (a & v) >>> 0, ALL);
  const xor = (chains: number[][]): number => chains.reduce((a, c) => (a ^ and(c)) >>> 0, 0);
  const [first, ...rest] = terms as [number[][], ...number[][][]];
  let m = and(first[0]!);
  let x = xor(first.slice(1));
  for (const t of rest) {
    const c = xor(t);
    [m, x] = [(m & ~c) >>> 0, (x | c) >>> 0];
  }
  return [m, x];
}

/**
 * nft keeps `meta mark set` as (mark & M) ^ X and prints it back as
 * netlink_delinearize.c's netlink_parse_bitwise_bool does (found, e.g.
 * `& 0x4000 ^ 0xfffcffff` lists as `& 0xfffcffff ^ 0x00004000 | 0xfffcbfff`):
 * o = X & ~M, then `& (M | o)` unless all ones, `^ (X & M)` unless 0, `| o`
 * unless 0. A constant base folds to a constant.
 */
function canonMarkSet(s: Extract<NftStmt, { kind: "mark-set" }>): NftStmt {
  const [m, x] = markMaskXor(s.ops);
  if (s.base !== "mark") return { kind: "mark-set", base: (((s.base & m) >>> 0) ^ x) >>> 0, ops: [] };
  const o = (x & ~m) >>> 0;
  const ops: { op: "&" | "|" | "^"; value: number }[] = [];
  if ((m | o) >>> 0 !== ALL) ops.push({ op: "&", value: (m | o) >>> 0 });
  if ((x & m) >>> 0 !== 0) ops.push({ op: "^", value: (x & m) >>> 0 });
  if (o !== 0) ops.push({ op: "|", value: o });
  return { kind: "mark-set", base: "mark", ops };
}

function splitKey(item: string, n: number): string[] {
  return n === 1 ? [item] : item.split(" . ");
}

function canonKey(fields: readonly KeyField[], key: readonly string[], inSet: boolean): string[] {
  return key.map((v, i) => canonValue(fields[i] ?? "other", v, inSet));
}

/** One item collapses to a bare value; more are merged (interval sets) and sorted (§A.8, found). */
function canonRight(left: NftExpr, op: "==" | "!=", right: NftValue): NftValue {
  const fields = fieldsOf(left);
  if (right.kind === "set-ref") return right;
  if (right.kind === "value") {
    const value = canonKey(fields, splitKey(right.value, fields.length), false).join(" . ");
    // Found: a negated flag list lists as `ct state != established | related`.
    return { kind: "value", value: op === "!=" && fields[0] === "ct_state" ? value.split(",").join(" | ") : value };
  }
  // A one-item set is matched as its value (found: a range stays a range, as when matched alone).
  if (right.items.length === 1) return { kind: "value", value: canonKey(fields, splitKey(right.items[0]!, fields.length), false).join(" . ") };
  const keys = right.items.map((i) => canonKey(fields, splitKey(i, fields.length), true));
  const interval = fields.length === 1 && right.items.some((i) => isIntervalItem(fields[0]!, i));
  const merged = interval ? mergeIntervals(fields[0]!, keys.map((k) => k[0]!)).map((i) => [i]) : keys;
  return { kind: "anon-set", items: sortKeys(fields, merged, (k) => k, interval).map((k) => k.join(" . ")) };
}

const TRANSPORT: Readonly<Record<string, "tcp" | "udp" | "sctp" | "icmp" | "icmpv6">> = { tcp: "tcp", udp: "udp", sctp: "sctp", icmp: "icmp", "ipv6-icmp": "icmpv6" };

function hasPayload(e: NftExpr, proto: string): boolean {
  if (e.kind === "concat") return e.parts.some((p) => hasPayload(p, proto));
  return e.kind === "payload" && (e.proto === "th" || e.proto === proto);
}

function renameTh(e: NftExpr, proto: "tcp" | "udp" | "sctp" | "icmp" | "icmpv6"): NftExpr {
  if (e.kind === "concat") return { ...e, parts: e.parts.map((p) => renameTh(p, proto)) };
  return e.kind === "payload" && e.proto === "th" ? { ...e, proto } : e;
}

function stmtExpr(s: NftStmt): NftExpr | null {
  return s.kind === "match" ? s.left : s.kind === "vmap" || s.kind === "set-update" ? s.key : null;
}

function withExpr(s: NftStmt, e: NftExpr): NftStmt {
  return s.kind === "match" ? { ...s, left: e } : s.kind === "vmap" || s.kind === "set-update" ? { ...s, key: e } : s;
}

/**
 * nft drops a `meta l4proto P` match that a later header match of P depends
 * on, and names a later `th` header after P (§A.8; found: also when other
 * matches sit between them, and inside concatenations and vmap keys:
 * `meta l4proto tcp th dport 80` lists as `tcp dport 80`). A dependency
 * that nothing consumes (`meta l4proto tcp dnat to …`) stays.
 */
function killDependencies(stmts: NftStmt[]): NftStmt[] {
  const out = [...stmts];
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.kind !== "match" || s.op !== "==" || s.left.kind !== "meta" || s.left.key !== "l4proto" || s.right.kind !== "value") continue;
    const proto = TRANSPORT[s.right.value];
    if (proto === undefined) continue;
    const user = out.findIndex((t, j) => j > i && stmtExpr(t) !== null && hasPayload(stmtExpr(t)!, proto));
    if (user < 0) continue;
    for (let j = i + 1; j < out.length; j++) {
      const e = stmtExpr(out[j]!);
      if (e !== null) out[j] = withExpr(out[j]!, renameTh(e, proto));
    }
    out.splice(i, 1);
    i--;
  }
  return out;
}

function canonStmt(s: NftStmt): NftStmt {
  switch (s.kind) {
    case "match":
      return { kind: "match", left: s.left, op: s.op, right: canonRight(s.left, s.op, s.right) };
    case "mark-set":
      return canonMarkSet(s);
    case "reject":
      // `reject with icmp type X` lists as `reject with icmp X` (found).
      return { kind: "reject", with: s.with === null ? null : s.with.replace(/^(icmp|icmpv6|icmpx) type /, "$1 ") };
    case "vmap": {
      if (s.map.kind === "set-ref") return s;
      const fields = fieldsOf(s.key);
      const entries = s.map.entries.map((e) => ({ key: canonKey(fields, splitKey(e.key, fields.length), true).join(" . "), verdict: e.verdict }));
      return { ...s, map: { kind: "anon", entries: sortKeys(fields, entries, (e) => splitKey(e.key, fields.length), false) } };
    }
    default:
      return s;
  }
}

/** A rule with no statements is `continue` (§B.5). */
export function canonStmts(stmts: readonly NftStmt[]): NftStmt[] {
  if (stmts.length === 0) return [{ kind: "verdict", verdict: { kind: "continue" } }];
  return killDependencies(stmts.map(canonStmt));
}

function canonRule(r: NftRule): NftRule {
  return { stmts: canonStmts(r.stmts), comment: r.comment };
}

// Found: a timeout value implies the timeout flag; nft prints flags in the order constant, dynamic, interval, timeout.
const FLAG_ORDER = ["constant", "dynamic", "interval", "timeout"] as const;

function canonSet(s: NftSet, updated: ReadonlySet<string>): NftSet {
  const fields = s.type as readonly KeyField[];
  const given = new Set<string>(s.flags);
  if (s.timeout !== null) given.add("timeout");
  const interval = given.has("interval");
  const elements: NftElement[] = s.elements.map((e) => ({ key: canonKey(fields, e.key, true), comment: e.comment, verdict: e.verdict }));
  return {
    ...s,
    flags: FLAG_ORDER.filter((f) => given.has(f)),
    // Found: the kernel gives a set without a size that a rule's `update`/`add` writes to the size 65535 (nft_dynset).
    size: s.size ?? (updated.has(s.name) ? 65535 : null),
    elements: sortKeys(fields, elements, (e) => e.key, interval),
  };
}

function byName<T extends { readonly name: string }>(xs: readonly T[]): T[] {
  // Sorted for determinism: the transaction creates objects in this order and nft lists them in creation order.
  return [...xs].sort((a, b) => byteCompare(a.name, b.name));
}

function canonTable(t: NftTable): NftTable {
  const updated = new Set(t.chains.flatMap((c) => c.rules.flatMap((r) => r.stmts.flatMap((s) => (s.kind === "set-update" ? [s.set] : [])))));
  const sets = [...byName(t.sets.filter((s) => s.kind === "set")), ...byName(t.sets.filter((s) => s.kind === "map"))];
  const chains: NftChain[] = byName(t.chains).map((c) => ({ ...c, rules: c.rules.map(canonRule) }));
  return { ...t, sets: sets.map((s) => canonSet(s, updated)), chains };
}

/** The model `nft -s list ruleset` shows after loading printTransaction(ruleset); idempotent except where noted in print-listing.ts. */
export function canonicalize(ruleset: NftRuleset): NftRuleset {
  return { tables: ruleset.tables.map(canonTable) };
}
