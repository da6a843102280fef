// The nft printer's listing spelling: what `nft -s list ruleset` (nft 1.0.6)
// prints. The whole-ruleset expectations were listed by the kernel on this
// machine (test/kernel/nft-roundtrip.test.ts re-checks every case there).
import { describe, expect, it } from "vitest";
import { canonicalize, printListing, printNodeFile } from "../../src/rules/nft/print.js";
import { priorityText, timeText } from "../../src/rules/nft/print-listing.js";
import * as b from "./nft-build.js";
import { CASES, felixF1 } from "./nft-cases.js";
import { kpNft1 } from "./nft-fixtures.js";
import { localFixture } from "./spec-text.js";

const { eq, ip, meta, rule } = b;

function listedRule(...stmts: Parameters<typeof rule>[0]): string {
  const t = { family: "ip", name: "t", comment: null, dialect: "felix", sets: [], chains: [b.chain("c", [rule(stmts)])] } as const;
  return printListing({ tables: [t] }).split("\n")[2]!.trim();
}

describe("printListing", () => {
  it("is KP-NFT-1 as the kernel lists it (§A.8)", () => {
    expect(printListing(kpNft1())).toBe(localFixture("nft-kp-nft-1.listing.txt"));
  });

  it("lists CAL-NFT-F1's tw chain as §B.8 shows it", () => {
    const text = printListing(felixF1());
    expect(text).toContain('\t\tct state established,related counter accept comment "cali:vLsjs0IhBP2bMnZi;"\n');
    expect(text).toContain('\t\tmeta mark & 0x00020000 == 0x00000000 counter jump filter-cali-pi-knp/default/allow-db-access comment "cali:2keoafuegdC6X3oG;"\n');
    expect(text).toContain('\t\tcontinue comment "cali:p_Mw2SCh5ugQsIFB; Profile ksa.default.default ingress"\n');
    expect(text).toContain('\t\telements = { "cali95aa86cbb2a" : goto filter-cali-tw-cali95aa86cbb2a }\n');
  });

  it.each([
    [[b.markSet("mark", ["&", 0xfffbffff], ["^", 0x40000])], "meta mark set meta mark | 0x00040000"],
    [[b.markSet("mark", ["&", 0xfffcffff], ["^", 0x40000])], "meta mark set meta mark & 0xfffcffff ^ 0x00040000"],
    [[b.markSet("mark", ["&", 0xfffcffff], ["|", 0x10000])], "meta mark set meta mark & 0xfffdffff | 0x00010000"],
    [[b.markSet("mark", ["&", 0xffffffff])], "meta mark set meta mark"],
    [[b.markSet("mark", ["&", 0xff])], "meta mark set meta mark & 0x000000ff"],
    [[eq(meta("l4proto"), "tcp"), eq(ip("saddr"), "1.2.3.4"), eq(b.th("th", "dport"), "80")], "ip saddr 1.2.3.4 tcp dport 80"],
    [[eq(meta("l4proto"), "tcp"), b.vmapRef(b.concat(ip("saddr"), meta("l4proto"), b.th("th", "dport")), "m")], "ip saddr . meta l4proto . tcp dport vmap @m"],
    [[eq(meta("l4proto"), "tcp"), b.dnat("10.0.0.1", 80)], "meta l4proto tcp dnat to 10.0.0.1:80"],
    [[eq(meta("l4proto"), "47")], "meta l4proto gre"],
    [[eq(b.th("tcp", "dport"), b.anon("80", "81", "82-90"))], "tcp dport { 80-90 }"],
    [[eq(ip("saddr"), b.anon("10.0.0.0-10.0.0.255", "10.0.0.5/8"))], "ip saddr { 10.0.0.0/8 }"],
    [[eq(ip("saddr"), "10.0.0.5/8")], "ip saddr 10.0.0.0/8"],
    [[eq(meta("iifname"), b.anon("eth*", "cali*"))], 'iifname { "cali*", "eth*" }'],
    [[b.vmapAnon(meta("oifname"), [["eth0", b.dropV], ["cali1", b.to("y")], ["a", { kind: "accept" }]])], 'oifname vmap { "a" : accept, "eth0" : drop, "cali1" : goto y }'],
    [[eq(b.concat(ip("saddr"), b.th("tcp", "dport")), b.anon("10.0.0.1 . 443", "10.0.0.2 . 80"))], "ip saddr . tcp dport { 10.0.0.2 . 80, 10.0.0.1 . 443 }"],
    [[{ kind: "reject", with: "icmp type host-unreachable" }], "reject with icmp host-unreachable"],
    [[b.markSet("mark", ["&", 0x4000], ["^", 0xfffcffff])], "meta mark set meta mark & 0xfffcffff ^ 0x00004000 | 0xfffcbfff"],
    [[b.markSet("mark", ["^", 0x4000], ["&", 0x4000])], "meta mark set meta mark ^ 0x00004000"],
    [[b.ne(b.ct("state"), "related,established")], "ct state != established | related"],
    [[eq(ip("saddr"), "100.64.0.0-100.64.0.255")], "ip saddr 100.64.0.0-100.64.0.255"],
    [[eq(ip("saddr"), b.anon("100.64.0.0-100.64.0.255"))], "ip saddr 100.64.0.0-100.64.0.255"],
    [[eq(ip("saddr"), b.anon("100.64.0.0-100.64.0.255", "1.1.1.1"))], "ip saddr { 1.1.1.1, 100.64.0.0/24 }"],
    [[eq(b.ip6("saddr"), "2001:DB8::0-2001:db8::ffff")], "ip6 saddr 2001:db8::-2001:db8::ffff"],
  ] as const)("%#: %s", (stmts, text) => {
    expect(listedRule(...stmts)).toBe(text);
  });

  it("names priorities within 10 of a standard one, dstnat/srcnat on their hooks only", () => {
    expect(priorityText("prerouting", -110)).toBe("dstnat - 10");
    expect(priorityText("output", -110)).toBe("-110");
    expect(priorityText("output", -100)).toBe("-100");
    expect(priorityText("postrouting", 110)).toBe("srcnat + 10");
    expect(priorityText("output", 110)).toBe("110");
    expect(priorityText("input", 60)).toBe("security + 10");
    expect(priorityText("input", 11)).toBe("11");
    expect(priorityText("prerouting", -290)).toBe("raw + 10");
  });

  it("prints timeouts in nft's units", () => {
    expect([10800, 90, 86401, 60].map(timeText)).toEqual(["3h", "1m30s", "1d1s", "1m"]);
  });

  it.each(CASES)("%s: canonicalize is idempotent and printListing is a fixed point of it", (_name, build) => {
    const once = canonicalize(build());
    expect(canonicalize(once)).toEqual(once);
    expect(printListing(once)).toBe(printListing(build()));
  });

  it("printNodeFile puts the replace preamble before the listing", () => {
    expect(printNodeFile(kpNft1())).toBe("add table ip kube-proxy\ndelete table ip kube-proxy\n" + printListing(kpNft1()));
  });
});
