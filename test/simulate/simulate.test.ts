// Simulator: chain control flow, targets, hook order and NAT, on hand-written
// rulesets whose outcome follows from iptables(8) / ipt_do_table semantics.
import { describe, expect, it } from "vitest";
import { host, only, pkt, rules, simulateChain, simulatePath, steps } from "./simulate-helpers.js";

const FWD = { kind: "forward", inIface: "eth0", outIface: "eth1" } as const;

describe("chain control flow", () => {
  const rs = rules(`*filter
    :INPUT ACCEPT [0:0]
    :FORWARD DROP [0:0]
    :OUTPUT ACCEPT [0:0]
    :A - [0:0]
    :B - [0:0]
    :EMPTY - [0:0]
    -A FORWARD -p udp -j EMPTY
    -A FORWARD -p udp -j REJECT --reject-with icmp-port-unreachable
    -A FORWARD -p icmp -g B
    -A FORWARD -p tcp -j A
    -A FORWARD -p tcp -j ACCEPT
    -A A -g B
    -A A -j DROP
    -A B -j MARK --set-xmark 0x1/0x1
    -A B -j RETURN
    -A B -j DROP
    COMMIT
  `);

  it("RETURN from a goto'd chain returns to the caller of the chain that did the goto", () => {
    const o = only(simulatePath(rs, FWD, pkt(), host()));
    expect(o.verdict).toBe("ACCEPT");
    expect(steps(o)).toEqual(["filter FORWARD 3 jump", "filter A 0 goto", "filter B 0 mark", "filter B 1 return", "filter FORWARD 4 accept"]);
    expect(o.packet.mark).toBe(1);
    expect(o.trace[4]!.line).toBe(12);
    expect(o.decisive).toEqual(o.trace[4]);
  });

  it("falling off a user chain returns; REJECT ends the path", () => {
    const o = only(simulatePath(rs, FWD, pkt({ protocol: "udp" }), host()));
    expect(o.verdict).toBe("REJECT");
    expect(steps(o)).toEqual(["filter FORWARD 0 jump", "filter FORWARD 1 reject"]);
  });

  it("RETURN with nothing pushed (goto from a built-in chain) applies the built-in policy", () => {
    const o = only(simulatePath(rs, FWD, pkt({ protocol: "icmp", icmpType: 8 }), host()));
    expect(o.verdict).toBe("DROP");
    expect(steps(o)).toEqual(["filter FORWARD 2 goto", "filter B 0 mark", "filter B 1 return", "filter FORWARD -1 policy"]);
    expect(o.trace.at(-1)).toMatchObject({ rule: null, line: null });
  });

  it("a built-in DROP policy applies when no rule decides", () => {
    const o = only(simulatePath(rs, FWD, pkt({ protocol: "sctp" }), host()));
    expect(o.verdict).toBe("DROP");
    expect(steps(o)).toEqual(["filter FORWARD -1 policy"]);
  });

  it("RETURN in a built-in chain is the policy; a rule without target only counts", () => {
    const r = rules(`*filter
      :INPUT DROP [0:0]
      -A INPUT -m comment --comment "counter only"
      -A INPUT -j RETURN
      -A INPUT -j ACCEPT
      COMMIT`);
    const o = only(simulateChain(r, "filter", "INPUT", pkt(), host()));
    expect(o.verdict).toBe("DROP");
    expect(steps(o)).toEqual(["filter INPUT 0 counter", "filter INPUT 1 return", "filter INPUT -1 policy"]);
  });

  it("jump and goto loops are UNKNOWN, not a hang", () => {
    const r = rules(`*filter
      :INPUT ACCEPT [0:0]
      :L1 - [0:0]
      :L2 - [0:0]
      :G1 - [0:0]
      :G2 - [0:0]
      -A INPUT -p tcp -j L1
      -A INPUT -p udp -g G1
      -A L1 -j L2
      -A L2 -j L1
      -A G1 -g G2
      -A G2 -g G1
      COMMIT`);
    for (const protocol of ["tcp", "udp"]) {
      const o = only(simulateChain(r, "filter", "INPUT", pkt({ protocol }), host()));
      expect(o.verdict).toBe("UNKNOWN");
      expect(o.unknown).toMatch(/loop/);
    }
  });
});

