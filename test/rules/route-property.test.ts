// Properties of the route and fdb parser over random normal-form commands
// (IPv4 and IPv6): the writer's text reads back to the same commands and
// bytes, and the same route spelt as a person or `ip` might (options in any
// order, add/append, synonyms, protocol numbers, `to`, bare host
// destinations) reads back to that same command.
import fc from "fast-check";
import { expect, it } from "vitest";
import { bitsOf, formatIP, maskOf, type Family } from "../../src/frontend/validation/ip.js";
import { parseFdb, parseRoutes } from "../../src/rules/route-parser.js";
import { writeFdb, writeRouteCommand, writeRoutes, type FdbEntry, type RouteCommand } from "../../src/rules/routes.js";
import { propertyParams } from "../property/params.js";

const familyArb = fc.constantFrom<Family>(4, 6);
/** IPv6 groups are often zero, so that `::` compression is exercised. */
const valueArb = (f: Family): fc.Arbitrary<bigint> =>
  f === 4
    ? fc.integer({ min: 0, max: 0xffffffff }).map(BigInt)
    : fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((gs) => gs.reduce((a, g) => (a << 16n) | BigInt(g), 0n));
const addressArb = (f: Family): fc.Arbitrary<string> => valueArb(f).map((v) => formatIP(f, v));
/** A route destination: host bits clear. */
const networkArb = (f: Family): fc.Arbitrary<string> =>
  fc.tuple(valueArb(f), fc.integer({ min: 0, max: bitsOf(f) })).map(([v, len]) => `${formatIP(f, v & maskOf(f, len))}/${len}`);
/** An interface address: host bits kept. */
const ifAddressArb = (f: Family): fc.Arbitrary<string> => fc.tuple(addressArb(f), fc.integer({ min: 0, max: bitsOf(f) })).map(([a, len]) => `${a}/${len}`);

// Felix's device names, so that no generated name is an ip keyword (those are example-tested).
const devArb = fc.tuple(fc.constantFrom("cali", "eth", "tunl", "vxlan.", "vxlan-v6.", "wg-", "en_p"), fc.stringMatching(/^[0-9a-f]{0,6}$/)).map(([p, s]) => p + s);
const macArb = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((bs) => bs.map((b) => b.toString(16).padStart(2, "0")).join(":"));
const unicastMacArb = macArb.filter((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0 && m !== "00:00:00:00:00:00");

const NAMED_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ["unspec", 0], ["redirect", 1], ["kernel", 2], ["static", 4], ["gated", 8], ["ra", 9], ["mrt", 10], ["zebra", 11], ["bird", 12],
  ["dnrouted", 13], ["xorp", 14], ["ntk", 15], ["dhcp", 16], ["keepalived", 18], ["babel", 42], ["openr", 99], ["bgp", 186],
  ["isis", 187], ["ospf", 188], ["rip", 189], ["eigrp", 192],
]);
const NAMED_NUMBERS = new Set([3, ...NAMED_PROTOCOLS.values()]);
const protoArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...NAMED_PROTOCOLS.keys()),
  fc.integer({ min: 0, max: 255 }).filter((n) => !NAMED_NUMBERS.has(n)).map(String),
);
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const mtuArb = fc.integer({ min: 68, max: 65535 });

const viaArb = (f: Family): fc.Arbitrary<RouteCommand> =>
  fc.record({ cidr: networkArb(f), via: addressArb(f), dev: maybe(devArb), proto: protoArb, onlink: fc.boolean(), mtu: maybe(mtuArb) }).map((r) => ({
    kind: "via" as const,
    ...r,
    // The kernel wants a device for onlink; the parser refuses onlink without one.
    onlink: r.onlink && r.dev !== null,
  }));

const routeCommandArb: fc.Arbitrary<RouteCommand> = familyArb.chain((f) =>
  fc.oneof(
    fc.record({ dev: devArb, mac: maybe(unicastMacArb), vni: fc.integer({ min: 0, max: 0xffffff }), local: addressArb(f), port: fc.integer({ min: 1, max: 65535 }) }).map((r) => ({ kind: "link-add-vxlan" as const, ...r })),
    fc.record({ dev: devArb, mtu: maybe(mtuArb) }).map((r) => ({ kind: "link-up" as const, ...r })),
    fc.record({ cidr: ifAddressArb(f), dev: devArb }).map((r) => ({ kind: "addr" as const, ...r })),
    fc.record({ cidr: networkArb(f), proto: protoArb }).map((r) => ({ kind: "blackhole" as const, ...r })),
    fc.record({ cidr: networkArb(f), dev: devArb, proto: protoArb, metric: maybe(fc.integer({ min: 0, max: 0xffffffff })) }).map((r) => ({ kind: "dev" as const, scope: "link" as const, ...r })),
    viaArb(f),
    fc.record({ address: addressArb(f), lladdr: macArb, dev: devArb }).map((r) => ({ kind: "neigh" as const, ...r })),
  ),
);

