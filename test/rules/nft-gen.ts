// A fast-check generator of nft rulesets that load: one table per family,
// fixed sets and maps of every type the backends use, and regular chains
// (no hook reaches them, so the kernel accepts any statement in them) whose
// rules combine free matches, at most one transport unit (so protocols
// never conflict) and one terminal statement. Anonymous-set items come from
// pools whose members never overlap or touch, so nft does not merge them.
import fc from "fast-check";
import type { NftDialect, NftFamily, NftRule, NftRuleset, NftStmt, NftTable } from "../../src/rules/nft/model.js";
import * as b from "./nft-build.js";

const { eq, ne, meta, ct, el } = b;
const ADDRS: Readonly<Record<NftFamily, readonly string[]>> = {
  ip: ["10.0.0.0/8", "192.168.1.0/24", "1.1.1.1", "172.16.5.4/32", "100.64.0.0-100.64.0.255"],
  ip6: ["fd00::/64", "2001:db8::1", "::1", "fe80::/10", "2001:DB8:0:0:1::/80"],
};
const PORTS = ["22", "80", "443", "8080", "1000-2000"];
const MARKS = [0x4000, 0x10000, 0x20000, 0xfffcffff, 0xff];
const CHAINS = ["c0", "c1", "c2"];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const subset = (xs: readonly string[]) => fc.subarray([...xs], { minLength: 1 }).chain((s) => fc.shuffledSubarray(s, { minLength: s.length }));
const op = fc.boolean().map((neg) => (neg ? ne : eq));

function freeStmt(f: NftFamily): fc.Arbitrary<readonly NftStmt[]> {
  const addr = { kind: "payload", proto: f, field: "saddr" } as const;
  return fc.oneof(
    fc.tuple(op, pick(["saddr", "daddr"]), fc.oneof(pick(ADDRS[f]), subset(ADDRS[f]).map((s) => b.anon(...s)), fc.constant(b.ref("a")))).map(([o, field, v]) => [o({ ...addr, field }, v)]),
    fc.tuple(op, pick(["new", "related,established", "invalid", "established"])).map(([o, v]) => [o(ct("state"), v)]),
    fc.tuple(pick(MARKS), fc.boolean()).map(([m, zero]) => [eq(b.mark("&", m), zero ? "0" : `0x${m.toString(16)}`)]),
    fc.tuple(op, pick(["0x4000", "0x10000"])).map(([o, v]) => [o(meta("mark"), v)]),
    fc.tuple(op, pick(["iifname", "oifname"] as const), pick(["cali*", "eth0", "cni0"])).map(([o, k, v]) => [o(meta(k), v)]),
    fc.tuple(pick(["saddr", "daddr"] as const), fc.boolean()).map(([fl, neg]) => [(neg ? ne : eq)(b.fib([fl], "type"), "local")]),
    fc.constant([b.counter]),
    fc.tuple(fc.constantFrom<"mark" | number>("mark", 0x40000), fc.array(fc.tuple(pick(["&", "|", "^"] as const), pick(MARKS)), { maxLength: 2 })).map(([base, ops]) => [b.markSet(base, ...ops)]),
    pick([{ kind: "log", prefix: "calico-packet: ", level: "info", group: null, snaplen: null }, { kind: "log", prefix: "p", level: null, group: 1, snaplen: 80 }] as NftStmt[]).map((s) => [s]),
    fc.constant([{ kind: "set-update", op: "update", set: "dyn", key: addr } as NftStmt]),
    fc.constant([b.vmapRef(b.concat({ ...addr, field: "daddr" }, meta("l4proto"), b.th("th", "dport")), "svc")]),
  );
}