describe("MARK arithmetic (mark starts at 0xff00ff00)", () => {
  const cases: Array<[string, number]> = [
    ["--set-xmark 0x5/0xf", ((0xff00ff00 & ~0xf) ^ 0x5) >>> 0],
    ["--set-xmark 0x0f000000/0xff000000", 0x0f00ff00],
    ["--set-xmark 0x1/0x0", 0xff00ff01],
    ["--set-mark 0x5/0xf00", ((0xff00ff00 & ~0xf00) | 0x5) >>> 0],
    ["--set-mark 7", 7],
    ["--or-mark 0x4000", 0xff00ff00 | 0x4000],
    ["--and-mark 0xffff", 0xff00],
    ["--xor-mark 0xff00", 0xff000000],
  ];
  for (const [opts, want] of cases) {
    it(opts, () => {
      const r = rules(`*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK ${opts}\nCOMMIT\n`);
      const o = only(simulateChain(r, "mangle", "PREROUTING", pkt({ mark: 0xff00ff00 }), host()));
      expect(o.verdict).toBe("ACCEPT");
      expect(o.packet.mark >>> 0).toBe(want >>> 0);
      expect(steps(o)[0]).toBe("mangle PREROUTING 0 mark");
    });
  }

  it("kube-proxy's --or-mark then --xor-mark pair toggles the masquerade bit", () => {
    const r = rules(`*nat
      :POSTROUTING ACCEPT [0:0]
      :KUBE-POSTROUTING - [0:0]
      -A POSTROUTING -j KUBE-POSTROUTING
      -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
      -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
      -A KUBE-POSTROUTING -j MASQUERADE --random-fully
      COMMIT`);
    const marked = only(simulateChain(r, "nat", "POSTROUTING", pkt({ mark: 0x4001 }), host()));
    expect(marked.packet).toMatchObject({ mark: 0x1, snat: true });
    expect(steps(marked).at(-1)).toBe("nat KUBE-POSTROUTING 2 masquerade");
    const plain = only(simulateChain(r, "nat", "POSTROUTING", pkt({ mark: 0x1 }), host()));
    expect(plain.packet).toMatchObject({ mark: 0x1, snat: false });
  });
});

