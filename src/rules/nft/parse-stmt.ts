// Rule statements and element lists from their tokens, in any of the
// spellings print.ts writes (knftables and Felix input, nft's listing):
// `mark` and `meta mark`, `and`/`&`, quoted or bare interface names,
// `counter packets N bytes M` from a live listing. A cursor over one
// command's or line's tokens; an unknown word is an NftSyntaxError that the
// driver turns into a diagnostic at the word.
import type { IToken } from "chevrotain";
import type { NftElement, NftExpr, NftMarkOp, NftStmt, NftValue, NftVerdict } from "./model.js";

export class NftSyntaxError extends Error {
  constructor(
    message: string,
    readonly token: IToken | null,
  ) {
    super(message);
  }
}

const OPS: Readonly<Record<string, NftMarkOp["op"]>> = { "&": "&", and: "&", "|": "|", or: "|", "^": "^", xor: "^" };
const PAYLOAD: ReadonlySet<string> = new Set(["ip", "ip6", "th", "tcp", "udp", "sctp", "icmp", "icmpv6"]);
const BARE_META: ReadonlySet<string> = new Set(["iifname", "oifname", "iif", "oif"]);
const VERDICTS: ReadonlySet<string> = new Set(["accept", "drop", "return", "continue"]);
const NAT_FLAGS = /^(fully-random|random|persistent)(,(fully-random|random|persistent))*$/;

export const unquote = (s: string): string => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

export class Cursor {
  i = 0;
  constructor(
    readonly toks: readonly IToken[],
    private readonly text: string,
  ) {}

  peek(k = 0): string | undefined {
    return this.toks[this.i + k]?.image;
  }
  at(): IToken | null {
    return this.toks[this.i] ?? this.toks[this.toks.length - 1] ?? null;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  next(what: string): string {
    const t = this.toks[this.i];
    if (t === undefined) throw new NftSyntaxError(`expected ${what} at end of line`, this.at());
    this.i++;
    return t.image;
  }
  expect(image: string): void {
    if (this.peek() !== image) throw new NftSyntaxError(`expected '${image}'${this.done() ? " at end of line" : `, found '${this.peek()}'`}`, this.at());
    this.i++;
  }
  fail(what: string): never {
    throw new NftSyntaxError(`expected ${what}${this.done() ? " at end of line" : `, found '${this.peek()}'`}`, this.at());
  }
  num(what: string): number {
    const w = this.next(what);
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(w)) throw new NftSyntaxError(`expected ${what}, found '${w}'`, this.toks[this.i - 1] ?? null);
    return Number(w);
  }
  /** Source text between two token indexes (for separator spelling). */
  between(a: number, b: number): string {
    return this.text.slice(this.toks[a]!.endOffset! + 1, this.toks[b]!.startOffset);
  }
}

export function parseVerdict(c: Cursor): NftVerdict {
  const w = c.next("a verdict");
  if (VERDICTS.has(w)) return { kind: w as "accept" };
  if (w === "jump" || w === "goto") return { kind: w, chain: c.next("a chain name") };
  throw new NftSyntaxError(`expected a verdict, found '${w}'`, c.toks[c.i - 1] ?? null);
}

function primary(c: Cursor): NftExpr {
  const w = c.next("an expression");
  if (PAYLOAD.has(w)) return { kind: "payload", proto: w as "ip", field: c.next("a header field") };
  if (w === "meta") return { kind: "meta", key: c.next("a meta key") as "mark" };
  if (w === "mark" || BARE_META.has(w)) return { kind: "meta", key: w as "mark" };
  if (w === "ct") return { kind: "ct", key: c.next("a ct key") as "state" };
  if (w === "numgen") {
    const mode = c.next("random or inc") as "random";
    c.expect("mod");
    return { kind: "numgen", mode, mod: c.num("a modulus") };
  }
  if (w === "fib") {
    const flags = [c.next("a fib flag")];
    while (c.peek() === ".") (c.i++, flags.push(c.next("a fib flag")));
    return { kind: "fib", flags: flags as ("saddr" | "daddr")[], result: c.next("type or oif") as "type" };
  }
  c.i--;
  return c.fail("a statement");
}