function transportUnit(f: NftFamily): fc.Arbitrary<readonly NftStmt[]> {
  const icmp = f === "ip" ? b.th("icmp", "type") : b.th("icmpv6", "type");
  return fc.oneof(
    fc.tuple(pick(["tcp", "udp", "sctp"] as const), fc.boolean(), op, fc.oneof(pick(PORTS), subset(PORTS).map((s) => b.anon(...s)))).map(([p, dep, o, v]) => [
      ...(dep ? [eq(meta("l4proto"), p)] : []),
      o(b.th(p, "dport"), v),
    ]),
    fc.tuple(pick(["tcp", "udp"]), fc.boolean(), pick(PORTS)).map(([p, th, v]) => [eq(meta("l4proto"), p), eq(b.th(th ? "th" : (p as "tcp"), "sport"), v)]),
    fc.tuple(pick(f === "ip" ? ["tcp", "6", "4", "47", "icmp"] : ["tcp", "17", "ipv6-icmp"])).map(([p]) => [eq(meta("l4proto"), p)]),
    fc.tuple(fc.boolean(), pick(f === "ip" ? ["8", "0", "3"] : ["128", "1", "135"])).map(([dep, t]) => [...(dep ? [eq(meta("l4proto"), f === "ip" ? "icmp" : "ipv6-icmp")] : []), eq(icmp, t)]),
    fc.constant([b.vmapAnon({ kind: "numgen", mode: "random", mod: 3 }, [["2", b.to("c1")], ["0", b.to("c0")], ["1", b.dropV]])]),
    fc.constant([b.vmapRef(meta("oifname"), "ifm")]),
  );
}

function terminal(f: NftFamily): fc.Arbitrary<readonly NftStmt[]> {
  const addr = f === "ip" ? "10.0.0.1" : "fd00::1";
  return fc.oneof(
    pick(CHAINS).chain((c) => pick([b.accept, b.drop, b.ret, b.jump(c), b.goto(c), b.verdict({ kind: "continue" })])).map((s) => [s]),
    pick([b.reject, { kind: "reject", with: f === "ip" ? "icmp type host-unreachable" : "icmpv6 type admin-prohibited" } as NftStmt]).map((s) => [s]),
    fc.constant([b.notrack]),
    pick([b.masquerade("fully-random"), b.masquerade()]).map((s) => [s]),
    fc.constant([eq(meta("l4proto"), "tcp"), b.dnat(addr, 80)]),
    fc.constant([{ kind: "nat", type: "snat", addr, port: null, flags: [] } as NftStmt]),
  );
}

function ruleArb(f: NftFamily): fc.Arbitrary<NftRule> {
  return fc
    .tuple(fc.array(freeStmt(f), { maxLength: 3 }), fc.option(transportUnit(f)), fc.option(terminal(f)), fc.option(pick(["c", "cali:x; Policy a/b", "ns/svc:p80"])))
    .map(([free, unit, end, comment]) => b.rule([...free.flat(), ...(unit ?? []), ...(end ?? [])], comment));
}

function tableArb(family: NftFamily, dialect: NftDialect): fc.Arbitrary<NftTable> {
  const addrType = family === "ip" ? "ipv4_addr" : "ipv6_addr";
  const [a1, a2] = family === "ip" ? ["10.0.0.0/8", "1.2.3.4"] : ["fd00::/64", "2001:db8::1"];
  return fc.tuple(fc.array(ruleArb(family), { minLength: 1, maxLength: 6 }), fc.array(ruleArb(family), { maxLength: 4 }), fc.option(pick(["rules", "x"]))).map(([r0, r1, comment]) => ({
    family,
    name: dialect === "knftables" ? "kube-proxy" : "calico",
    comment,
    dialect,
    sets: [
      b.set("a", [addrType], [el([a1]), el([a2])], { flags: ["interval"] }),
      b.set("dyn", [addrType], [], { flags: ["dynamic", "timeout"], timeout: 10800 }),
      b.map("svc", [addrType, "inet_proto", "inet_service"], [el([a2, "tcp", "80"], b.to("c1"), "ns/s:p")]),
      b.map("ifm", ["ifname"], [el(["cali1"], b.to("c2")), el(["eth0"], b.dropV)]),
    ],
    chains: [b.chain("c0", r0), b.chain("c1", r1), b.chain("c2", [], "empty")],
  }));
}

/** One or two tables (ip, ip6), each in either dialect. */
export const rulesetArb: fc.Arbitrary<NftRuleset> = fc
  .tuple(fc.option(pick(["knftables", "felix"] as const)), fc.option(pick(["knftables", "felix"] as const)))
  .filter(([a, c]) => a !== null || c !== null)
  .chain(([d4, d6]) =>
    fc.tuple(d4 === null ? fc.constant(null) : tableArb("ip", d4), d6 === null ? fc.constant(null) : tableArb("ip6", d6)).map(([t4, t6]) => ({ tables: [t4, t6].filter((t): t is NftTable => t !== null) })),
  );
