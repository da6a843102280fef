// Port and address classes (src/semantics/classes.ts): the pieces must be a
// partition every policy answers alike on, and their text must say exactly
// the set it stands for.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  addressClassText, complementRanges, mergeRanges, MAX_PORT, portClasses, portSetText, type PortCuts, type PortRange,
} from "../../src/semantics/classes.js";
import { parseCidr, type Cidr } from "../../src/semantics/ip.js";

const cuts = (ports: number[], named: string[] = []): PortCuts => ({
  numeric: new Map([["TCP", new Set(ports)]]),
  named: new Map(named.length ? [["TCP", new Set(named)]] : []),
});

const cidrs = (...t: string[]): Cidr[] => t.map((x) => parseCidr(x)!);

describe("port classes", () => {
  it("cut at each port, after it, and at each range's ends; the pieces cover 1-65535 once", () => {
    // port 80 (cuts 80, 81), range 8080-8090 (cuts 8080, 8091)
    expect(portClasses(cuts([80, 81, 8080, 8091]), "TCP", [])).toEqual([
      { from: 1, to: 79 }, { from: 80, to: 80 }, { from: 81, to: 8079 }, { from: 8080, to: 8090 }, { from: 8091, to: 65535 },
    ]);
    expect(portClasses(cuts([]), "TCP", [])).toEqual([{ from: 1, to: 65535 }]);
    expect(portClasses(cuts([1, 65536]), "TCP", [])).toEqual([{ from: 1, to: 65535 }]);
  });

  it("named ports cut at what they resolve to on the destination pod", () => {
    const pod = { ports: [{ name: "http", protocol: "TCP", containerPort: 8080 }] } as never;
    expect(portClasses(cuts([], ["http"]), "TCP", [pod, null])).toEqual([{ from: 1, to: 8079 }, { from: 8080, to: 8080 }, { from: 8081, to: 65535 }]);
  });

  it("property: classes partition the port space in order", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 65536 }), { maxLength: 12 }), (ps) => {
      const cls = portClasses(cuts(ps), "TCP", []);
      expect(cls[0]!.from).toBe(1);
      expect(cls[cls.length - 1]!.to).toBe(MAX_PORT);
      cls.forEach((c, i) => {
        expect(c.from).toBeLessThanOrEqual(c.to);
        if (i) expect(c.from).toBe(cls[i - 1]!.to + 1);
      });
      // Every cut inside the space starts a class.
      for (const p of ps) if (p > 1 && p <= MAX_PORT) expect(cls.some((c) => c.from === p)).toBe(true);
    }));
  });
});

describe("port set text", () => {
  const r = (from: number, to = from): PortRange => ({ from, to });
  it("says the set, or its complement when that is shorter", () => {
    expect(portSetText("TCP", [r(1, 79), r(80), r(81, 65535)])).toBe("every TCP port");
    expect(portSetText("UDP", [r(1, 52), r(54, 65535)])).toBe("every UDP port but 53");
    expect(portSetText("TCP", [r(1, 79), r(81, 442), r(444, 65535)])).toBe("every TCP port but 80, 443");
    expect(portSetText("TCP", [r(80)])).toBe("80/TCP");
    expect(portSetText("TCP", [r(8080, 8090)])).toBe("8080-8090/TCP");
    expect(portSetText("SCTP", [r(53), r(5353)])).toBe("53, 5353/SCTP");
    expect(portSetText("TCP", [r(1, 1000)])).toBe("1-1000/TCP");
  });

  it("property: the text's set is the set (parsed back)", () => {
    const parse = (text: string): PortRange[] => {
      const every = /^every TCP port(?: but (.*))?$/.exec(text);
      const list = (s: string): PortRange[] => s.split(", ").map((x) => x.split("-").map(Number)).map(([a, b]) => r(a!, b ?? a!));
      if (every) return every[1] === undefined ? [r(1, MAX_PORT)] : complementRanges(list(every[1]));
      return list(text.replace(/\/TCP$/, ""));
    };
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: MAX_PORT }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 6 }), (xs) => {
      const set = mergeRanges(xs.map(([a, n]) => r(a, Math.min(MAX_PORT, a + n))));
      expect(mergeRanges(parse(portSetText("TCP", set)))).toEqual(set);
    }));
  });
});

describe("address classes", () => {
  it("the most specific block, except what is nested in it; outside every block", () => {
    const cs = cidrs("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24");
    expect(addressClassText(cs, "10.0.0.1")).toBe("10.0.0.0/8 except 10.1.0.0/16");
    expect(addressClassText(cs, "10.1.0.1")).toBe("10.1.0.0/16 except 10.1.2.0/24");
    expect(addressClassText(cs, "10.1.2.9")).toBe("10.1.2.0/24");
    expect(addressClassText(cs, "203.0.113.1")).toBe("any address outside the cluster but 10.0.0.0/8, 192.0.2.0/24");
    expect(addressClassText([], "203.0.113.1")).toBe("any address outside the cluster");
  });
});
