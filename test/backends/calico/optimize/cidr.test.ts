// The CIDR adapter against a brute-force oracle: on a small address space
// (every CIDR drawn inside 10.0.0.0/24, prefixes /24–/32) an address list is
// enumerable, so union and difference are checked address by address, and the
// result must be the fewest CIDRs (no two mergeable, none overlapping).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coversCidrs, mergeCidrs, subtractCidrs } from "../../../../src/backends/calico/optimize/cidr.js";

const BASE = 10 * 2 ** 24;

function addrs(cidrs: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const c of cidrs) {
    const [a = "", l = "32"] = c.split("/");
    const n = a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(l));
    const first = n - (n % size);
    for (let i = 0; i < size; i++) out.add(first + i);
  }
  return out;
}

const cidrArb = fc.record({ host: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 24, max: 32 }) }).map(({ host, len }) => {
  const size = 2 ** (32 - len);
  const first = BASE + host - (host % size);
  return `10.0.0.${first - BASE}/${len}`;
});
const listArb = fc.array(cidrArb, { maxLength: 8 });

function sorted(s: Set<number>): number[] {
  return [...s].sort((a, b) => a - b);
}

/** No two output CIDRs overlap or could be joined into one larger CIDR. */
function minimal(cidrs: readonly string[]): boolean {
  const sets = cidrs.map((c) => addrs([c]));
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const a = sets[i]!, b = sets[j]!;
      if ([...a].some((x) => b.has(x))) return false;
      const u = sorted(new Set([...a, ...b]));
      const size = u.length;
      const aligned = (size & (size - 1)) === 0 && u[0]! % size === 0 && u[size - 1]! - u[0]! === size - 1;
      if (aligned) return false;
    }
  }
  return true;
}

describe("optimize/cidr adapter (brute-force oracle)", () => {
  it("mergeCidrs keeps exactly the union, minimally", () => {
    fc.assert(
      fc.property(listArb, (cidrs) => {
        const merged = mergeCidrs(4, cidrs);
        expect(sorted(addrs(merged))).toEqual(sorted(addrs(cidrs)));
        expect(minimal(merged)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("subtractCidrs is exact set difference", () => {
    fc.assert(
      fc.property(listArb, listArb, (from, minus) => {
        const out = subtractCidrs(4, from, minus);
        const gone = addrs(minus);
        expect(sorted(addrs(out))).toEqual(sorted(addrs(from)).filter((a) => !gone.has(a)));
        expect(minimal(out)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("coversCidrs agrees with the subset test", () => {
    fc.assert(
      fc.property(listArb, listArb, (outer, inner) => {
        const o = addrs(outer);
        expect(coversCidrs(4, outer, inner)).toBe([...addrs(inner)].every((a) => o.has(a)));
      }),
      { numRuns: 300 },
    );
  });

  it("hand-made cases: adjacency, host bits, the whole space, IPv6", () => {
    expect(mergeCidrs(4, ["10.0.0.128/25", "10.0.0.0/25", "10.0.1.0/24", "10.0.0.5/32"])).toEqual(["10.0.0.0/23"]);
    expect(mergeCidrs(4, ["10.0.0.1/24"])).toEqual(["10.0.0.0/24"]);
    expect(subtractCidrs(4, ["10.0.0.0/8"], ["10.1.0.0/16"])).toEqual([
      "10.0.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9",
    ]);
    expect(subtractCidrs(4, ["10.0.0.0/8"], ["0.0.0.0/0"])).toEqual([]);
    expect(mergeCidrs(4, ["0.0.0.0/1", "128.0.0.0/1"])).toEqual(["0.0.0.0/0"]);
    expect(mergeCidrs(6, ["2001:db8::/33", "2001:db8:8000::/33"])).toEqual(["2001:db8::/32"]);
  });
});