export function parseExpr(c: Cursor): NftExpr {
  const parts = [bitwise(c)];
  while (c.peek() === ".") (c.i++, parts.push(bitwise(c)));
  return parts.length === 1 ? parts[0]! : { kind: "concat", parts };
}

function bitwise(c: Cursor): NftExpr {
  const left = primary(c);
  const op = OPS[c.peek() ?? ""];
  if (op === undefined || left.kind === "fib") return left;
  c.i++;
  return { kind: "bitwise", op, left, value: c.num("a number") };
}

/** `a . b` keys of one element or anonymous-set item, unquoted. */
function keyParts(c: Cursor): string[] {
  const key = [unquote(c.next("a value"))];
  while (c.peek() === ".") (c.i++, key.push(unquote(c.next("a value"))));
  return key;
}

/** `{ item, item }`; `compact` when the agent wrote bare commas (knftables' cluster-ips-check). */
function anonSet(c: Cursor): NftValue {
  c.expect("{");
  const items: string[] = [];
  let compact = true;
  for (;;) {
    items.push(keyParts(c).join(" . "));
    if (c.peek() !== ",") break;
    if (c.between(c.i - 1, c.i) !== "" || c.between(c.i, c.i + 1) !== "") compact = false;
    c.i++;
  }
  c.expect("}");
  return items.length > 1 && compact ? { kind: "anon-set", items, compact: true } : { kind: "anon-set", items };
}

function rightValue(c: Cursor): NftValue {
  const w = c.peek();
  if (w === undefined) c.fail("a value");
  if (w.startsWith("@")) return (c.i++, { kind: "set-ref", name: w.slice(1) });
  if (w === "{") return anonSet(c);
  // A flag list (`related,established`) is one value; so is a concatenation's `a . b`.
  let value = keyParts(c).join(" . ");
  while (c.peek() === ",") (c.i++, (value += "," + c.next("a value")));
  // nft lists a negated flag list with `|` (`ct state != established | related`).
  while (c.peek() === "|") (c.i++, (value += " | " + c.next("a value")));
  return { kind: "value", value };
}

function vmap(c: Cursor, key: NftExpr): NftStmt {
  if (c.peek()?.startsWith("@") === true) return { kind: "vmap", key, map: { kind: "set-ref", name: c.next("a map").slice(1) } };
  c.expect("{");
  const entries: { key: string; verdict: NftVerdict }[] = [];
  for (;;) {
    const k = keyParts(c).join(" . ");
    c.expect(":");
    entries.push({ key: k, verdict: parseVerdict(c) });
    if (c.peek() !== ",") break;
    c.i++;
  }
  c.expect("}");
  return { kind: "vmap", key, map: { kind: "anon", entries } };
}

function markSet(c: Cursor): NftStmt {
  let base: "mark" | number;
  if (c.peek() === "meta" && c.peek(1) === "mark") (c.i += 2, (base = "mark"));
  else if (c.peek() === "mark") (c.i++, (base = "mark"));
  else base = c.num("a mark");
  const ops: NftMarkOp[] = [];
  while (OPS[c.peek() ?? ""] !== undefined) ops.push({ op: OPS[c.next("an operator")]!, value: c.num("a number") });
  return { kind: "mark-set", base, ops };
}

function nat(c: Cursor, type: "dnat" | "snat" | "masquerade"): NftStmt {
  let addr: string | null = null;
  let port: number | null = null;
  if (type !== "masquerade") {
    if (c.peek() === "ip" || c.peek() === "ip6") c.i++;
    c.expect("to");
    // `10.0.0.1:80`, `[fd00::1]:80`, or an address alone (`fd00::1`).
    const raw = c.next("an address");
    const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(raw);
    const v4 = /^([\d.]+):(\d+)$/.exec(raw);
    [addr, port] = v6 ? [v6[1]!, Number(v6[2])] : v4 ? [v4[1]!, Number(v4[2])] : [raw, null];
  }
  const flags = NAT_FLAGS.test(c.peek() ?? "") ? (c.next("flags").split(",") as ("random" | "persistent")[]) : [];
  return { kind: "nat", type, addr, port, flags };
}

