// plainRanges (src/simulate/ipset.ts): a set it gives ranges for answers "some range holds the address" exactly as
// the compiled set's lookup does; any set it refuses is one that lookup decides otherwise (nomatch, netmask, ports).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IpSet } from "../../src/rules/ipset.js";
import { addressCover, compileSet, plainRanges, setTest } from "../../src/simulate/ipset.js";

const ipText = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
// Addresses from a small range, so that members and probes meet.
const addr = fc.integer({ min: 0x0a000000, max: 0x0a0003ff });
const member = fc.record({ at: addr, len: fc.integer({ min: 22, max: 32 }), bare: fc.boolean(), nomatch: fc.constantFrom(false, false, false, false, true) });
const ALL_DIRS = [true, true, true];

describe("plainRanges", () => {
  it("answers as the compiled set does, for every set it gives ranges for", () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.constantFrom("hash:net", "hash:ip", "hash:ip,port") as fc.Arbitrary<IpSet["type"]>,
        fc.array(member, { maxLength: 6 }),
        fc.constantFrom<readonly string[]>([], ["family", "inet"], ["family", "inet", "netmask", "24"]),
        fc.array(addr, { minLength: 1, maxLength: 8 }),
        (type, members, options, probes) => {
          const set: IpSet = {
            name: "s", type, options,
            members: members.map((m) => ({ value: type === "hash:ip,port" ? `${ipText(m.at)},tcp:80` : m.bare ? ipText(m.at) : `${ipText(m.at)}/${m.len}`, nomatch: m.nomatch })),
          };
          const ranges = plainRanges(set);
          if (type === "hash:ip,port" || options.includes("netmask") || members.some((m) => m.nomatch)) {
            expect(ranges).toBeNull();
            return;
          }
          expect(ranges).not.toBeNull();
          checked++;
          const c = compileSet(set);
          // Each member's edges and the addresses either side of them, besides the random ones.
          const edges = members.flatMap((m) => {
            const len = m.bare ? 32 : m.len;
            const lo = len === 0 ? 0 : (m.at & (0xffffffff << (32 - len))) >>> 0;
            const hi = lo + 2 ** (32 - len) - 1;
            return [lo - 1, lo, hi, hi + 1];
          });
          for (const n of [...probes, ...edges]) {
            const held = ranges!.some(([lo, hi]) => n >= lo && n <= hi);
            expect(held).toBe(setTest(c, ALL_DIRS, { src: n, dst: n, proto: 6, srcPort: 0, dstPort: 0, icmp: null }));
          }
        },
      ),
      { numRuns: 300 },
    );
    // Most runs reach the comparison (the others are refused sets).
    expect(checked).toBeGreaterThan(50);
  });
});

describe("addressCover", () => {
  it("every address outside it gets one same answer from the set, on every port (nomatch and port members included)", () => {
    let checked = 0;
    const PORTS: ReadonlyArray<readonly [number, number]> = [[6, 80], [6, 443], [17, 53], [6, 0]];
    fc.assert(
      fc.property(
        fc.constantFrom("hash:net", "hash:ip", "hash:ip,port", "hash:net,port", "bitmap:port") as fc.Arbitrary<IpSet["type"]>,
        fc.array(member, { maxLength: 6 }),
        fc.constantFrom<readonly string[]>([], ["family", "inet"], ["family", "inet", "netmask", "24"]),
        fc.array(addr, { minLength: 1, maxLength: 8 }),
        (type, members, options, probes) => {
          const port = (i: number): string => (i % 2 === 0 ? "tcp:80" : "udp:53");
          const set: IpSet = {
            name: "s", type, options,
            members: members.map((m, i) => {
              const a = m.bare ? ipText(m.at) : `${ipText(m.at)}/${m.len}`;
              return { value: type === "bitmap:port" ? `${80 + i}` : type.endsWith(",port") ? `${a},${port(i)}` : a, nomatch: m.nomatch };
            }),
          };
          const cover = addressCover(set);
          if (type === "bitmap:port" || options.includes("netmask")) {
            expect(cover).toBeNull();
            return;
          }
          expect(cover).not.toBeNull();
          checked++;
          const c = compileSet(set);
          const answers = (n: number): string =>
            PORTS.map(([proto, p]) => String(setTest(c, ALL_DIRS, { src: n, dst: n, proto, srcPort: p, dstPort: p, icmp: null }))).join(",");
          const edges = members.flatMap((m) => {
            const len = m.bare ? 32 : m.len;
            const lo = (m.at & (0xffffffff << (32 - len))) >>> 0;
            const hi = lo + 2 ** (32 - len) - 1;
            return [lo - 1, lo, hi, hi + 1];
          });
          const outside = [...probes, ...edges, 0x09000000, 0x0b000000].filter((n) => !cover!.some(([lo, hi]) => n >= lo && n <= hi));
          for (const n of outside) expect(answers(n)).toBe(answers(outside[0]!));
          // And outside means no member holds it: a set with members holding an address inside says so somewhere.
          if (outside.length && members.some((m) => !m.nomatch)) expect(answers(outside[0]!)).not.toMatch(/true/);
        },
      ),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});
