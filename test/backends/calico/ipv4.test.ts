// parseIPv4 runs per pod and per route, so it is a hand-written scanner; it
// must accept exactly what the obvious split-and-regex reading accepts.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseIPv4 } from "../../../src/backends/calico/ipv4.js";

function reference(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

describe("parseIPv4", () => {
  test("examples", () => {
    expect(parseIPv4("192.168.0.1")).toBe(0xc0a80001);
    expect(parseIPv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIPv4("0.0.0.0")).toBe(0);
    expect(parseIPv4("010.1.1.1")).toBe(0x0a010101);
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "256.1.1.1", "1.2.3.4/32", "1.2.3.0004", "a.b.c.d", "1.2.3.4 ", "::1"]) {
      expect(parseIPv4(bad)).toBeNull();
    }
  });

  test("agrees with the split-and-regex reading on near-addresses", () => {
    const group = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9.]{0,4}$/), fc.constantFrom("", "00", "0255", "x"));
    fc.assert(fc.property(fc.array(group, { minLength: 0, maxLength: 6 }), fc.constantFrom(".", ".", "..", ":"), (groups, sep) => {
      const text = groups.join(sep);
      expect(parseIPv4(text)).toBe(reference(text));
    }), { numRuns: 5000 });
  });
});
