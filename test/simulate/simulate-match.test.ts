// Simulator matches and ipset membership, each against hand-written rules
// whose expected result follows from iptables-extensions(8) and the ipset
// kernel code (longest prefix wins, nomatch excludes, dimensions must be named).
import { describe, expect, it } from "vitest";
import { ipsetContains } from "../../src/simulate/index.js";
import type { HostContext, Packet } from "../../src/simulate/types.js";
import type { RuleSet } from "../../src/rules/types.js";
import { hashNet, host, only, pkt, rules, simulateChain, simulatePath, steps } from "./simulate-helpers.js";

/** The verdict of filter INPUT (ACCEPT policy) for a packet arriving on `inIface`. */
function verdict(rs: RuleSet, p: Packet, h: HostContext = host(), inIface = "eth0"): string {
  return only(simulateChain(rs, "filter", "INPUT", p, h, { inIface })).verdict;
}

const oneRule = (rule: string): RuleSet => rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`);

describe("ipset membership", () => {
  const nets = hashNet("nets", ["10.0.0.0/8", ["10.1.0.0/16", "nomatch"], "10.1.2.0/24", "172.16.0.5"]);
  it("hash:net: the most specific stored prefix decides, nomatch excludes", () => {
    const has = (a: string): boolean => ipsetContains(nets, "src", pkt({ src: a }));
    expect([has("10.2.3.4"), has("10.1.5.5"), has("10.1.2.3"), has("172.16.0.5"), has("172.16.0.6"), has("11.0.0.1")]).toEqual([true, false, true, true, false, false]);
    expect(ipsetContains(nets, "dst", pkt({ src: "1.1.1.1", dst: "10.9.9.9" }))).toBe(true);
  });

  const ipPort = hashNet("svc", ["10.0.0.2,tcp:80", "10.0.0.2,udp:53", "10.0.0.3,80"], "hash:ip,port");
  it("hash:ip,port keys on address, protocol and port; too few flags never match", () => {
    const has = (over: Partial<Packet>, flags = "dst,dst"): boolean => ipsetContains(ipPort, flags, pkt(over));
    expect(has({})).toBe(true);
    expect(has({ protocol: "udp" })).toBe(false);
    expect(has({ protocol: "udp", dstPort: 53 })).toBe(true);
    expect(has({ dst: "10.0.0.3" })).toBe(true); // "80" alone means tcp:80 (ipset default protocol)
    expect(has({ dstPort: 53 })).toBe(false);
    expect(has({ src: "10.0.0.2", dst: "9.9.9.9", srcPort: 80 }, "src,src")).toBe(true);
    expect(has({}, "dst")).toBe(false);
  });

  it("hash:net,port with nomatch; set and negated set matches in rules; a missing set is UNKNOWN", () => {
    const np = hashNet("np", ["10.0.0.0/8,tcp:443", ["10.6.0.0/16,tcp:443", "nomatch"]], "hash:net,port");
    const h = host({ sets: [np, nets] });
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set np dst,dst -j DROP\n-A INPUT -m set ! --match-set nets src -j REJECT\n-A INPUT -m set --match-set gone src -j DROP\nCOMMIT\n`);
    expect(verdict(rs, pkt({ dst: "10.5.0.1", dstPort: 443 }), h)).toBe("DROP");
    expect(verdict(rs, pkt({ dst: "10.6.0.1", dstPort: 443, src: "192.168.0.1" }), h)).toBe("REJECT");
    const o = only(simulateChain(rs, "filter", "INPUT", pkt({ src: "10.2.2.2" }), h));
    expect(o.verdict).toBe("UNKNOWN");
    expect(o.unknown).toMatch(/ipset 'gone' is not in HostContext.ipsets in filter INPUT rule 3 \(line 5\)/);
    expect(o.decisive).toMatchObject({ index: 2, action: "unknown" });
  });
});

describe("address, interface and protocol fields", () => {
  it("-s/-d CIDRs with !, and dotted masks", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 ! -d 10.0.0.0/255.255.255.0 -j DROP\nCOMMIT\n`);
    expect(verdict(rs, pkt({ src: "10.1.1.1", dst: "10.0.1.2" }))).toBe("DROP");
    expect(verdict(rs, pkt({ src: "10.1.1.1", dst: "10.0.0.9" }))).toBe("ACCEPT");
    expect(verdict(rs, pkt({ src: "11.1.1.1", dst: "10.0.1.2" }))).toBe("ACCEPT");
  });

  it("-i with + is a prefix match; ! negates; a hook without that device never matches a positive -o", () => {
    const rs = oneRule("-i cali+ ! -i cali9 -j DROP");
    expect(verdict(rs, pkt(), host(), "cali123")).toBe("DROP");
    expect(verdict(rs, pkt(), host(), "cali9")).toBe("ACCEPT");
    expect(verdict(rs, pkt(), host(), "eth0")).toBe("ACCEPT");
    const out = rules("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -o eth1 -j DROP\n-A PREROUTING ! -o eth1 -j NOTRACK\nCOMMIT\n");
    const o = only(simulatePath(out, { kind: "forward", inIface: "eth0", outIface: "eth1" }, pkt(), host()));
    expect([o.verdict, o.packet.ctstate]).toEqual(["ACCEPT", "UNTRACKED"]);
  });

  it("-p by name or number, ipencap = 4, ! -p", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ipencap -j DROP\n-A INPUT -p 17 -j REJECT\n-A INPUT ! -p tcp -j DROP\nCOMMIT\n`);
    expect(verdict(rs, pkt({ protocol: "4" }))).toBe("DROP");
    expect(verdict(rs, pkt({ protocol: "udp" }))).toBe("REJECT");
    expect(verdict(rs, pkt({ protocol: "sctp" }))).toBe("DROP");
    expect(verdict(rs, pkt({ protocol: "tcp" }))).toBe("ACCEPT");
  });
});

