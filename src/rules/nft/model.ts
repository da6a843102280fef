// The nftables rule model: tables → sets/maps and chains → rules of typed
// statements, in nft's vocabulary and no Kubernetes words. The nftables
// backends build it (kube-proxy's nftables proxier directly; Felix's
// nftables dataplane by translating its chains of the iptables rule model,
// rules/types.ts, as Felix's generictables renderers do); the nft printer
// (print.ts) writes it in two spellings — the `nft -f` input an agent sends
// (what knftables' tests compare and what Felix hashes) and what `nft list`
// prints back — and the nft parser reads either back into it. Spelling is
// decided in the printer only: the model holds values, never text.

export type NftFamily = "ip" | "ip6";
export type NftHook = "prerouting" | "input" | "forward" | "output" | "postrouting";

/** Which agent's `nft -f` input spelling a rule is printed in (they differ in small ways, nftables.md §A.6, §B.4). */
export type NftDialect = "knftables" | "felix";

export interface NftRuleset {
  readonly tables: readonly NftTable[];
}

export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly comment: string | null;
  /** How this table's rules are spelled in input form. */
  readonly dialect: NftDialect;
  /**
   * Hex digits the agent pads mark values to in its input: real kube-proxy formats its masquerade mark with Go's
   * %#08x (`0x00004000`, 8), its unit tests write `0x4000` (absent). Listings pad to 8 either way.
   */
  readonly markDigits?: number;
  /** Sets and maps, in creation order (`nft list` prints them in this order, before chains). */
  readonly sets: readonly NftSet[];
  /** Chains in creation order (`nft list` prints them in this order). */
  readonly chains: readonly NftChain[];
}

/** A set's key datatype; a concatenation lists several. */
export type NftDataType = "ipv4_addr" | "ipv6_addr" | "inet_proto" | "inet_service" | "ifname" | "mark";

export interface NftSet {
  readonly kind: "set" | "map";
  readonly name: string;
  /** The key: one datatype, or several for a concatenation (`ipv4_addr . inet_proto . inet_service`). */
  readonly type: readonly NftDataType[];
  /** A map's data type; null for a set. */
  readonly data: "verdict" | null;
  readonly flags: readonly ("interval" | "dynamic" | "timeout" | "constant")[];
  /** Element timeout in seconds (affinity sets), null when none. */
  readonly timeout: number | null;
  /** `size N` (the kernel adds 65535 to dynamic sets when listed), null when not given. */
  readonly size: number | null;
  readonly comment: string | null;
  /** In insertion order; `nft list` sorts them (print.ts). */
  readonly elements: readonly NftElement[];
}

/**
 * One element: its key fields as values of the set's datatypes — an address or
 * prefix (`10.0.0.0/8`), a protocol name (`tcp`), a port or port range
 * (`80`, `8000-8080`), an interface name — and for a map its verdict.
 */
export interface NftElement {
  readonly key: readonly string[];
  readonly comment: string | null;
  readonly verdict: NftVerdict | null;
}

export type NftVerdict =
  | { readonly kind: "accept" | "drop" | "return" | "continue" }
  | { readonly kind: "jump" | "goto"; readonly chain: string };

export interface NftBaseChain {
  readonly type: "filter" | "nat" | "route";
  readonly hook: NftHook;
  /** Numeric priority (raw −300, mangle −150, dstnat −100, filter 0, srcnat 100); the printer names it as nft does. */
  readonly priority: number;
  readonly policy: "accept" | "drop";
}

export interface NftChain {
  readonly name: string;
  /** Base chains hook into netfilter; regular chains are reached by jump/goto/vmap. */
  readonly base: NftBaseChain | null;
  readonly comment: string | null;
  readonly rules: readonly NftRule[];
}

export interface NftRule {
  readonly stmts: readonly NftStmt[];
  /** The rule's comment (Felix: `cali:<hash>; …`, computed by the backend on the input spelling). */
  readonly comment: string | null;
  /** 1-based line in the text this rule was parsed from (parser only). */
  readonly line?: number;
}

