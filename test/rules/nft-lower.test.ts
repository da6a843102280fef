// nftables lowered to the iptables rule model, walked by the simulator: what
// verify and explain do with `<node>.nft`. Hand-built tables in the shapes the
// two agents write (nftables.md §A, §B), each checked by the packet's fate.
import { describe, expect, it } from "vitest";
import { lowerNft } from "../../src/rules/nft/lower.js";
import type { NftChain, NftExpr, NftHook, NftRuleset, NftSet, NftStmt, NftTable, NftVerdict } from "../../src/rules/nft/model.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { HostContext, Packet } from "../../src/simulate/types.js";

const ipf = (field: string): NftExpr => ({ kind: "payload", proto: "ip", field });
const meta = (key: Extract<NftExpr, { kind: "meta" }>["key"]): NftExpr => ({ kind: "meta", key });
const eq = (left: NftExpr, value: string, op: "==" | "!=" = "=="): NftStmt => ({ kind: "match", left, op, right: { kind: "value", value } });
const v = (verdict: NftVerdict): NftStmt => ({ kind: "verdict", verdict });
const goto = (chain: string): NftVerdict => ({ kind: "goto", chain });
const jump = (chain: string): NftStmt => v({ kind: "jump", chain });
const rule = (...stmts: NftStmt[]) => ({ stmts, comment: null });
const chain = (name: string, rules: ReturnType<typeof rule>[], base: NftChain["base"] = null): NftChain => ({ name, base, comment: null, rules });
const KEY: NftExpr = { kind: "concat", parts: [ipf("daddr"), meta("l4proto"), { kind: "payload", proto: "th", field: "dport" }] };
const dnat = (addr: string, port: number): NftStmt => ({ kind: "nat", type: "dnat", addr, port, flags: [] });
const markOr = (x: number): NftStmt => ({ kind: "mark-set", base: "mark", ops: [{ op: "|", value: x }] });
const table = (name: string, chains: NftChain[], sets: NftSet[] = [], dialect: NftTable["dialect"] = "knftables"): NftTable => ({ family: "ip", name, comment: null, dialect, sets, chains });

const serviceIps: NftSet = {
  kind: "map", name: "service-ips", type: ["ipv4_addr", "inet_proto", "inet_service"], data: "verdict", flags: [], timeout: null, size: null, comment: null,
  elements: [{ key: ["172.30.0.41", "tcp", "80"], comment: null, verdict: goto("service-A") }],
};

/** kube-proxy's shape: nat-prerouting → services → vmap → numgen → endpoint DNAT, and masquerading at srcnat. */
const KUBE = table("kube-proxy", [
  chain("nat-prerouting", [rule(jump("services"))], { type: "nat", hook: "prerouting", priority: -100, policy: "accept" }),
  chain("nat-postrouting", [rule(jump("masquerading"))], { type: "nat", hook: "postrouting", priority: 100, policy: "accept" }),
  chain("services", [rule({ kind: "vmap", key: KEY, map: { kind: "set-ref", name: "service-ips" } })]),
  chain("service-A", [rule({ kind: "vmap", key: { kind: "numgen", mode: "random", mod: 2 }, map: { kind: "anon", entries: [{ key: "0", verdict: goto("ep-1") }, { key: "1", verdict: goto("ep-2") }] } })]),
  chain("ep-1", [rule(eq(ipf("saddr"), "10.180.0.1"), jump("mark-for-masquerade")), rule(eq(meta("l4proto"), "tcp"), dnat("10.180.0.1", 80))]),
  chain("ep-2", [rule(eq(ipf("saddr"), "10.180.0.2"), jump("mark-for-masquerade")), rule(eq(meta("l4proto"), "tcp"), dnat("10.180.0.2", 8080))]),
  chain("mark-for-masquerade", [rule(markOr(0x4000))]),
  chain("masquerading", [
    rule({ kind: "match", left: { kind: "bitwise", op: "&", left: meta("mark"), value: 0x4000 }, op: "==", right: { kind: "value", value: "0" } }, v({ kind: "return" })),
    rule({ kind: "mark-set", base: "mark", ops: [{ op: "^", value: 0x4000 }] }),
    rule({ kind: "nat", type: "masquerade", addr: null, port: null, flags: ["fully-random"] }),
  ]),
], [serviceIps]);