describe("match modules", () => {
  it("multiport: lists, ranges, negation, --ports for either side", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m multiport --dports 80,8000:8080,443 -j ACCEPT\n-A INPUT -p tcp -m multiport ! --dports 22 -j REJECT\n-A INPUT -p udp -m multiport --ports 53 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n`);
    const v = (over: Partial<Packet>): string => verdict(rs, pkt(over));
    expect([v({ dstPort: 80 }), v({ dstPort: 8042 }), v({ dstPort: 8081 }), v({ dstPort: 22 })]).toEqual(["ACCEPT", "ACCEPT", "REJECT", "DROP"]);
    expect([v({ protocol: "udp", srcPort: 53, dstPort: 9 }), v({ protocol: "udp", dstPort: 53 }), v({ protocol: "udp" })]).toEqual(["ACCEPT", "ACCEPT", "DROP"]);
  });

  it("tcp/udp --dport/--sport ranges, implicit -p tcp --dport, open-ended ranges", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 1000:2000 -j DROP\n-A INPUT -p udp -m udp ! --sport 0:1023 -j REJECT\nCOMMIT\n`);
    expect(verdict(rs, pkt({ dstPort: 1500 }))).toBe("DROP");
    expect(verdict(rs, pkt({ dstPort: 2001 }))).toBe("ACCEPT");
    expect(verdict(rs, pkt({ protocol: "udp", srcPort: 5000, dstPort: 1500 }))).toBe("REJECT");
    expect(verdict(rs, pkt({ protocol: "udp", srcPort: 53 }))).toBe("ACCEPT");
  });

  it("mark: value/mask, default mask, negation", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x10000/0x10000 -j DROP\n-A INPUT -m mark ! --mark 0x5 -j REJECT\nCOMMIT\n`);
    expect([verdict(rs, pkt({ mark: 0x30000 })), verdict(rs, pkt({ mark: 0x5 })), verdict(rs, pkt({ mark: 0x6 }))]).toEqual(["DROP", "ACCEPT", "REJECT"]);
  });

  it("conntrack --ctstate (DNAT/SNAT from the packet's NAT status) and state --state", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate DNAT -j DROP\n-A INPUT -m conntrack ! --ctstate NEW,RELATED -j REJECT\n-A INPUT -m state --state RELATED -j DROP\nCOMMIT\n`);
    expect(verdict(rs, pkt({ dnat: true }))).toBe("DROP");
    expect(verdict(rs, pkt())).toBe("ACCEPT");
    expect(verdict(rs, pkt({ ctstate: "ESTABLISHED" }))).toBe("REJECT");
    expect(verdict(rs, pkt({ ctstate: "RELATED" }))).toBe("DROP");
  });

  it("addrtype: LOCAL from the host (127/8 implied), UNICAST/MULTICAST, --limit-iface-out per interface", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m addrtype --dst-type LOCAL -m addrtype ! --src-type LOCAL -j DROP\n-A INPUT -m addrtype --dst-type MULTICAST -j REJECT\nCOMMIT\n`);
    expect(verdict(rs, pkt({ dst: "10.0.0.11" }))).toBe("DROP");
    expect(verdict(rs, pkt({ dst: "127.0.0.1" }))).toBe("DROP");
    expect(verdict(rs, pkt({ src: "127.0.0.1", dst: "127.0.0.1" }))).toBe("ACCEPT");
    expect(verdict(rs, pkt({ dst: "224.0.0.5" }))).toBe("REJECT");
    const felix = rules(`*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o tunl0 -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE\nCOMMIT\n`);
    const h = host({ localAddresses: new Set(["10.0.0.11", "192.168.231.0"]), interfaceAddresses: new Map([["tunl0", new Set(["192.168.231.0"])], ["eth0", new Set(["10.0.0.11"])]]) });
    const masq = (src: string): boolean => only(simulatePath(felix, { kind: "output", outIface: "tunl0" }, pkt({ src }), h)).packet.snat;
    expect([masq("10.0.0.11"), masq("192.168.231.0")]).toEqual([true, false]);
  });

  it("rpfilter: host answer, --invert, --accept-local, loopback always passes", () => {
    const rs = rules(`*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter --validmark --invert -j DROP\nCOMMIT\n`);
    const h = host({ rpfilterOk: (src, iface) => src === "10.0.0.1" && iface === "cali1" });
    const v = (src: string, iface: string): string => only(simulateChain(rs, "raw", "PREROUTING", pkt({ src }), h, { inIface: iface })).verdict;
    expect([v("10.0.0.1", "cali1"), v("10.0.0.1", "cali2"), v("10.0.0.11", "cali1"), v("10.0.0.5", "lo")]).toEqual(["ACCEPT", "DROP", "DROP", "ACCEPT"]);
    const local = rules(`*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m rpfilter --accept-local -j ACCEPT\n-A PREROUTING -j DROP\nCOMMIT\n`);
    expect(only(simulateChain(local, "raw", "PREROUTING", pkt({ src: "10.0.0.11" }), h, { inIface: "eth0" })).verdict).toBe("ACCEPT");
  });

  it("icmp --icmp-type by number and name; comment and limit always match", () => {
    const rs = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -m icmp --icmp-type 8 -m comment --comment "ping" -m limit --limit 5/sec -j DROP\n-A INPUT -p icmp -m icmp --icmp-type port-unreachable -j REJECT\nCOMMIT\n`);
    expect(verdict(rs, pkt({ protocol: "icmp", icmpType: 8 }))).toBe("DROP");
    expect(verdict(rs, pkt({ protocol: "icmp", icmpType: 3, icmpCode: 3 }))).toBe("REJECT");
    expect(verdict(rs, pkt({ protocol: "icmp", icmpType: 3, icmpCode: 1 }))).toBe("ACCEPT");
    expect(only(simulateChain(rs, "filter", "INPUT", pkt({ protocol: "icmp" }), host())).verdict).toBe("UNKNOWN");
  });

  it("recent: --set matches; --rcheck asks host.recent and is UNKNOWN without it", () => {
    const rs = rules(`*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m recent --rcheck --seconds 10800 --reap --name SEP1 --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.9.0.1\n-A PREROUTING -m recent --set --name SEP2 --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.9.0.2\nCOMMIT\n`);
    const run = (h: HostContext): ReturnType<typeof only> => only(simulateChain(rs, "nat", "PREROUTING", pkt(), h));
    expect(run(host()).unknown).toMatch(/recent --rcheck --name SEP1/);
    expect(run(host({ recent: (n, a) => n === "SEP1" && a === "10.0.0.1" })).packet.dst).toBe("10.9.0.1");
    expect(run(host({ recent: () => false })).packet.dst).toBe("10.9.0.2");
  });
});

