// Hand-built nft rulesets for the printer/parser tests and the kernel round
// trip: CAL-NFT-F1 (Felix 3.32, nftables.md §B.8) and rulesets that between
// them use every statement kind, value type and set shape in both dialects.
import type { NftRuleset, NftTable } from "../../src/rules/nft/model.js";
import * as b from "./nft-build.js";
import { kpNft1 } from "./nft-fixtures.js";

const { rule, chain, el, to, eq, ne, ip, meta, ct, counter, accept, drop, ret } = b;
const ACC = 0x10000;
const PASS = 0x20000;
const accepted = eq(b.mark("&", ACC), "0x10000");
const passUnset = eq(b.mark("&", PASS), "0");

export function felixF1(): NftRuleset {
  const tw = "filter-cali-tw-cali95aa86cbb2a";
  const pi = "filter-cali-pi-knp/default/allow-db-access";
  const ipset = "cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge";
  const table: NftTable = {
    family: "ip",
    name: "calico",
    comment: null,
    dialect: "felix",
    sets: [b.set(ipset, ["ipv4_addr"], [el(["192.168.231.6"])], { flags: ["interval"] }), b.map("filter-cali-to-wl-dispatch", ["ifname"], [el(["cali95aa86cbb2a"], to(tw))])],
    chains: [
      b.baseChain("filter-FORWARD", "filter", "forward", 0, []),
      chain(tw, [
        rule([eq(ct("state"), "related,established"), counter, accept], "cali:vLsjs0IhBP2bMnZi;"),
        rule([eq(ct("state"), "invalid"), counter, drop], "cali:875gC5p9taeWMUt7;"),
        rule([counter, b.markSet("mark", ["&", 0xfffcffff])], "cali:EQEd5KwtT9v6W_IB;"),
        rule([counter, b.markSet("mark", ["&", 0xfffdffff])], "cali:eT65Qq6G07i4TBPA; Start of tier default"),
        rule([passUnset, counter, b.jump(pi)], "cali:2keoafuegdC6X3oG;"),
        rule([accepted, counter, ret], "cali:huUQ89Ms2bJ-CKvd; Return if policy accepted"),
        rule([passUnset, counter, drop], "cali:6SHnjv5BvrxU06F2; End of tier default. Drop if no policies passed packet"),
        rule([counter, b.jump("filter-cali-pri-kns.default")], "cali:FdyloH6VaybDnuSl;"),
        rule([accepted, counter, ret], "cali:b4ZzmuP0A0o-lOoL; Return if profile accepted"),
        rule([counter, b.jump("filter-cali-pri-ksa.default.default")], "cali:AWEiaKJY_BiJOCr6;"),
        rule([accepted, counter, ret], "cali:6eLixS6MmeJYBceh; Return if profile accepted"),
        rule([counter, drop], "cali:aAhDBWNiIHjg0O9H; Drop if no profiles matched"),
      ]),
      chain(pi, [rule([eq(ip("saddr"), b.ref(ipset)), counter, b.markSet("mark", ["|", ACC])], "cali:BDBjgf2N2FxNWSkW; KubernetesNetworkPolicy default/allow-db-access ingress")]),
      chain("filter-cali-pri-kns.default", [rule([counter, b.markSet("mark", ["|", ACC])], "cali:q9-9Gdat5_ETkrCZ; Profile kns.default ingress")]),
      chain("filter-cali-pri-ksa.default.default", [rule([], "cali:p_Mw2SCh5ugQsIFB; Profile ksa.default.default ingress")]),
      chain("filter-cali-to-wl-dispatch", [
        rule([b.vmapRef(meta("oifname"), "filter-cali-to-wl-dispatch")], "cali:ljtHSLJQhigspPd1;"),
        rule([counter, drop], "cali:zeZtiiPDsE6BwqUG; Unknown interface"),
      ]),
    ],
  };
  return { tables: [table] };
}

const felixBases = [
  b.baseChain("raw-PREROUTING", "filter", "prerouting", -300, [rule([counter, b.jump("raw-x")])]),
  b.baseChain("mangle-OUTPUT", "route", "output", -150, []),
  b.baseChain("nat-PREROUTING", "nat", "prerouting", -100, []),
  b.baseChain("nat-INPUT", "nat", "input", -100, []),
  b.baseChain("nat-OUTPUT", "nat", "output", 110, []),
  b.baseChain("nat-POSTROUTING", "nat", "postrouting", 110, [rule([ne(ip("daddr"), b.ref("cali40all-ipam-pools")), counter, b.masquerade("fully-random")])]),
  { ...b.baseChain("filter-INPUT", "filter", "input", 0, []), base: { type: "filter", hook: "input", priority: 0, policy: "drop" }, comment: "base with comment" } as const,
  b.baseChain("filter-FORWARD", "filter", "forward", 10, []),
  b.baseChain("filter-OUTPUT", "filter", "output", -90, []),
  b.baseChain("security-in", "filter", "input", 60, []),
  b.baseChain("odd", "filter", "prerouting", -311, []),
];