const host: HostContext = { localAddresses: new Set(["192.168.0.2"]), ipsets: new Map(), rpfilterOk: () => true, recent: () => false };
const packet = (dst: string, dstPort: number, mark = 0): Packet => ({ src: "10.1.1.1", dst, protocol: "tcp", srcPort: 40000, dstPort, ctstate: "NEW", mark, dnat: false, snat: false });

describe("nft lowered for the simulator", () => {
  it("a ClusterIP through the service-ips verdict map and numgen: two endpoints, half each, DNAT to each", () => {
    const { ruleset } = lowerNft({ tables: [KUBE] }, "ip");
    const out = createSimulator().simulatePath(ruleset, { kind: "forward", inIface: "eth0", outIface: "eth1" }, packet("172.30.0.41", 80), host);
    expect(out.map((o) => [o.verdict, o.packet.dst, o.packet.dstPort, o.probability]).sort()).toEqual([
      ["ACCEPT", "10.180.0.1", 80, 0.5],
      ["ACCEPT", "10.180.0.2", 8080, 0.5],
    ]);
    // Another port of the ClusterIP is no element of the map: untouched.
    const miss = createSimulator().simulatePath(ruleset, { kind: "forward", inIface: "eth0", outIface: "eth1" }, packet("172.30.0.41", 81), host);
    expect(miss.map((o) => [o.verdict, o.packet.dst])).toEqual([["ACCEPT", "172.30.0.41"]]);
  });

  it("base chains of two tables run by priority, and a nat chain that masquerades ends the hook's NAT (a later nat chain is skipped)", () => {
    const calico = table("calico", [
      chain("nat-POSTROUTING", [rule(jump("nat-cali-POSTROUTING"))], { type: "nat", hook: "postrouting", priority: 110, policy: "accept" }),
      chain("nat-cali-POSTROUTING", [rule({ kind: "counter" }, { kind: "nat", type: "masquerade", addr: null, port: null, flags: [] })]),
    ], [], "felix");
    const { ruleset } = lowerNft({ tables: [KUBE, calico] }, "ip");
    expect(ruleset.tables.find((t) => t.name === "nat")!.chains.map((c) => c.name)).toEqual(expect.arrayContaining(["POSTROUTING", "cali-POSTROUTING", "nat-postrouting", "services"]));
    const sim = createSimulator();
    const marked = sim.simulatePath(ruleset, { kind: "output", outIface: "eth0" }, packet("8.8.8.8", 53, 0x4000), host);
    const chains = marked[0]!.trace.map((s) => s.chain);
    expect(chains).toContain("masquerading");
    expect(chains).not.toContain("cali-POSTROUTING");
    // Not marked: kube-proxy's masquerading returns, so Felix's nat chain (priority 110) runs next.
    const plain = sim.simulatePath(ruleset, { kind: "output", outIface: "eth0" }, packet("8.8.8.8", 53), host);
    expect(plain[0]!.trace.map((s) => s.chain)).toContain("cali-POSTROUTING");
  });

  it("Felix's layers become iptables' tables: filter-FORWARD is filter's FORWARD, jumps lose the layer prefix, marks fold into MARK --set-xmark", () => {
    const calico = table("calico", [
      chain("filter-FORWARD", [rule({ kind: "counter" }, jump("filter-cali-FORWARD"))], { type: "filter", hook: "forward", priority: 0, policy: "accept" }),
      chain("filter-cali-FORWARD", [
        rule({ kind: "counter" }, { kind: "mark-set", base: "mark", ops: [{ op: "&", value: 0xfffcffff }, { op: "^", value: 0x40000 }] }),
        rule({ kind: "match", left: { kind: "bitwise", op: "&", left: meta("mark"), value: 0x40000 }, op: "==", right: { kind: "value", value: "0x40000" } }, { kind: "counter" }, v({ kind: "drop" })),
      ]),
    ], [], "felix");
    const { ruleset } = lowerNft({ tables: [calico] }, "ip");
    const filter = ruleset.tables.find((t) => t.name === "filter")!;
    expect(filter.chains.map((c) => [c.name, c.policy])).toEqual([["FORWARD", "ACCEPT"], ["cali-FORWARD", null]]);
    expect(filter.chains[1]!.rules[0]!.target).toEqual({ kind: "jump", name: "MARK", options: [{ name: "set-xmark", negated: false, args: ["0x40000/0x30000"] }] });
    const out = createSimulator().simulatePath(ruleset, { kind: "forward", inIface: "eth0", outIface: "eth1" }, packet("10.0.0.1", 80, 0x10000), host);
    expect(out.map((o) => [o.verdict, o.packet.mark])).toEqual([["DROP", 0x40000]]);
  });

  it("a base chain sees the devices of its hook, whatever its name: no output device before routing, no input device on the way out", () => {
    // Each chain marks a bit when it sees a device at all (iifname / oifname != ""), as the kernel passes them
    // (nf_hook_state): prerouting and input get no output device, output no input device, postrouting a forwarded
    // packet's input device (ip_output; src/simulate/index.ts Ifaces has the namespace check).
    const seen = (name: string, hook: NftHook, bit: number, field: "iifname" | "oifname"): NftChain =>
      chain(name, [rule({ kind: "match", left: meta(field), op: "!=", right: { kind: "value", value: "" } }, markOr(bit))], { type: "filter", hook, priority: 0, policy: "accept" });
    const t = table("probe", [
      seen("pre-out", "prerouting", 0x1, "oifname"),
      seen("pre-in", "prerouting", 0x2, "iifname"),
      seen("fwd-out", "forward", 0x4, "oifname"),
      seen("fwd-in", "forward", 0x8, "iifname"),
      seen("post-in", "postrouting", 0x10, "iifname"),
      seen("post-out", "postrouting", 0x20, "oifname"),
      seen("in-out", "input", 0x40, "oifname"),
      seen("out-in", "output", 0x80, "iifname"),
      seen("out-out", "output", 0x100, "oifname"),
    ]);
    const { ruleset } = lowerNft({ tables: [t] }, "ip");
    const marks = (path: Parameters<ReturnType<typeof createSimulator>["simulatePath"]>[1]): number[] =>
      createSimulator().simulatePath(ruleset, path, packet("10.2.2.2", 80), host).map((o) => o.packet.mark);
    expect(marks({ kind: "forward", inIface: "eth0", outIface: "eth1" })).toEqual([0x2 | 0x4 | 0x8 | 0x10 | 0x20]);
    expect(marks({ kind: "input", inIface: "eth0" })).toEqual([0x2]);
    expect(marks({ kind: "output", outIface: "eth1" })).toEqual([0x100 | 0x20]);
  });

  it("a statement with no iptables meaning is UNKNOWN when reached, never skipped", () => {
    const t = table("kube-proxy", [
      chain("filter-input", [rule({ kind: "match", left: meta("pkttype"), op: "==", right: { kind: "value", value: "host" } }, v({ kind: "drop" }))], { type: "filter", hook: "input", priority: 0, policy: "accept" }),
    ]);
    const out = createSimulator().simulatePath(lowerNft({ tables: [t] }, "ip").ruleset, { kind: "input", inIface: "eth0" }, packet("192.168.0.2", 22), host);
    expect(out.map((o) => o.verdict)).toEqual(["UNKNOWN"]);
    expect(out[0]!.unknown).toContain("meta pkttype");
  });

  it("named sets become ipsets (interval → hash:net; addr . proto . port → hash:ip,port), dynamic sets `-m recent` lists", () => {
    const sets: NftSet[] = [
      { kind: "set", name: "cali40s-A", type: ["ipv4_addr"], data: null, flags: ["interval"], timeout: null, size: null, comment: null, elements: [{ key: ["10.0.0.0/24"], comment: null, verdict: null }] },
      { kind: "set", name: "cali40n-B", type: ["ipv4_addr", "inet_proto", "inet_service"], data: null, flags: [], timeout: null, size: null, comment: null, elements: [{ key: ["10.0.0.5", "tcp", "8080"], comment: null, verdict: null }] },
      { kind: "set", name: "affinity-X", type: ["ipv4_addr"], data: null, flags: ["dynamic", "timeout"], timeout: 10800, size: null, comment: null, elements: [] },
    ];
    const { ipsets, ruleset } = lowerNft({ tables: [table("calico", [chain("filter-cali-x", [rule({ kind: "match", left: ipf("saddr"), op: "==", right: { kind: "set-ref", name: "affinity-X" } }, v({ kind: "accept" }))])], sets, "felix")] } satisfies NftRuleset, "ip");
    expect(ipsets.map((s) => [s.name, s.type, s.members.map((m) => m.value)])).toEqual([["cali40s-A", "hash:net", ["10.0.0.0/24"]], ["cali40n-B", "hash:ip,port", ["10.0.0.5,tcp:8080"]]]);
    const part = ruleset.tables[0]!.chains[0]!.rules[0]!.parts[0]!;
    expect(part).toMatchObject({ kind: "match", module: "recent" });
  });
});
