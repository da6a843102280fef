// The route walk's wiring: which routes rest on a block whose owner netpolc inferred.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, type Cidr } from "../../src/semantics/ip.js";
import { InferredBlocks } from "../../src/verify/topology.js";

const cidr = (text: string): Cidr => parseCidr(text)!;

describe("InferredBlocks", () => {
  it("covers a route exactly when some block contains the route's network and is no longer than it (every block tested)", () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 32 }))
      .map(([b, c, d, len]) => cidr(`10.${b % 4}.${c}.${d}/${len}`));
    const v6 = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 100, max: 128 })).map(([a, b, len]) => cidr(`fd00:${a}::${b.toString(16)}/${len}`));
    const any = fc.oneof(v4, v6);
    fc.assert(
      fc.property(fc.array(any, { maxLength: 12 }), fc.array(any, { minLength: 1, maxLength: 20 }), (blocks, routes) => {
        const index = new InferredBlocks(blocks);
        for (const net of routes) {
          const each = blocks.some((b) => b.family === net.family && b.prefix <= net.prefix && cidrContains(b, { family: net.family, value: net.network }));
          expect(index.covers(net)).toBe(each);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("a /26 block covers its own route and a /32 inside it, not its neighbour or the /24 around it", () => {
    const index = new InferredBlocks([cidr("10.128.19.128/26")]);
    expect(["10.128.19.128/26", "10.128.19.130/32", "10.128.19.192/26", "10.128.19.0/24"].map((t) => index.covers(cidr(t)))).toEqual([true, true, false, false]);
  });
});
