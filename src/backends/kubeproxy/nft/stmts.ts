// Small builders of the nft statements kube-proxy writes (nftables.md §A.3,
// §A.5), so the templates read like the rules and never spell text: the
// model holds values, the printer (src/rules/nft/print.ts) spells them.
import type { NftExpr, NftRule, NftStmt, NftValue, NftVerdict } from "../../../rules/nft/model.js";

/** The proxier's address family as nft names it: `ip` (IPv4) or `ip6`. */
export type IpFamily = "ip" | "ip6";

const value = (v: string): NftValue => ({ kind: "value", value: v });
const setRef = (name: string): NftValue => ({ kind: "set-ref", name });

export const addr = (fam: IpFamily, field: "saddr" | "daddr"): NftExpr => ({ kind: "payload", proto: fam, field });
const l4proto: NftExpr = { kind: "meta", key: "l4proto" };
const thDport: NftExpr = { kind: "payload", proto: "th", field: "dport" };

/** `ip daddr . meta l4proto . th dport`: the key of service-ips, no-endpoint-services and firewall-ips. */
export const addrProtoPort = (fam: IpFamily): NftExpr => ({ kind: "concat", parts: [addr(fam, "daddr"), l4proto, thDport] });
/** `meta l4proto . th dport`: the key of service-nodeports and no-endpoint-nodeports. */
export const protoPort: NftExpr = { kind: "concat", parts: [l4proto, thDport] };

export function match(left: NftExpr, right: NftValue, negate = false): NftStmt {
  return { kind: "match", left, op: negate ? "!=" : "==", right };
}

/** `ip saddr 10.0.0.0/8`, `ip6 daddr != ::1`. */
export const addrIs = (fam: IpFamily, field: "saddr" | "daddr", v: string, negate = false): NftStmt => match(addr(fam, field), value(v), negate);
/** `ip daddr @nodeport-ips`. */
export const addrIn = (fam: IpFamily, field: "saddr" | "daddr", set: string): NftStmt => match(addr(fam, field), setRef(set));
/** `ip saddr != { a , b }`; `compact` for knftables' bare-comma join (cluster-ips-check, §A.3). */
export const addrInAnon = (fam: IpFamily, field: "saddr" | "daddr", items: readonly string[], negate: boolean, compact: boolean): NftStmt => ({
  kind: "match",
  left: addr(fam, field),
  op: negate ? "!=" : "==",
  right: compact ? { kind: "anon-set", items, compact } : { kind: "anon-set", items },
});
/** `tcp dport 80` (the 1.31–1.33 ClusterIP masquerade rule, §A.5 step 6). */
export const dport = (proto: string, port: number): NftStmt => match({ kind: "payload", proto: proto as "tcp" | "udp" | "sctp", field: "dport" }, value(String(port)));
/** `meta l4proto tcp`. */
export const l4protoIs = (proto: string): NftStmt => match(l4proto, value(proto));
/** `iifname cni0`, `iifname != veth*`. */
export const iifname = (name: string, negate = false): NftStmt => match({ kind: "meta", key: "iifname" }, value(name), negate);
/** `fib saddr type local`, `fib daddr type local`. */
export const fibLocal = (flag: "saddr" | "daddr"): NftStmt => match({ kind: "fib", flags: [flag], result: "type" }, value("local"));
export const ctStateNew: NftStmt = match({ kind: "ct", key: "state" }, value("new"));
/** `mark and 0x4000 == 0`. */
export const markClear = (mark: number): NftStmt =>
  match({ kind: "bitwise", op: "&", left: { kind: "meta", key: "mark" }, value: mark }, value("0"));

export const verdict = (v: NftVerdict): NftStmt => ({ kind: "verdict", verdict: v });
export const jump = (chain: string): NftStmt => verdict({ kind: "jump", chain });
export const goto = (chain: string): NftStmt => verdict({ kind: "goto", chain });
export const DROP: NftStmt = verdict({ kind: "drop" });
export const RETURN: NftStmt = verdict({ kind: "return" });
export const REJECT: NftStmt = { kind: "reject", with: null };

/** `<key> vmap @map`. */
export const vmapRef = (key: NftExpr, map: string): NftStmt => ({ kind: "vmap", key, map: { kind: "set-ref", name: map } });

/** `numgen random mod N vmap { 0 : goto A , 1 : goto B }`: one entry per endpoint, in endpoint order (§A.5 step 6). */
export function numgenVmap(chains: readonly string[]): NftStmt {
  return {
    kind: "vmap",
    key: { kind: "numgen", mode: "random", mod: chains.length },
    map: { kind: "anon", entries: chains.map((c, i) => ({ key: String(i), verdict: { kind: "goto", chain: c } })) },
  };
}

/** `mark set mark or|xor <mark>`. */
export const markSet = (op: "|" | "^", mark: number): NftStmt => ({ kind: "mark-set", base: "mark", ops: [{ op, value: mark }] });
export const masqueradeFullyRandom: NftStmt = { kind: "nat", type: "masquerade", addr: null, port: null, flags: ["fully-random"] };
/** `dnat to 10.0.0.1:80` (IPv6 bracketed by the printer). */
export const dnatTo = (ip: string, port: number): NftStmt => ({ kind: "nat", type: "dnat", addr: ip, port, flags: [] });
/** `update @set { ip saddr }`. */
export const updateSaddr = (fam: IpFamily, set: string): NftStmt => ({ kind: "set-update", op: "update", set, key: addr(fam, "saddr") });

export function rule(stmts: readonly NftStmt[], comment: string | null = null): NftRule {
  return { stmts, comment };
}