describe("hooks and NAT", () => {
  const everyChain = (extra = ""): string =>
    [
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING\n-A OUTPUT\nCOMMIT",
      "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING\n-A INPUT\n-A FORWARD\n-A OUTPUT\n-A POSTROUTING\nCOMMIT",
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING\n-A INPUT\n-A OUTPUT\n-A POSTROUTING\nCOMMIT",
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra}-A INPUT\n-A FORWARD\n-A OUTPUT\nCOMMIT\n`,
    ].join("\n");
  const order = (o: ReturnType<typeof only>): string[] => o.trace.filter((s) => s.action === "counter").map((s) => `${s.table} ${s.chain}`);

  it("forward, input and output paths visit the hooks in netfilter priority order", () => {
    const rs = rules(everyChain());
    expect(order(only(simulatePath(rs, FWD, pkt(), host())))).toEqual([
      "raw PREROUTING", "mangle PREROUTING", "nat PREROUTING", "mangle FORWARD", "filter FORWARD", "mangle POSTROUTING", "nat POSTROUTING",
    ]);
    expect(order(only(simulatePath(rs, { kind: "input", inIface: "eth0" }, pkt(), host())))).toEqual([
      "raw PREROUTING", "mangle PREROUTING", "nat PREROUTING", "mangle INPUT", "filter INPUT", "nat INPUT",
    ]);
    expect(order(only(simulatePath(rs, { kind: "output", outIface: "eth0" }, pkt(), host())))).toEqual([
      "raw OUTPUT", "mangle OUTPUT", "nat OUTPUT", "filter OUTPUT", "mangle POSTROUTING", "nat POSTROUTING",
    ]);
  });

  it("nat chains see only NEW packets; NOTRACK makes the packet UNTRACKED so nat is skipped", () => {
    const rs = rules(everyChain());
    const est = only(simulatePath(rs, FWD, pkt({ ctstate: "ESTABLISHED" }), host()));
    expect(order(est).filter((s) => s.startsWith("nat"))).toEqual([]);
    const nt = rules("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j NOTRACK\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to-destination 1.2.3.4\nCOMMIT\n");
    const o = only(simulatePath(nt, FWD, pkt(), host()));
    expect(o.packet).toMatchObject({ ctstate: "UNTRACKED", dst: "10.0.0.2", dnat: false });
  });

  it("ACCEPT ends only its own table's hook; DROP ends the path", () => {
    const rs = rules("*mangle\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\n-A FORWARD -j DROP\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p udp -j DROP\nCOMMIT\n");
    expect(only(simulatePath(rs, FWD, pkt(), host())).verdict).toBe("ACCEPT");
    const o = only(simulatePath(rs, FWD, pkt({ protocol: "udp" }), host()));
    expect([o.verdict, steps(o)]).toEqual(["DROP", ["mangle FORWARD 0 accept", "filter FORWARD 0 drop"]]);
  });

  const svc = rules(`*nat
    :PREROUTING ACCEPT [0:0]
    :KUBE-SVC - [0:0]
    :SEP1 - [0:0]
    :SEP2 - [0:0]
    :SEP3 - [0:0]
    -A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC
    -A KUBE-SVC -m statistic --mode random --probability 0.33333333349 -j SEP1
    -A KUBE-SVC -m statistic --mode random --probability 0.50000000000 -j SEP2
    -A KUBE-SVC -j SEP3
    -A SEP1 -p tcp -m tcp -j DNAT --to-destination 192.168.1.1:8080
    -A SEP2 -p tcp -m tcp -j DNAT --to-destination 192.168.1.2:8080
    -A SEP3 -p tcp -m tcp -j DNAT --to-destination 192.168.1.3:8080
    COMMIT
    *filter
    :FORWARD DROP [0:0]
    -A FORWARD -m conntrack --ctstate DNAT -d 192.168.1.1 -p tcp -m tcp --dport 8080 -j ACCEPT
    -A FORWARD -d 192.168.1.2 -p tcp -m tcp --dport 8080 -j ACCEPT
    -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
    COMMIT`);
  const toSvc = pkt({ dst: "10.96.0.10", dstPort: 80 });

  it("statistic branches: one outcome per endpoint, probabilities sum to 1, DNAT rewrites dst before filter", () => {
    const out = simulatePath(svc, FWD, toSvc, host());
    expect(out.map((o) => [o.packet.dst, o.packet.dstPort, o.packet.dnat, o.verdict])).toEqual([
      ["192.168.1.1", 8080, true, "ACCEPT"],
      ["192.168.1.2", 8080, true, "ACCEPT"],
      ["192.168.1.3", 8080, true, "DROP"],
    ]);
    expect(out.map((o) => o.probability)).toEqual([0.33333333349, (1 - 0.33333333349) * 0.5, (1 - 0.33333333349) * 0.5]);
    expect(out.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12);
    expect(steps(out[0]!)).toContain("nat SEP1 0 dnat");
    expect(out[0]!.decisive).toMatchObject({ table: "filter", chain: "FORWARD", index: 0, action: "accept" });
  });

  it("until the DNAT: the same branches and translations, walked no further than the first hook's nat chain", () => {
    const out = simulatePath(svc, FWD, toSvc, host(), "dnat");
    // filter FORWARD would drop the third branch; it is not walked, so every branch passes.
    expect(out.map((o) => [o.packet.dst, o.packet.dstPort, o.packet.dnat, o.verdict, o.probability])).toEqual(
      simulatePath(svc, FWD, toSvc, host()).map((o) => [o.packet.dst, o.packet.dstPort, o.packet.dnat, "ACCEPT", o.probability]),
    );
    for (const o of out) expect(steps(o).every((s) => s.startsWith("nat "))).toBe(true);
    // A local sender's first hook is OUTPUT: nat OUTPUT DNATs, filter OUTPUT is not walked.
    const local = rules(`*nat
      :OUTPUT ACCEPT [0:0]
      -A OUTPUT -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.9:8080
      COMMIT
      *filter
      :OUTPUT DROP [0:0]
      COMMIT`);
    const path = { kind: "output", outIface: "eth0" } as const;
    expect(only(simulatePath(local, path, toSvc, host())).verdict).toBe("DROP");
    expect(only(simulatePath(local, path, toSvc, host(), "dnat")).packet).toMatchObject({ dst: "192.168.1.9", dnat: true });
    expect(only(simulatePath(local, path, toSvc, host(), "dnat")).verdict).toBe("ACCEPT");
  });

  it("a packet of an established connection is not NATed", () => {
    const o = only(simulatePath(svc, FWD, { ...toSvc, ctstate: "ESTABLISHED" }, host()));
    expect(o.packet.dst).toBe("10.96.0.10");
    expect(steps(o)).toEqual(["filter FORWARD 2 accept"]);
  });

  it("statistic --mode nth enumerates 1-in-n; ! swaps the branches", () => {
    const r = rules(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m statistic --mode nth --every 4 --packet 0 -j DROP\n-A INPUT -m statistic --mode random ! --probability 0.25 -j REJECT\nCOMMIT\n`);
    const out = simulateChain(r, "filter", "INPUT", pkt(), host());
    expect(out.map((o) => [o.verdict, o.probability])).toEqual([["DROP", 0.25], ["REJECT", 0.75 * 0.75], ["ACCEPT", 0.75 * 0.25]]);
  });

  it("nested branches each go on from where the walk stopped, with what the rule before them did kept", () => {
    // The first rule's recent --set runs before its statistic asks for a decision: every branch has the entry once.
    const r = rules(`*filter
      :INPUT ACCEPT [0:0]
      :more - [0:0]
      -A INPUT -j more
      -A INPUT -m recent --rcheck --name A --mask 255.255.255.255 --rsource -j DROP
      -A INPUT -j ACCEPT
      -A more -m recent --set --name A --mask 255.255.255.255 --rsource -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x1/0x1
      -A more -m statistic --mode random --probability 0.25 -j MARK --set-xmark 0x2/0x2
      COMMIT
    `);
    const out = simulateChain(r, "filter", "INPUT", pkt(), host({ recent: () => false }));
    expect(out.map((o) => [o.verdict, o.packet.mark, o.probability])).toEqual([
      ["DROP", 3, 0.5 * 0.25], ["DROP", 1, 0.5 * 0.75], ["DROP", 2, 0.5 * 0.25], ["DROP", 0, 0.5 * 0.75],
    ]);
    expect(out.map(steps)).toEqual([
      ["filter INPUT 0 jump", "filter more 0 mark", "filter more 1 mark", "filter INPUT 1 drop"],
      ["filter INPUT 0 jump", "filter more 0 mark", "filter INPUT 1 drop"],
      ["filter INPUT 0 jump", "filter more 1 mark", "filter INPUT 1 drop"],
      ["filter INPUT 0 jump", "filter INPUT 1 drop"],
    ]);
    // Each outcome has its own trace.
    expect(new Set(out.map((o) => o.trace)).size).toBe(4);
  });

  it("SNAT rewrites the source; a DNAT address range is UNKNOWN rather than a guess", () => {
    const r = rules(`*nat\n:POSTROUTING ACCEPT [0:0]\n:PREROUTING ACCEPT [0:0]\n-A POSTROUTING -j SNAT --to-source 10.9.9.9\n-A PREROUTING -j DNAT --to-destination 10.1.1.1-10.1.1.5\nCOMMIT\n`);
    expect(only(simulateChain(r, "nat", "POSTROUTING", pkt(), host())).packet).toMatchObject({ src: "10.9.9.9", snat: true });
    const o = only(simulateChain(r, "nat", "PREROUTING", pkt(), host()));
    expect(o.verdict).toBe("UNKNOWN");
    expect(o.unknown).toMatch(/DNAT --to-destination 10.1.1.1-10.1.1.5.*nat PREROUTING rule 1 \(line 5\)/);
  });
});

