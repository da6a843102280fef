// The nft printer's input spelling (nftables.md §A.3–§A.7, §B.4–§B.8):
// every rule of the upstream fixtures must be reproducible from a model.
import { describe, expect, it } from "vitest";
import { printRuleInput, printStmtsInput, printTransaction, sortTransaction } from "../../src/rules/nft/print.js";
import * as b from "./nft-build.js";
import { kpNft1 } from "./nft-fixtures.js";
import { localFixture } from "./spec-text.js";

const { eq, ne, ip, meta, ct } = b;

describe("printStmtsInput, knftables", () => {
  it.each([
    [[eq(ip("daddr"), "172.30.0.41"), ne(ip("saddr"), "10.0.0.0/8"), b.jump("mark-for-masquerade")], "ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade"],
    [[b.markSet("mark", ["|", 0x4000])], "mark set mark or 0x4000"],
    [[b.markSet("mark", ["^", 0x4000])], "mark set mark xor 0x4000"],
    [[eq(b.mark("&", 0x4000), "0"), b.ret], "mark and 0x4000 == 0 return"],
    [[b.vmapAnon({ kind: "numgen", mode: "random", mod: 2 }, [["0", b.to("A")], ["1", b.to("B")]])], "numgen random mod 2 vmap { 0 : goto A , 1 : goto B }"],
    [[b.vmapRef(b.concat(ip("daddr"), meta("l4proto"), b.th("th", "dport")), "service-ips")], "ip daddr . meta l4proto . th dport vmap @service-ips"],
    [[ne(ip("saddr"), b.anon("203.0.113.0/25")), b.drop], "ip saddr != { 203.0.113.0/25 } drop"],
    [[ne(ip("saddr"), b.anon("203.0.113.0/25", "1.2.3.4")), b.drop], "ip saddr != { 203.0.113.0/25 , 1.2.3.4 } drop"],
    [[eq(ip("daddr"), { kind: "anon-set", items: ["172.30.0.0/16", "172.31.0.0/16"], compact: true }), b.drop], "ip daddr { 172.30.0.0/16,172.31.0.0/16 } drop"],
    [[eq(meta("l4proto"), "tcp"), b.dnat("10.180.0.1", 80)], "meta l4proto tcp dnat to 10.180.0.1:80"],
    [[eq(meta("l4proto"), "tcp"), b.dnat("fd00:10::1", 80)], "meta l4proto tcp dnat to [fd00:10::1]:80"],
    [[{ kind: "set-update", op: "update", set: "affinity-X", key: ip("saddr") }], "update @affinity-X { ip saddr }"],
    [[eq(b.fib(["saddr"], "type"), "local"), b.jump("mark-for-masquerade")], "fib saddr type local jump mark-for-masquerade"],
    [[eq(ct("state"), "new"), b.jump("firewall-check")], "ct state new jump firewall-check"],
    [[b.masquerade("fully-random")], "masquerade fully-random"],
    [[eq(meta("iifname"), "cni0*"), b.goto("svc")], "iifname cni0* goto svc"],
    [[ne(ip6("daddr"), "::1")], "ip6 daddr != ::1"],
  ] as const)("%#: %s", (stmts, text) => {
    expect(printStmtsInput(stmts, "knftables")).toBe(text);
  });
});

function ip6(field: string) {
  return b.ip6(field);
}

