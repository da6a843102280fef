// The simulator's key index (rule-index.ts) skips rules a packet's
// destination, interfaces or destination port rule out. It must give exactly
// the outcomes of walking every rule: verdicts, traces, UNKNOWNs, branches.
import { describe, expect, it } from "vitest";
import { generateCluster, SIZES } from "../../scripts/gen-cluster.js";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";
import type { RuleSet } from "../../src/rules/types.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { HookPath, Packet } from "../../src/simulate/types.js";
import { host, pkt, rules } from "./simulate-helpers.js";

const indexed = createSimulator();
const plain = createSimulator({ keyIndex: false });

function agree(rs: RuleSet, path: HookPath, packets: readonly Packet[]): number {
  let unknown = 0;
  for (const p of packets) {
    const a = indexed.simulatePath(rs, path, p, host());
    const b = plain.simulatePath(rs, path, p, host());
    expect(a, `${JSON.stringify(path)} ${p.src} → ${p.dst} ${p.protocol}/${p.dstPort}`).toEqual(b);
    if (a.some((o) => o.verdict === "UNKNOWN")) unknown++;
  }
  return unknown;
}

describe("key index", () => {
  // Eight or more rules of each kind, with the cases that must not be keyed between them.
  const many = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join("\n");
  const rs = rules(`*filter
    :INPUT ACCEPT [0:0]
    :FORWARD DROP [0:0]
    :OUTPUT ACCEPT [0:0]
    :by-dst - [0:0]
    :by-in - [0:0]
    :by-port - [0:0]
    :svc - [0:0]
    :by-prefix - [0:0]
    -A FORWARD -j by-prefix
    -A FORWARD -j by-in
    -A FORWARD -j by-dst
    -A FORWARD -j by-port
    ${many(9, (i) => `-A by-in -i cali${i} -j MARK --set-xmark 0x${i + 1}/0xff`)}
    -A by-in -i tap+ -j DROP
    -A by-in ! -i cali3 -m mark --mark 0x4/0xff -j DROP
    ${many(10, (i) => `-A by-dst -d 10.96.0.${i}/32 -p tcp -m comment --comment "svc ${i}" -m tcp --dport 80 -j svc`)}
    -A by-dst -d 10.96.0.3/32 -p udp -m udp --dport 53 -j ACCEPT
    -A by-dst -d 10.96.0.0/24 -p tcp -m tcp --dport 81 -j REJECT
    -A by-dst ! -d 10.96.0.5/32 -p tcp -m tcp --dport 82 -j DROP
    -A by-dst -d 10.96.0.7/32 -m statistic --mode random --probability 0.5 -j ACCEPT
    ${many(9, (i) => `-A by-port -p tcp -m comment --comment "np ${i}" -m tcp --dport ${30000 + i} -j ACCEPT`)}
    -A by-port -p udp -m udp --dport 30001 -j REJECT
    -A by-port -p tcp -m frobnicate --level 1 -m tcp --dport 30002 -j ACCEPT
    -A by-port -p tcp -m tcp --dport 30003 -m frobnicate --level 2 -j ACCEPT
    ${many(10, (i) => `-A by-prefix -i cali${i}+ -j MARK --set-xmark 0x${i + 16}00/0xff00`)}
    -A by-prefix -i cali+ -j MARK --set-xmark 0x10000/0x10000
    -A by-prefix -i cali33+ -j DROP
    -A by-prefix -i + -j MARK --set-xmark 0x20000/0x20000
    -A by-prefix -i cal+ -m statistic --mode random --probability 0.25 -j MARK --set-xmark 0x40000/0x40000
    -A by-prefix -o cali5 -i cali3+ -j MARK --set-xmark 0x80000/0x80000
    -A by-prefix -j RETURN
    -A svc -j ACCEPT
    COMMIT
  `);
  const packets: Packet[] = [];
  for (const dst of ["10.96.0.0", "10.96.0.3", "10.96.0.5", "10.96.0.7", "10.96.0.9", "10.96.0.200", "10.1.2.3"]) {
    for (const [protocol, ports] of [["tcp", [80, 81, 82, 30000, 30002, 30003, 30008, 30009]], ["udp", [53, 30001]], ["icmp", [0]]] as const) {
      for (const dstPort of ports) packets.push(pkt({ dst, protocol, dstPort }));
    }
  }

  it("agrees with walking every rule, on every interface pair", () => {
    let unknown = 0;
    for (const inIface of ["cali0", "cali3", "cali33", "cali3a", "cali8", "cali9", "cali", "cal", "tap0", "eth0"]) {
      unknown += agree(rs, { kind: "forward", inIface, outIface: "cali5" }, packets);
    }
    // A module it cannot model is still reached (and reported) exactly when the kernel would consult it.
    expect(unknown).toBeGreaterThan(0);
  });

  it("is built only for chains with enough keyed rules", () => {
    const small = rules(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${many(7, (i) => `-A FORWARD -d 10.0.0.${i}/32 -j DROP`)}\nCOMMIT\n`);
    expect(agree(small, { kind: "forward", inIface: "eth0", outIface: "eth1" }, [pkt({ dst: "10.0.0.3" }), pkt({ dst: "10.0.0.9" })])).toBe(0);
  });

  it("agrees on a compiled cluster with Services (KUBE-SERVICES, KUBE-NODEPORTS, Felix's dispatch chains)", () => {
    const g = generateCluster({ ...SIZES.medium, pods: 120, policies: 30, nodes: 3 });
    const res = compile(g.files, { ...DEFAULT_COMPILE_OPTIONS, jobs: 1 });
    expect(res.diag.hasErrors()).toBe(false);
    const out = res.outputs[0]!;
    const rs = parseRuleSet(writeRuleSet(out.ruleset)).ruleset;
    const text = writeRuleSet(out.ruleset);
    const addrs = [...new Set([...text.matchAll(/-d (\d+\.\d+\.\d+\.\d+)\/32/g)].map((m) => m[1]!))];
    const ports = [...new Set([...text.matchAll(/--dport (\d+)/g)].map((m) => Number(m[1])))];
    const ifaces = [...new Set([...text.matchAll(/-[io] (cali[0-9a-f]+)\b/g)].map((m) => m[1]!))];
    expect(addrs.length).toBeGreaterThan(8);
    expect(ifaces.length).toBeGreaterThan(8);
    const packets = addrs.slice(0, 24).flatMap((dst) => [...ports.slice(0, 12), 1].map((dstPort) => pkt({ dst, dstPort })));
    for (const iface of [...ifaces.slice(0, 4), "eth0"]) {
      agree(rs, { kind: "forward", inIface: iface, outIface: ifaces[5]! }, packets);
      agree(rs, { kind: "input", inIface: iface }, packets);
    }
    agree(rs, { kind: "output", outIface: "eth0" }, packets);
  });
});
