// How one rule's statements are spelled, in the three spellings netpolc
// writes: knftables' and Felix's `nft -f` input (nftables.md §A.3/§A.5,
// §B.4 — the text Felix hashes and knftables' tests compare, so written
// exactly as the agent writes it) and `nft list`'s listing (§A.8, §B.4,
// whose value normalisations live in print-values.ts).
import type { NftExpr, NftMarkOp, NftStmt, NftValue, NftVerdict } from "./model.js";
import { fieldsOf } from "./print-values.js";
import type { NftDialect } from "./model.js";

/** An agent's input dialect, or the listing nft prints back. */
export type NftSpelling = NftDialect | "listing";

/**
 * Agents write mark values with Go's %#x: lowercase hex, no padding (§A.2, §B.4); real kube-proxy formats its mark with
 * %#08x (`0x00004000`, `pad` 8) where its unit tests write `0x4000`.
 */
export function hex(v: number, pad = 0): string {
  return "0x" + (v >>> 0).toString(16).padStart(pad, "0");
}

/** `nft list` pads mark values to 32 bits (§A.8). */
export function hex8(v: number): string {
  return "0x" + (v >>> 0).toString(16).padStart(8, "0");
}

// Interface and conntrack keys nft writes without the `meta` keyword.
const BARE_META: ReadonlySet<string> = new Set(["iifname", "oifname", "iif", "oif"]);
const KNFT_OPS: Readonly<Record<NftMarkOp["op"], string>> = { "&": "and", "|": "or", "^": "xor" };
// Felix's actions.go writes SetMark with `or` but ClearMark/SetMaskedMark with `&`/`^` (§B.4).
const FELIX_SET_OPS: Readonly<Record<NftMarkOp["op"], string>> = { "&": "&", "|": "or", "^": "^" };

export function printExpr(e: NftExpr, sp: NftSpelling, pad = 0): string {
  switch (e.kind) {
    case "payload":
      return `${e.proto} ${e.field}`;
    case "meta":
      if (BARE_META.has(e.key)) return e.key;
      // knftables writes the short `mark` (§A.3); Felix and nft list write `meta mark`.
      return e.key === "mark" && sp === "knftables" ? "mark" : `meta ${e.key}`;
    case "ct":
      return `ct ${e.key}`;
    case "fib":
      return `fib ${e.flags.join(" . ")} ${e.result}`;
    case "numgen":
      return `numgen ${e.mode} mod ${e.mod}`;
    case "concat":
      return e.parts.map((p) => printExpr(p, sp)).join(" . ");
    case "bitwise": {
      const op = sp === "knftables" ? KNFT_OPS[e.op] : e.op;
      return `${printExpr(e.left, sp)} ${op} ${sp === "listing" ? hex8(e.value) : hex(e.value, pad)}`;
    }
  }
}

export function printVerdict(v: NftVerdict): string {
  return v.kind === "jump" || v.kind === "goto" ? `${v.kind} ${v.chain}` : v.kind;
}

/** nft lists interface names quoted (`iifname "cali*"`, `"cali95aa86cbb2a" : goto …`, §B.4). */
export function listedKey(e: NftExpr, item: string): string {
  const fields = fieldsOf(e);
  if (!fields.includes("ifname")) return item;
  const parts = fields.length === 1 ? [item] : item.split(" . ");
  return parts.map((v, i) => (fields[i] === "ifname" ? `"${v}"` : v)).join(" . ");
}

// The listing branch prints values canonicalize() has already normalised (print-canon.ts).
function printRight(left: NftExpr, right: NftValue, sp: NftSpelling): string {
  switch (right.kind) {
    case "set-ref":
      return `@${right.name}`;
    case "value":
      return sp === "listing" ? listedKey(left, right.value) : right.value;
    case "anon-set":
      if (sp === "listing") return `{ ${right.items.map((i) => listedKey(left, i)).join(", ")} }`;
      // knftables joins with Concat's ` , ` (§A.5 step 4) except where it
      // strings.Join()s with a bare comma (cluster-ips-check, §A.3); Felix writes `, `.
      return `{ ${right.items.join(right.compact === true ? "," : sp === "knftables" ? " , " : ", ")} }`;
  }
}

