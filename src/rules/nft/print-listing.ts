// The nft printer's listing spelling: byte for byte what `nft -s list
// ruleset` (nft 1.0.6) prints after `nft -f` of printTransaction(ruleset)
// (nftables.md §A.8, §B.4, §C). Layout, found on this machine where the
// spec is silent: tables in the order given, no blank line between them; a
// table's comment on the line after its `{`; sets then maps then chains, in
// the transaction's creation order (each sorted by name), a blank line
// between objects; set attributes in the order type, size, flags, timeout,
// comment, elements; a chain's comment before its hook line.
//
// Not a fixed point in one case nft itself creates: an anonymous interval
// set whose items merge into one (`tcp dport { 80, 81-90 }` lists as
// `{ 80-90 }`, which reloads as `80-90`). Backends should not emit those.
import type { NftBaseChain, NftChain, NftElement, NftHook, NftRuleset, NftSet, NftTable } from "./model.js";
import { canonicalize } from "./print-canon.js";
import { printStmts, printVerdict } from "./print-expr.js";

const T = "\t";

// nft's standard priorities for the ip/ip6 families (std_prios); dstnat is
// named on prerouting only and srcnat on postrouting only, the rest on any hook.
const STD_PRIOS: readonly (readonly [string, number, NftHook | null])[] = [
  ["raw", -300, null],
  ["mangle", -150, null],
  ["dstnat", -100, "prerouting"],
  ["filter", 0, null],
  ["security", 50, null],
  ["srcnat", 100, "postrouting"],
];

/** `dstnat - 10`, `filter`, `srcnat + 10`: a standard name when within 10 of one (found: 11 prints as a number), else the number. */
export function priorityText(hook: NftHook, prio: number): string {
  for (const [name, level, only] of STD_PRIOS) {
    if (only !== null && only !== hook) continue;
    const off = prio - level;
    if (off === 0) return name;
    if (Math.abs(off) <= 10) return `${name} ${off > 0 ? "+" : "-"} ${Math.abs(off)}`;
  }
  return String(prio);
}

/** nft's time format: `3h`, `1m30s`, `1d1s` (§A.8; found for mixed units). */
export function timeText(seconds: number): string {
  const units: readonly (readonly [string, number])[] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  let left = seconds;
  let text = "";
  for (const [u, n] of units) {
    const q = Math.floor(left / n);
    left -= q * n;
    if (q > 0) text += `${q}${u}`;
  }
  return text === "" ? "0s" : text;
}

function baseLine(b: NftBaseChain): string {
  return `type ${b.type} hook ${b.hook} priority ${priorityText(b.hook, b.priority)}; policy ${b.policy};`;
}

function chainLines(c: NftChain): string[] {
  const lines = [`${T}chain ${c.name} {`];
  if (c.comment !== null) lines.push(`${T}${T}comment "${c.comment}"`);
  if (c.base !== null) lines.push(`${T}${T}${baseLine(c.base)}`);
  for (const r of c.rules) lines.push(`${T}${T}${printStmts(r.stmts, "listing")}${r.comment === null ? "" : ` comment "${r.comment}"`}`);
  lines.push(`${T}}`);
  return lines;
}

function elementText(s: NftSet, e: NftElement): string {
  let text = e.key.map((v, i) => (s.type[i] === "ifname" ? `"${v}"` : v)).join(" . ");
  if (e.comment !== null) text += ` comment "${e.comment}"`;
  if (e.verdict !== null) text += ` : ${printVerdict(e.verdict)}`;
  return text;
}

/**
 * nft's calculate_delim: IPv6 addresses, interface names and
 * concatenations one element per line, IPv4 addresses two, anything else
 * five; continuation lines are indented 3 tabs and 5 spaces (§A.8).
 */
function perLine(s: NftSet): number {
  if (s.type.length > 1) return 1;
  const t = s.type[0];
  return t === "ipv6_addr" || t === "ifname" ? 1 : t === "ipv4_addr" ? 2 : 5;
}

function elementsLine(s: NftSet): string {
  const n = perLine(s);
  let text = `${T}${T}elements = { `;
  s.elements.forEach((e, i) => {
    if (i > 0) text += i % n === 0 ? `,\n${T}${T}${T}     ` : ", ";
    text += elementText(s, e);
  });
  return text + " }";
}

// Found: the flags line is left out when its only flag is the timeout a `timeout` line already implies.
function setLines(s: NftSet): string[] {
  const lines = [`${T}${s.kind} ${s.name} {`, `${T}${T}type ${s.type.join(" . ")}${s.data === null ? "" : ` : ${s.data}`}`];
  if (s.size !== null) lines.push(`${T}${T}size ${s.size}`);
  const impliedOnly = s.flags.length === 1 && s.flags[0] === "timeout" && s.timeout !== null;
  if (s.flags.length > 0 && !impliedOnly) lines.push(`${T}${T}flags ${s.flags.join(",")}`);
  if (s.timeout !== null) lines.push(`${T}${T}timeout ${timeText(s.timeout)}`);
  if (s.comment !== null) lines.push(`${T}${T}comment "${s.comment}"`);
  if (s.elements.length > 0) lines.push(elementsLine(s));
  lines.push(`${T}}`);
  return lines;
}

function tableLines(t: NftTable): string[] {
  const head = [`table ${t.family} ${t.name} {`];
  if (t.comment !== null) head.push(`${T}comment "${t.comment}"`);
  const objects = [...t.sets.map(setLines), ...t.chains.map(chainLines)];
  return [...head, ...objects.flatMap((o, i) => (i === 0 ? o : ["", ...o])), "}"];
}

/** What `nft -s list ruleset` prints after `nft -f` of printTransaction(ruleset), ending in a newline. */
export function printListing(ruleset: NftRuleset): string {
  const lines = canonicalize(ruleset).tables.flatMap(tableLines);
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