// nftables: several nat chains on one hook run in priority order until one binds the connection's NAT
// (nf_nat_inet_fn); the rest are skipped — what the walk reads from its last step, traced or not.
describe("nat chains of one hook (RuleSet.hooks)", () => {
  const base = rules(`*nat
    :first - [0:0]
    :second - [0:0]
    :post - [0:0]
    -A first -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.1:8080
    -A second -p tcp -j DNAT --to-destination 192.168.9.9:9090
    -A post -j MASQUERADE
    COMMIT
    *filter
    :fwd - [0:0]
    -A fwd -j ACCEPT
    COMMIT`);
  const rs = {
    ...base,
    hooks: [
      { table: "nat", chain: "first", hook: "PREROUTING", priority: -100, nat: true },
      { table: "nat", chain: "second", hook: "PREROUTING", priority: -99, nat: true },
      { table: "filter", chain: "fwd", hook: "FORWARD", priority: 0, nat: false },
      { table: "nat", chain: "post", hook: "POSTROUTING", priority: 100, nat: true },
    ],
  } as const;
  for (const trace of [true, false]) {
    it(`the first chain that NATs binds the hook; a chain that does not leaves it to the next (trace ${trace})`, () => {
      const bound = only(simulatePath(rs, FWD, pkt({ dst: "10.96.0.10", dstPort: 80 }), host(), undefined, trace));
      expect(bound.packet).toMatchObject({ dst: "192.168.1.1", dstPort: 8080, dnat: true, snat: true });
      const other = only(simulatePath(rs, FWD, pkt({ dst: "10.96.0.11", dstPort: 80 }), host(), undefined, trace));
      expect(other.packet).toMatchObject({ dst: "192.168.9.9", dstPort: 9090, dnat: true });
      expect(other.decisive).toMatchObject({ table: "filter", chain: "fwd", action: "accept" });
      expect(bound.trace.length > 0).toBe(trace);
    });
  }
});