function log(c: Cursor): NftStmt {
  const s = { kind: "log" as const, prefix: null as string | null, level: null as string | null, group: null as number | null, snaplen: null as number | null };
  for (;;) {
    const w = c.peek();
    if (w === "prefix") (c.i++, (s.prefix = unquote(c.next("a prefix"))));
    else if (w === "level") (c.i++, (s.level = c.next("a level")));
    else if (w === "group") (c.i++, (s.group = c.num("a group")));
    else if (w === "snaplen") (c.i++, (s.snaplen = c.num("a length")));
    else return s;
  }
}

/** One statement at the cursor. */
export function parseStmt(c: Cursor): NftStmt {
  const w = c.peek()!;
  if (VERDICTS.has(w) || w === "jump" || w === "goto") return { kind: "verdict", verdict: parseVerdict(c) };
  if (w === "counter") {
    c.i++;
    // A live listing's counter values (without -s); the model keeps none.
    if (c.peek() === "packets") c.i += 4;
    return { kind: "counter" };
  }
  if (w === "notrack") return (c.i++, { kind: "notrack" });
  if (w === "reject") {
    c.i++;
    if (c.peek() !== "with") return { kind: "reject", with: null };
    c.i++;
    const words = [c.next("icmp, icmpv6, icmpx or tcp")];
    words.push(c.next("a reject type"));
    if (words[1] === "type") words.push(c.next("a reject type"));
    return { kind: "reject", with: words.join(" ") };
  }
  if (w === "masquerade" || w === "dnat" || w === "snat") return (c.i++, nat(c, w));
  if (w === "log") return (c.i++, log(c));
  if ((w === "update" || w === "add") && c.peek(1)?.startsWith("@") === true) {
    c.i++;
    const set = c.next("a set").slice(1);
    c.expect("{");
    const key = parseExpr(c);
    c.expect("}");
    return { kind: "set-update", op: w, set, key };
  }
  if ((w === "mark" && c.peek(1) === "set") || (w === "meta" && c.peek(1) === "mark" && c.peek(2) === "set")) {
    c.i += w === "mark" ? 2 : 3;
    return markSet(c);
  }
  const left = parseExpr(c);
  if (c.peek() === "vmap") return (c.i++, vmap(c, left));
  let op: "==" | "!=" = "==";
  if (c.peek() === "==" || c.peek() === "!=") op = c.next("an operator") as "==";
  return { kind: "match", left, op, right: rightValue(c) };
}

/** A rule's statements and trailing `comment "…"`. */
export function parseRuleBody(c: Cursor): { stmts: NftStmt[]; comment: string | null } {
  const stmts: NftStmt[] = [];
  let comment: string | null = null;
  while (!c.done()) {
    if (c.peek() === "comment") {
      c.i++;
      comment = unquote(c.next("a comment"));
      if (!c.done()) c.fail("end of rule after its comment");
      break;
    }
    stmts.push(parseStmt(c));
  }
  // `continue` alone is how an empty rule prints (§B.5); keep it as the statement it is.
  return { stmts, comment };
}

/** `{ k . k [comment "c"] [: verdict], … }` of `add element` and `elements = `. */
export function parseElements(c: Cursor): NftElement[] {
  c.expect("{");
  const out: NftElement[] = [];
  while (c.peek() !== "}") {
    const key = keyParts(c);
    let comment: string | null = null;
    if (c.peek() === "comment") (c.i++, (comment = unquote(c.next("a comment"))));
    let verdict: NftVerdict | null = null;
    if (c.peek() === ":") (c.i++, (verdict = parseVerdict(c)));
    out.push({ key, comment, verdict });
    if (c.peek() === ",") c.i++;
    else if (c.peek() !== "}") c.fail("',' or '}'");
  }
  c.expect("}");
  return out;
}
