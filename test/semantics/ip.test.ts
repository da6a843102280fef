// The evaluator's own address arithmetic (kept apart from ip-num on purpose).
import { describe, expect, it } from "vitest";
import { cidrContains, parseAddress, parseCidr, sameAddress } from "../../src/semantics/ip.js";

const inCidr = (cidr: string, ip: string): boolean => {
  const c = parseCidr(cidr);
  const a = parseAddress(ip);
  if (!c || !a) throw new Error(`bad test input ${cidr} ${ip}`);
  return cidrContains(c, a);
};

describe("ip", () => {
  it("parses IPv4 and rejects junk", () => {
    expect(parseAddress("10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    for (const bad of ["10.0.0", "10.0.0.256", "a.b.c.d", "1.2.3.4.5", ""]) expect(parseAddress(bad)).toBeNull();
  });

  it("parses IPv6 with ::, and an embedded IPv4 tail", () => {
    expect(parseAddress("::")?.value).toBe(0n);
    expect(parseAddress("::1")?.value).toBe(1n);
    expect(parseAddress("2001:db8::")?.value).toBe(0x20010db8n << 96n);
    expect(parseAddress("::ffff:10.0.0.1")?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    for (const bad of ["1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "1:2:3:4:5:6:7::8:9"]) {
      expect(parseAddress(bad)).toBeNull();
    }
    expect(sameAddress("2001:db8::1", "2001:0db8:0:0:0:0:0:1")).toBe(true);
  });

  it("contains, with host bits masked and families kept apart", () => {
    expect(inCidr("10.0.0.0/8", "10.255.255.255")).toBe(true);
    expect(inCidr("10.0.0.0/8", "11.0.0.0")).toBe(false);
    expect(inCidr("10.9.9.9/8", "10.1.1.1")).toBe(true);
    expect(inCidr("0.0.0.0/0", "255.255.255.255")).toBe(true);
    expect(inCidr("192.168.1.62/32", "192.168.1.62")).toBe(true);
    expect(inCidr("192.168.1.62", "192.168.1.63")).toBe(false);
    expect(inCidr("::/0", "10.0.0.1")).toBe(false);
    expect(inCidr("2001:db8::/32", "2001:db8:ffff::1")).toBe(true);
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("10.0.0.0/x")).toBeNull();
  });
});