describe("what is not modelled is UNKNOWN, loudly", () => {
  it("an unknown module, option or target stops the walk with UNKNOWN naming it and the rule", () => {
    const cases: Array<[string, RegExp]> = [
      ["-m owner --uid-owner 0 -j DROP", /match module 'owner' in filter INPUT rule 1 \(line 3\)/],
      ["-m conntrack --ctstatus CONFIRMED -j DROP", /option --ctstatus CONFIRMED of match module 'conntrack'/],
      ["-p tcp -m tcp --syn -j DROP", /option --syn of match module 'tcp'/],
      ["-j CONNMARK --restore-mark", /target CONNMARK/],
      ["-m statistic --mode random --probability 1.5 -j DROP", /--probability 1.5 of match module 'statistic'/],
      ["-m rpfilter --loose -j DROP", /--loose/],
    ];
    for (const [rule, why] of cases) {
      const o = only(simulateChain(oneRule(rule), "filter", "INPUT", pkt(), host(), { inIface: "eth0" }));
      expect([rule, o.verdict]).toEqual([rule, "UNKNOWN"]);
      expect(o.unknown).toMatch(why);
      expect(steps(o).at(-1)).toBe("filter INPUT 0 unknown");
    }
  });

  it("an unknown module is not consulted when an earlier field already fails (kernel order)", () => {
    expect(verdict(oneRule("-s 1.2.3.4/32 -m owner --uid-owner 0 -j DROP"), pkt())).toBe("ACCEPT");
    expect(verdict(oneRule("-m mark --mark 0x1 -m owner --uid-owner 0 -j DROP"), pkt())).toBe("ACCEPT");
  });

  it("IPv6 packets are UNKNOWN", () => {
    const o = only(simulatePath(oneRule("-j ACCEPT"), { kind: "input", inIface: "eth0" }, pkt({ src: "fd00::1", dst: "fd00::2" }), host()));
    expect([o.verdict, o.unknown]).toEqual(["UNKNOWN", "packet fd00::1 → fd00::2: only IPv4 is modelled"]);
  });
});
