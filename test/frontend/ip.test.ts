import { describe, expect, it } from "vitest";
import { formatIP, isStrictSubset, networkOf, parseCIDR, parseIP } from "../../src/frontend/validation/ip.js";

describe("IP parsing", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"], // tie: the first run is compressed
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s → %s", (text, canonical) => {
    const ip = parseIP(text);
    expect(ip && formatIP(ip.family, ip.value)).toBe(canonical);
  });

  it.each(["10.0.0.256", "10.0.0", "010.0.0.1", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "1.2.3.4::", ":1:2:3:4:5:6:7", "", "fe80::1%eth0"])(
    "%j is not an address (strict)",
    (text) => expect(parseIP(text)).toBeNull(),
  );

  it("allows IPv4 leading zeros only when sloppy, as ParseIPSloppy does", () => {
    expect(parseIP("010.0.0.1", true)).toMatchObject({ family: 4, leadingZeros: true });
  });
});

describe("CIDR parsing", () => {
  it("masks host bits for the network, keeps the address as written", () => {
    const c = parseCIDR("10.1.2.3/8")!;
    expect(networkOf(c)).toBe("10.0.0.0/8");
    expect(formatIP(4, c.ip.value)).toBe("10.1.2.3");
  });
  it.each(["10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/-1", "::/129", "10.0.0.0/8 ", "x/8"])("%j is not a CIDR", (text) =>
    expect(parseCIDR(text)).toBeNull(),
  );
  it("strict subset: inside and longer", () => {
    const outer = parseCIDR("10.0.0.0/8")!;
    expect(isStrictSubset(outer, parseCIDR("10.1.0.0/16")!)).toBe(true);
    expect(isStrictSubset(outer, parseCIDR("10.1.2.3/16")!)).toBe(true);
    expect(isStrictSubset(outer, parseCIDR("10.0.0.0/8")!)).toBe(false);
    expect(isStrictSubset(outer, parseCIDR("0.0.0.0/0")!)).toBe(false);
    expect(isStrictSubset(outer, parseCIDR("::/8")!)).toBe(false);
    expect(isStrictSubset(parseCIDR("0.0.0.0/0")!, parseCIDR("255.255.255.255/32")!)).toBe(true);
  });
});