describe("printStmtsInput, felix", () => {
  it.each([
    [[eq(b.mark("&", 0x10000), "0x10000"), b.counter, b.ret], "meta mark & 0x10000 == 0x10000 counter return"],
    [[eq(b.mark("&", 0x20000), "0"), b.counter, b.drop], "meta mark & 0x20000 == 0 counter drop"],
    [[b.counter, b.markSet("mark", ["&", 0xfffcffff])], "counter meta mark set mark & 0xfffcffff"],
    [[b.markSet("mark", ["|", 0x10000])], "meta mark set mark or 0x10000"],
    [[b.markSet("mark", ["&", 0xfffbffff], ["^", 0x40000])], "meta mark set mark & 0xfffbffff ^ 0x40000"],
    [[eq(ip("saddr"), b.ref("cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge")), b.counter, b.markSet("mark", ["|", 0x10000])], "ip saddr @cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge counter meta mark set mark or 0x10000"],
    [[eq(meta("iifname"), "cali*"), b.counter, b.markSet("mark", ["|", 0x80000])], "iifname cali* counter meta mark set mark or 0x80000"],
    [[eq(meta("l4proto"), "tcp"), eq(b.th("tcp", "dport"), b.anon("80", "8000-8080"))], "meta l4proto tcp tcp dport { 80, 8000-8080 }"],
    [[eq(ct("state"), "related,established"), b.counter, b.accept], "ct state related,established counter accept"],
    [[b.vmapRef(meta("oifname"), "filter-cali-to-wl-dispatch")], "oifname vmap @filter-cali-to-wl-dispatch"],
    [[eq(meta("l4proto"), "udp"), eq(b.th("udp", "dport"), "4789"), b.counter, b.notrack], "meta l4proto udp udp dport 4789 counter notrack"],
    [[eq(b.fib(["saddr", "mark", "iif"], "oif"), "0")], "fib saddr . mark . iif oif 0"],
    [[ne(ip("daddr"), b.ref("cali40all-ipam-pools")), b.counter, b.masquerade("fully-random")], "ip daddr != @cali40all-ipam-pools counter masquerade fully-random"],
    [[{ kind: "log", prefix: "calico-packet", level: "info", group: null, snaplen: null }], 'log prefix "calico-packet" level info'],
    // Felix's NflogAction order (snaplen before group); nft lists group first.
    [[b.counter, { kind: "log", prefix: "API0|default.allow", level: null, group: 1, snaplen: 80 }], 'counter log prefix "API0|default.allow" snaplen 80 group 1'],
    [[], "continue"],
  ] as const)("%#: %s", (stmts, text) => {
    expect(printStmtsInput(stmts, "felix")).toBe(text);
  });
});

describe("printRuleInput", () => {
  const t = { family: "ip", name: "calico", dialect: "felix" } as const;
  it("adds the comment after the body", () => {
    expect(printRuleInput(t, "filter-cali-to-wl-dispatch", b.rule([b.counter, b.drop], "cali:zeZtiiPDsE6BwqUG; Unknown interface"))).toBe(
      'add rule ip calico filter-cali-to-wl-dispatch counter drop comment "cali:zeZtiiPDsE6BwqUG; Unknown interface"',
    );
    expect(printRuleInput({ ...t, name: "kube-proxy", dialect: "knftables" }, "reject-chain", b.rule([b.reject]))).toBe("add rule ip kube-proxy reject-chain reject");
  });
});

describe("printTransaction", () => {
  it("reproduces KP-NFT-1 (§A.7) after kube-proxy's sortNFTablesTransaction", () => {
    expect(sortTransaction(printTransaction(kpNft1()))).toBe(sortTransaction(localFixture("nft-kp-nft-1.input.txt")));
  });

  it("declares every chain, set and map before the first rule or element (§A.6)", () => {
    const lines = printTransaction(kpNft1()).split("\n");
    const firstUse = lines.findIndex((l) => l.startsWith("add rule") || l.startsWith("add element"));
    const lastDecl = lines.map((l) => /^add (chain|set|map) /.test(l)).lastIndexOf(true);
    expect(lines[0]).toBe('add table ip kube-proxy { comment "rules for kube-proxy" ; }');
    expect(lastDecl).toBeLessThan(firstUse);
    expect(lines).toContain("add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }");
    expect(lines).toContain('add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }');
  });
});

describe("sortTransaction", () => {
  it("orders by object type, then name; rules keep their order; drops blank and # lines", () => {
    const text = ["# c", "add rule ip t b z", "add element ip t s { 2 }", "", "add rule ip t a y", "add rule ip t b x", "add chain ip t b", "add element ip t s { 1 }", "add table ip t"].join("\n");
    expect(sortTransaction(text)).toBe(["add table ip t", "add chain ip t b", "add rule ip t a y", "add rule ip t b z", "add rule ip t b x", "add element ip t s { 1 }", "add element ip t s { 2 }"].join("\n"));
  });
});