/** Felix's statement kinds and the listing's normalisations of them (ip, felix dialect). */
export function everyKindFelix(): NftRuleset {
  const x = [
    rule([accepted, counter, ret]),
    rule([b.markSet("mark", ["&", 0xfffbffff], ["^", 0x40000])]),
    rule([b.markSet("mark", ["&", 0xfffcffff], ["^", 0x40000])]),
    rule([b.markSet("mark", ["&", 0xfffcffff], ["|", 0x10000])]),
    rule([b.markSet("mark", ["^", 0x10])]),
    rule([b.markSet(0x40000)]),
    rule([eq(meta("iifname"), "cali*"), counter, b.markSet("mark", ["|", 0x80000])]),
    rule([eq(meta("iifname"), "eth0"), ne(meta("oifname"), "cali*"), accept]),
    rule([eq(meta("l4proto"), "tcp"), eq(b.th("tcp", "dport"), b.anon("8000-8080", "80")), accept]),
    rule([eq(meta("l4proto"), "udp"), eq(b.th("udp", "dport"), "4789"), counter, b.notrack]),
    rule([eq(meta("l4proto"), "tcp"), eq(ip("saddr"), "1.2.3.4/32"), eq(b.th("th", "dport"), "80"), accept]),
    rule([eq(meta("l4proto"), "4"), accept]),
    rule([eq(meta("l4proto"), "icmp"), eq(b.th("icmp", "type"), "8"), accept]),
    rule([eq(b.th("icmp", "type"), b.anon("8", "0")), accept]),
    rule([eq(ct("state"), "related,established"), counter, accept]),
    rule([ne(ct("state"), "established"), accept]),
    rule([eq(b.fib(["saddr", "mark", "iif"], "oif"), "0"), drop]),
    rule([eq(b.fib(["daddr"], "type"), "local"), accept]),
    rule([b.vmapAnon(meta("oifname"), [["cali1", b.to("x")], ["eth0", b.dropV], ["a", { kind: "accept" }]])]),
    rule([eq(ip("saddr"), b.anon("10.0.0.0/8", "1.1.1.1", "192.168.1.0/24")), accept]),
    rule([eq(b.th("tcp", "dport"), b.anon("443", "80", "22")), accept]),
    rule([eq(meta("mark"), "0x4000"), accept]),
    rule([eq(b.concat(ip("daddr"), meta("l4proto"), b.th("th", "dport")), b.ref("cali40named")), accept]),
    rule([{ kind: "nat", type: "snat", addr: "10.0.0.1", port: null, flags: ["fully-random"] }]),
    rule([{ kind: "reject", with: "icmp type host-unreachable" }]),
    rule([{ kind: "log", prefix: "calico-packet: ", level: "info", group: null, snaplen: null }]),
    rule([{ kind: "log", prefix: "calico-drop", level: null, group: 1, snaplen: 80 }]),
    rule([counter]),
    rule([]),
    rule([accept], "a comment: with/odd.chars_and-more"),
  ];
  const table: NftTable = {
    family: "ip",
    name: "calico",
    comment: null,
    dialect: "felix",
    sets: [
      b.set("cali40all-ipam-pools", ["ipv4_addr"], [el(["10.0.0.0/8"]), el(["1.2.3.4/32"]), el(["11.200.0.0-11.200.0.255"])], { flags: ["interval"] }),
      b.set("cali40named", ["ipv4_addr", "inet_proto", "inet_service"], [el(["10.0.0.1", "tcp", "8080"]), el(["10.0.0.2", "udp", "53"]), el(["10.0.0.1", "udp", "8080"])]),
      b.set("ports", ["inet_service"], ["443", "80", "8080", "53", "22", "1", "2", "65535", "3"].map((p) => el([p]))),
      b.set("protos", ["inet_proto"], ["udp", "tcp", "4", "sctp"].map((p) => el([p]))),
      b.set("marks", ["mark"], ["0x10000", "0x4000", "1"].map((p) => el([p]))),
      b.set("names", ["ifname"], ["eth0", "eth1", "cali1", "cali22", "a"].map((p) => el([p]))),
      b.map("ipmap", ["ipv4_addr"], [el(["10.0.0.3"], { kind: "accept" }), el(["10.0.0.1"], b.dropV), el(["10.0.0.2"], b.to("x"))]),
      b.set("tmo", ["ipv4_addr"], [], { flags: ["timeout"], timeout: 90, size: 1024 }),
      b.set("tmo2", ["ipv4_addr"], [], { flags: ["dynamic"], timeout: 86401, comment: "c" }),
      b.set("plain-timeout", ["ipv4_addr"], [], { flags: ["timeout"] }),
      b.set("dyn", ["ipv4_addr"], [], { flags: ["dynamic"] }),
    ],
    chains: [...felixBases, chain("raw-x", [rule([{ kind: "set-update", op: "add", set: "dyn", key: ip("saddr") }])]), chain("x", x), chain("empty", [], "empty chain")],
  };
  return { tables: [table, { family: "ip", name: "bare", comment: "only a comment", dialect: "felix", sets: [], chains: [] }] };
}