/** What a statement reads from the packet or its metadata. */
export type NftExpr =
  /** `ip saddr`, `ip6 daddr`, `th dport`, `tcp dport`, `udp sport`, `icmp type`, `icmpv6 type`, … */
  | { readonly kind: "payload"; readonly proto: "ip" | "ip6" | "th" | "tcp" | "udp" | "sctp" | "icmp" | "icmpv6"; readonly field: string }
  /** `meta l4proto`, `meta mark` (knftables writes `mark`), `iifname`, `oifname`, `meta nfproto`, … */
  | { readonly kind: "meta"; readonly key: "l4proto" | "mark" | "iifname" | "oifname" | "iif" | "oif" | "nfproto" | "pkttype" }
  /** `ct state`, `ct status`, `ct mark` */
  | { readonly kind: "ct"; readonly key: "state" | "status" | "mark" }
  /** `fib saddr type`, `fib daddr type`, `fib saddr . mark . iif oif` */
  | { readonly kind: "fib"; readonly flags: readonly ("saddr" | "daddr" | "mark" | "iif" | "oif")[]; readonly result: "type" | "oif" }
  /** `numgen random mod N` */
  | { readonly kind: "numgen"; readonly mode: "random" | "inc"; readonly mod: number }
  /** `a . b . c` */
  | { readonly kind: "concat"; readonly parts: readonly NftExpr[] }
  /** `meta mark & 0x4000` (knftables: `mark and 0x4000`) */
  | { readonly kind: "bitwise"; readonly op: "&" | "|" | "^"; readonly left: NftExpr; readonly value: number };

/** The right-hand side of a match. */
export type NftValue =
  /** One value of the expression's type: address, prefix, range `a-b`, port, protocol, name, `cali*` wildcard, number, or a list of flag words (`established,related`). */
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "set-ref"; readonly name: string }
  /**
   * An anonymous set `{ a, b }` (input form keeps braces even for one item where the agent writes them).
   * `compact`: the agent joins the items with a bare `,` (knftables' cluster-ips-check, nftables.md §A.3)
   * instead of its usual separator (knftables ` , `, Felix `, `); input spelling only.
   */
  | { readonly kind: "anon-set"; readonly items: readonly string[]; readonly compact?: boolean };

/** `meta mark set …`: the new mark is the old mark put through `ops` in order, or a constant when `ops` starts from `base`. */
export interface NftMarkOp {
  readonly op: "&" | "|" | "^";
  readonly value: number;
}

export type NftStmt =
  /** `<expr> [==|!=] <value>`; `op: "=="` prints without an operator where nft does. */
  | { readonly kind: "match"; readonly left: NftExpr; readonly op: "==" | "!="; readonly right: NftValue }
  | { readonly kind: "counter" }
  | { readonly kind: "verdict"; readonly verdict: NftVerdict }
  /** `<key> vmap @map` or `<key> vmap { k : verdict, … }` */
  | {
      readonly kind: "vmap";
      readonly key: NftExpr;
      readonly map: { readonly kind: "set-ref"; readonly name: string } | { readonly kind: "anon"; readonly entries: readonly { readonly key: string; readonly verdict: NftVerdict }[] };
    }
  /** `meta mark set mark or 0x4000`: base `mark` (the old mark) then ops, or a constant base. */
  | { readonly kind: "mark-set"; readonly base: "mark" | number; readonly ops: readonly NftMarkOp[] }
  /** `dnat to 10.0.0.1:80`, `snat to …`, `masquerade [fully-random]` */
  | { readonly kind: "nat"; readonly type: "dnat" | "snat" | "masquerade"; readonly addr: string | null; readonly port: number | null; readonly flags: readonly ("fully-random" | "random" | "persistent")[] }
  /** `reject` or `reject with icmp type …` */
  | { readonly kind: "reject"; readonly with: string | null }
  | { readonly kind: "notrack" }
  /** `log prefix "…" [level info] [group N] [snaplen N]` */
  | { readonly kind: "log"; readonly prefix: string | null; readonly level: string | null; readonly group: number | null; readonly snaplen: number | null }
  /** `update @set { ip saddr }` / `add @set { … }` */
  | { readonly kind: "set-update"; readonly op: "update" | "add"; readonly set: string; readonly key: NftExpr };
