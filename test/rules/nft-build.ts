// Small constructors for hand-built nft rule models in the nft printer and
// parser tests (the backends have their own builders; these only save typing).
import type { NftChain, NftElement, NftExpr, NftRule, NftSet, NftStmt, NftValue, NftVerdict } from "../../src/rules/nft/model.js";

export const ip = (field: string): NftExpr => ({ kind: "payload", proto: "ip", field });
export const ip6 = (field: string): NftExpr => ({ kind: "payload", proto: "ip6", field });
export const th = (proto: "th" | "tcp" | "udp" | "sctp" | "icmp" | "icmpv6", field: string): NftExpr => ({ kind: "payload", proto, field });
export const meta = (key: Extract<NftExpr, { kind: "meta" }>["key"]): NftExpr => ({ kind: "meta", key });
export const ct = (key: "state" | "status" | "mark"): NftExpr => ({ kind: "ct", key });
export const concat = (...parts: NftExpr[]): NftExpr => ({ kind: "concat", parts });
export const mark = (op: "&" | "|" | "^", value: number): NftExpr => ({ kind: "bitwise", op, left: meta("mark"), value });
export const fib = (flags: Extract<NftExpr, { kind: "fib" }>["flags"], result: "type" | "oif"): NftExpr => ({ kind: "fib", flags, result });

export const val = (value: string): NftValue => ({ kind: "value", value });
export const ref = (name: string): NftValue => ({ kind: "set-ref", name });
export const anon = (...items: string[]): NftValue => ({ kind: "anon-set", items });

export const eq = (left: NftExpr, right: NftValue | string): NftStmt => ({ kind: "match", left, op: "==", right: typeof right === "string" ? val(right) : right });
export const ne = (left: NftExpr, right: NftValue | string): NftStmt => ({ kind: "match", left, op: "!=", right: typeof right === "string" ? val(right) : right });
export const counter: NftStmt = { kind: "counter" };
export const verdict = (v: NftVerdict): NftStmt => ({ kind: "verdict", verdict: v });
export const jump = (chain: string): NftStmt => verdict({ kind: "jump", chain });
export const goto = (chain: string): NftStmt => verdict({ kind: "goto", chain });
export const accept = verdict({ kind: "accept" });
export const drop = verdict({ kind: "drop" });
export const ret = verdict({ kind: "return" });
export const reject: NftStmt = { kind: "reject", with: null };
export const notrack: NftStmt = { kind: "notrack" };
export const vmapRef = (key: NftExpr, name: string): NftStmt => ({ kind: "vmap", key, map: { kind: "set-ref", name } });
export const vmapAnon = (key: NftExpr, entries: [string, NftVerdict][]): NftStmt => ({
  kind: "vmap",
  key,
  map: { kind: "anon", entries: entries.map(([k, v]) => ({ key: k, verdict: v })) },
});
export const markSet = (base: "mark" | number, ...ops: [("&" | "|" | "^"), number][]): NftStmt => ({
  kind: "mark-set",
  base,
  ops: ops.map(([op, value]) => ({ op, value })),
});
export const dnat = (addr: string, port: number | null): NftStmt => ({ kind: "nat", type: "dnat", addr, port, flags: [] });
export const masquerade = (...flags: ("fully-random" | "random" | "persistent")[]): NftStmt => ({ kind: "nat", type: "masquerade", addr: null, port: null, flags });

export const rule = (stmts: NftStmt[], comment: string | null = null): NftRule => ({ stmts, comment });
export const chain = (name: string, rules: NftRule[], comment: string | null = null): NftChain => ({ name, base: null, comment, rules });
export const baseChain = (name: string, type: "filter" | "nat" | "route", hook: Extract<NftChain["base"], object>["hook"], priority: number, rules: NftRule[]): NftChain => ({
  name,
  base: { type, hook, priority, policy: "accept" },
  comment: null,
  rules,
});

export const el = (key: string[], v: NftVerdict | null = null, comment: string | null = null): NftElement => ({ key, comment, verdict: v });
export const set = (name: string, type: NftSet["type"], elements: NftElement[], more: Partial<NftSet> = {}): NftSet => ({
  kind: "set",
  name,
  type,
  data: null,
  flags: [],
  timeout: null,
  size: null,
  comment: null,
  elements,
  ...more,
});
export const map = (name: string, type: NftSet["type"], elements: NftElement[], comment: string | null = null): NftSet => ({
  ...set(name, type, elements, { comment }),
  kind: "map",
  data: "verdict",
});
export const to = (chain: string): NftVerdict => ({ kind: "goto", chain });
export const dropV: NftVerdict = { kind: "drop" };