/** IPv6 and the knftables spellings (ip6, knftables dialect). */
export function everyKind6(): NftRuleset {
  const ip6 = b.ip6;
  const table: NftTable = {
    family: "ip6",
    name: "kube-proxy",
    comment: "rules for kube-proxy",
    dialect: "knftables",
    sets: [
      b.set("s6", ["ipv6_addr"], ["fd00::/64", "::1", "2001:DB8::/32", "fe80::1"].map((a) => el([a])), { flags: ["interval"] }),
      b.set("s6b", ["ipv6_addr"], ["fd00:0:0::1", "::1"].map((a) => el([a]))),
      b.map("svc", ["ipv6_addr", "inet_proto", "inet_service"], [el(["fd00::1", "tcp", "80"], b.to("y"), "ns/a:p"), el(["fd00::2", "udp", "53"], b.dropV)]),
      b.set("aff", ["ipv6_addr"], [], { flags: ["dynamic", "timeout"], timeout: 10800 }),
    ],
    chains: [
      b.baseChain("nat-prerouting", "nat", "prerouting", -100, [rule([b.jump("dn")])]),
      // Only dnat is reachable from a hook: the kernel checks each statement against the hooks that reach it (masquerade: postrouting only).
      chain("dn", [rule([eq(meta("l4proto"), "udp"), b.dnat("fd00::1", 80)]), rule([b.dnat("fd00::1", null)])]),
      b.baseChain("filter-prerouting-pre-dnat", "filter", "prerouting", -110, []),
      b.baseChain("filter-output-pre-dnat", "filter", "output", -110, []),
      chain("y", [
        rule([b.markSet("mark", ["|", 0x4000])]),
        rule([eq(b.mark("&", 0x4000), "0"), ret]),
        rule([b.markSet("mark", ["^", 0x4000])]),
        rule([b.masquerade("fully-random")]),
        rule([eq(meta("l4proto"), "ipv6-icmp"), eq(b.th("icmpv6", "type"), "128"), accept]),
        rule([eq(b.th("icmpv6", "type"), b.anon("1", "2", "135")), accept]),
        rule([eq(meta("l4proto"), "tcp"), ne(b.th("tcp", "dport"), "80"), accept]),
        rule([eq(meta("l4proto"), b.anon("tcp", "udp")), eq(b.th("th", "dport"), "53"), accept]),
        rule([eq(meta("l4proto"), "tcp"), b.vmapAnon(b.th("th", "dport"), [["80", { kind: "accept" }]])]),
        rule([ne(ip6("daddr"), "::1"), eq(ip6("saddr"), "fd00:0:0::1/128"), accept]),
        rule([eq(ip6("saddr"), b.anon("fd00::/64", "::1", "2001:DB8::1")), accept]),
        rule([ne(ip6("saddr"), b.anon("2001:db8::/32")), drop]),
        rule([b.vmapRef(b.concat(ip6("daddr"), meta("l4proto"), b.th("th", "dport")), "svc")]),
        rule([b.vmapAnon({ kind: "numgen", mode: "random", mod: 3 }, [["2", b.to("y")], ["0", b.to("y")], ["1", b.dropV]])]),
        rule([eq(ip6("saddr"), b.ref("aff")), b.goto("y")]),
        rule([{ kind: "set-update", op: "update", set: "aff", key: ip6("saddr") }]),
        rule([{ kind: "reject", with: "icmpv6 type admin-prohibited" }]),
        rule([eq(meta("iifname"), "cni0*"), b.reject]),
        rule([eq(b.fib(["saddr"], "type"), "local"), b.jump("y")], "masquerade local traffic"),
      ]),
    ],
  };
  return { tables: [table] };
}

/** Every hand-built ruleset, by name. */
export const CASES: readonly (readonly [string, () => NftRuleset])[] = [
  ["KP-NFT-1", kpNft1],
  ["CAL-NFT-F1", felixF1],
  ["every kind, felix", everyKindFelix],
  ["every kind, ip6 knftables", everyKind6],
];