const fdbArb: fc.Arbitrary<FdbEntry> = familyArb.chain((f) => fc.record({ mac: macArb, dev: devArb, dst: addressArb(f) }));

const withoutLines = <T extends { line: number }>(xs: readonly T[]): Omit<T, "line">[] => xs.map(({ line: _l, ...rest }) => rest);

it("writer → parser → writer is the identity on random command lists", () => {
  fc.assert(
    fc.property(fc.array(routeCommandArb, { maxLength: 12 }), (cmds) => {
      const text = writeRoutes(cmds);
      const r = parseRoutes(text);
      expect(r.diagnostics).toEqual([]);
      expect(withoutLines(r.commands)).toEqual(cmds);
      expect(r.commands.map((c) => c.line)).toEqual(cmds.map((_, i) => i + 1));
      expect(writeRoutes(r.commands)).toBe(text);
    }),
    propertyParams(300, 0.2),
  );
});

it("fdb writer → parser → writer is the identity", () => {
  fc.assert(
    fc.property(fc.array(fdbArb, { maxLength: 8 }), (entries) => {
      const r = parseFdb(writeFdb(entries));
      expect(r.diagnostics).toEqual([]);
      expect(withoutLines(r.entries)).toEqual(entries);
    }),
    propertyParams(200, 0.1),
  );
});

type Route = Extract<RouteCommand, { kind: "via" | "dev" | "blackhole" }>;

/** The items of a route as a person might write them: ip's synonyms and optional words, in no particular order yet. */
function routeItems(c: Route, pick: (n: number) => number): string[][] {
  const choose = <T>(xs: readonly T[]): T => xs[pick(xs.length)]!;
  const [addr, len] = c.cidr.split("/") as [string, string];
  const dest = Number(len) === bitsOf(addr.includes(":") ? 6 : 4) ? choose([c.cidr, addr]) : c.cidr;
  const items: string[][] = [c.kind === "blackhole" ? ["blackhole", dest] : choose([[dest], ["to", dest], ["unicast", dest]])];
  const protoNumber = c.proto === null ? null : String(NAMED_PROTOCOLS.get(c.proto) ?? c.proto);
  if (c.proto !== null) items.push([choose(["proto", "protocol"]), choose([c.proto, protoNumber!])]);
  else if (pick(2)) items.push(["proto", choose(["boot", "3"])]);
  if (c.kind === "dev") {
    items.push([choose(["dev", "oif"]), c.dev]);
    if (pick(2)) items.push(["scope", choose(["link", "253"])]);
    if (c.metric !== null) items.push([choose(["metric", "priority", "preference"]), String(c.metric)]);
  }
  if (c.kind === "via") {
    items.push(["via", c.via]);
    if (c.dev !== null) items.push([choose(["dev", "oif"]), c.dev]);
    if (c.onlink) items.push(["onlink"]);
    if (c.mtu !== null) items.push(["mtu", String(c.mtu)]);
    if (pick(2)) items.push(["scope", choose(["global", "universe", "0"])]);
  }
  return items;
}

const routeArb = routeCommandArb.filter((c): c is Route => c.kind === "via" || c.kind === "dev" || c.kind === "blackhole");

it("a route spelt by hand, options in any order, reads as the writer's command", () => {
  fc.assert(
    fc.property(routeArb, fc.infiniteStream(fc.nat()), fc.constantFrom("add", "replace", "append"), (c, choices, verb) => {
      const it = choices[Symbol.iterator]();
      const items = routeItems(c, (n) => it.next().value! % n);
      // A deterministic shuffle driven by the same stream.
      for (let i = items.length - 1; i > 0; i--) {
        const j = it.next().value! % (i + 1);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      const line = `route ${verb} ${items.map((i) => i.join(" ")).join(" ")}`;
      const r = parseRoutes(line + "\n");
      expect(r.diagnostics).toEqual([]);
      expect(withoutLines(r.commands)).toEqual([c]);
      expect(writeRouteCommand(r.commands[0]!)).toBe(writeRouteCommand(c));
    }),
    propertyParams(300, 0.2),
  );
});