// A local sender's packet DNATed in nat OUTPUT is routed again, but the OUTPUT chains after nat still see the device
// of the route it was sent on (the kernel fixes the LOCAL_OUT hook state's device once, in __ip_local_out); only
// POSTROUTING sees the new one. Checked in a network namespace: with 10.96.0.0/16 routed via devA and a DNAT to an
// address routed via devB, a UDP send counted on `filter OUTPUT -o devA` and on `mangle POSTROUTING -o devB`.
describe("a local sender's packet rerouted by nat OUTPUT", () => {
  const rs = rules(`*nat
    :OUTPUT ACCEPT [0:0]
    -A OUTPUT -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.2.0.9:5353
    COMMIT
    *mangle
    :POSTROUTING ACCEPT [0:0]
    -A POSTROUTING -o devA -j MARK --set-xmark 0x1/0xf
    -A POSTROUTING -o devB -j MARK --set-xmark 0x2/0xf
    COMMIT
    *filter
    :OUTPUT DROP [0:0]
    -A OUTPUT -o devA -j ACCEPT
    COMMIT`);
  const toSvc = pkt({ src: "10.1.0.1", dst: "10.96.0.10", protocol: "udp", dstPort: 53 });
  it("filter OUTPUT sees the device it was sent on, POSTROUTING the one the DNAT routed it to", () => {
    const o = only(simulatePath(rs, { kind: "output", outIface: "devA", postIface: "devB" }, toSvc, host()));
    expect(o.verdict).toBe("ACCEPT");
    expect(o.packet).toMatchObject({ dst: "10.2.0.9", dstPort: 5353, dnat: true, mark: 0x2 });
    expect(o.decisive).toMatchObject({ table: "filter", chain: "OUTPUT", index: 0, action: "accept" });
  });
  it("without a postIface, every hook sees outIface", () => {
    const o = only(simulatePath(rs, { kind: "output", outIface: "devB" }, toSvc, host()));
    expect([o.verdict, o.packet.mark]).toEqual(["DROP", 0]);
  });
});
