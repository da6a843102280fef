// Chain and set attributes, in both spellings: the transaction's
// `{ type filter hook input priority 0 ; policy drop ; comment "c" ; }` and
// `{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }`, and the
// listing's lines `type filter hook input priority filter; policy drop;`,
// `timeout 3h`, `elements = { … }`. Each attribute starts with its keyword,
// so `;` and line ends are only separators here.
import type { NftBaseChain, NftDataType, NftDialect, NftElement, NftFamily, NftHook, NftRule, NftSet } from "./model.js";
import { type Cursor, NftSyntaxError, parseElements, unquote } from "./parse-stmt.js";

export interface ChainBuild {
  readonly name: string;
  base: NftBaseChain | null;
  comment: string | null;
  readonly rules: NftRule[];
}

export type SetBuild = { -readonly [K in keyof NftSet]: NftSet[K] } & { elements: NftElement[] };

export interface TableBuild {
  readonly family: NftFamily;
  readonly name: string;
  comment: string | null;
  readonly dialect: NftDialect;
  readonly sets: Map<string, SetBuild>;
  readonly chains: Map<string, ChainBuild>;
}

// nft's standard priority names for ip/ip6 (what the listing prints, print-listing.ts).
const PRIORITIES: ReadonlyMap<string, number> = new Map([["raw", -300], ["mangle", -150], ["dstnat", -100], ["filter", 0], ["security", 50], ["srcnat", 100]]);
const HOOKS: ReadonlySet<string> = new Set(["prerouting", "input", "forward", "output", "postrouting"]);

function priority(c: Cursor): number {
  const w = c.next("a priority");
  const base = PRIORITIES.get(w) ?? (/^-?\d+$/.test(w) ? Number(w) : c.fail("a priority"));
  if (c.peek() !== "+" && c.peek() !== "-") return base;
  const sign = c.next("+ or -") === "+" ? 1 : -1;
  return base + sign * c.num("a priority offset");
}

/** `3h`, `1m30s`, `10800s`, `1d1s` → seconds. */
function seconds(c: Cursor): number {
  const w = c.next("a time");
  const parts = [...w.matchAll(/(\d+)(d|h|m|s)/g)];
  if (parts.map((p) => p[0]).join("") !== w || parts.length === 0) throw new NftSyntaxError(`expected a time such as 3h or 10800s, found '${w}'`, c.toks[c.i - 1] ?? null);
  const unit: Readonly<Record<string, number>> = { d: 86400, h: 3600, m: 60, s: 1 };
  return parts.reduce((a, p) => a + Number(p[1]) * unit[p[2]!]!, 0);
}

function wordList(c: Cursor, what: string): string[] {
  const out = [c.next(what)];
  while (c.peek() === ",") (c.i++, out.push(c.next(what)));
  return out;
}

const end = (c: Cursor): boolean => c.done() || c.peek() === "}";

/** A chain's attributes (after `add chain F T N` or on a listing chain's first lines). */
export function parseChainAttrs(c: Cursor, chain: ChainBuild): void {
  if (c.peek() === "{") c.i++;
  while (!end(c)) {
    const w = c.next("type, policy or comment");
    if (w === ";") continue;
    if (w === "comment") chain.comment = unquote(c.next("a comment"));
    else if (w === "policy") {
      const policy = c.next("accept or drop");
      if (chain.base !== null) chain.base = { ...chain.base, policy: policy === "drop" ? "drop" : "accept" };
    } else if (w === "type") {
      const type = c.next("filter, nat or route") as NftBaseChain["type"];
      c.expect("hook");
      const hook = c.next("a hook");
      if (!HOOKS.has(hook)) throw new NftSyntaxError(`unknown hook '${hook}'`, c.toks[c.i - 1] ?? null);
      c.expect("priority");
      chain.base = { type, hook: hook as NftHook, priority: priority(c), policy: chain.base?.policy ?? "accept" };
    } else c.fail("type, policy or comment");
  }
}

/** A set's or map's attributes (after `add set F T N` or inside a listing's `set N { … }`). */
export function parseSetAttrs(c: Cursor, kind: "set" | "map", name: string): SetBuild {
  const s: SetBuild = { kind, name, type: [], data: null, flags: [], timeout: null, size: null, comment: null, elements: [] };
  if (c.peek() === "{") c.i++;
  while (!end(c)) {
    const w = c.next("a set attribute");
    if (w === ";") continue;
    if (w === "type") {
      const type = [c.next("a datatype")];
      while (c.peek() === ".") (c.i++, type.push(c.next("a datatype")));
      s.type = type as NftDataType[];
      if (c.peek() === ":") (c.i++, (s.data = c.next("verdict") as "verdict"));
    } else if (w === "flags") s.flags = wordList(c, "a flag") as SetBuild["flags"];
    else if (w === "timeout") s.timeout = seconds(c);
    else if (w === "size") s.size = c.num("a size");
    else if (w === "comment") s.comment = unquote(c.next("a comment"));
    else if (w === "elements") {
      c.expect("=");
      s.elements = parseElements(c);
    } else c.fail("type, flags, timeout, size, comment or elements");
  }
  return s;
}