function printMatch(s: Extract<NftStmt, { kind: "match" }>, sp: NftSpelling, pad: number): string {
  // nft needs an explicit `==` after a bitwise expression (`mark and 0x4000 == 0`);
  // elsewhere equality is implicit, as every agent writes it.
  const op = s.op === "!=" ? " !=" : s.left.kind === "bitwise" ? " ==" : "";
  return `${printExpr(s.left, sp, pad)}${op} ${printRight(s.left, s.right, sp)}`;
}

function printMarkSet(s: Extract<NftStmt, { kind: "mark-set" }>, sp: NftSpelling, pad: number): string {
  const value = sp === "listing" ? hex8 : (v: number): string => hex(v, pad);
  let text = sp === "knftables" ? "mark set" : "meta mark set";
  if (s.base === "mark") text += sp === "listing" ? " meta mark" : " mark";
  else text += " " + value(s.base);
  const ops = sp === "knftables" ? KNFT_OPS : sp === "felix" ? FELIX_SET_OPS : null;
  for (const o of s.ops) text += ` ${ops === null ? o.op : ops[o.op]} ${value(o.value)}`;
  return text;
}

function printNat(s: Extract<NftStmt, { kind: "nat" }>): string {
  let text = s.type;
  if (s.addr !== null) {
    // An IPv6 address needs brackets before a port (`dnat to [fd00::1]:80`, §A.5 step 8).
    const addr = s.port !== null && s.addr.includes(":") ? `[${s.addr}]` : s.addr;
    text += ` to ${addr}${s.port !== null ? `:${s.port}` : ""}`;
  }
  if (s.flags.length > 0) text += " " + s.flags.join(",");
  return text;
}

/** nft lists `prefix … group … snaplen …`; Felix's NflogAction writes `snaplen` before `group` (actions.go), and its hash covers that. */
function printLog(s: Extract<NftStmt, { kind: "log" }>, sp: NftSpelling): string {
  let text = "log";
  if (s.prefix !== null) text += ` prefix "${s.prefix}"`;
  if (s.level !== null) text += ` level ${s.level}`;
  const group = s.group !== null ? ` group ${s.group}` : "";
  const snaplen = s.snaplen !== null ? ` snaplen ${s.snaplen}` : "";
  return text + (sp === "felix" ? snaplen + group : group + snaplen);
}

function printVmap(s: Extract<NftStmt, { kind: "vmap" }>, sp: NftSpelling): string {
  const key = printExpr(s.key, sp);
  if (s.map.kind === "set-ref") return `${key} vmap @${s.map.name}`;
  // knftables Concat()s the entries with ` , `; nft lists (and Felix writes) `, ` (§A.5 step 6, §A.8).
  const sep = sp === "knftables" ? " , " : ", ";
  const k = (item: string) => (sp === "listing" ? listedKey(s.key, item) : item);
  return `${key} vmap { ${s.map.entries.map((e) => `${k(e.key)} : ${printVerdict(e.verdict)}`).join(sep)} }`;
}

/** One statement; `pad`: the hex digits mark values are padded to in an agent's input (NftTable.markDigits). */
export function printStmt(s: NftStmt, sp: NftSpelling, pad = 0): string {
  switch (s.kind) {
    case "match":
      return printMatch(s, sp, pad);
    case "counter":
      return "counter";
    case "verdict":
      return printVerdict(s.verdict);
    case "vmap":
      return printVmap(s, sp);
    case "mark-set":
      return printMarkSet(s, sp, pad);
    case "nat":
      return printNat(s);
    case "reject":
      return s.with === null ? "reject" : `reject with ${s.with}`;
    case "notrack":
      return "notrack";
    case "log":
      return printLog(s, sp);
    case "set-update":
      return `${s.op} @${s.set} { ${printExpr(s.key, sp)} }`;
  }
}

/**
 * A rule's statements without its comment. A rule with no statements is
 * `continue`: Felix renders a rule with neither match nor action so (§B.5),
 * and nft lists it so.
 */
export function printStmts(stmts: readonly NftStmt[], sp: NftSpelling, pad = 0): string {
  return stmts.length === 0 ? "continue" : stmts.map((s) => printStmt(s, sp, pad)).join(" ");
}
