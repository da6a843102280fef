// Dispatch chains (spec felix-format §2.4).
import { describe, expect, test } from "vitest";
import { dispatchChains } from "../../../src/backends/calico/dispatch.js";
import { Renderer, writeRule } from "../../../src/rules/writer.js";
import type { Chain } from "../../../src/rules/types.js";

/** As iptables-save prints the chains: through the renderer, which adds Felix's hash comments. */
const text = (chains: Chain[]) => {
  const r = new Renderer();
  return chains.flatMap((c) => r.savedRules(c).map((x) => writeRule(c.name, x)));
};

describe("workload dispatch", () => {
  test("the §2.4 example: one split group and one direct name", () => {
    const got = text(dispatchChains("from", ["cali9c8d7e6f5a4", "cali1b000000000", "cali1a2b3c4d5e6"]));
    expect(got).toEqual([
      '-A cali-from-wl-dispatch -i cali1+ -m comment --comment "cali:aA7PbfJxlypkbHNq" -g cali-from-wl-dispatch-1',
      '-A cali-from-wl-dispatch -i cali9c8d7e6f5a4 -m comment --comment "cali:YTplb8Sg1vgeG0FL" -g cali-fw-cali9c8d7e6f5a4',
      '-A cali-from-wl-dispatch -m comment --comment "cali:3SWrR0konR1Tm_OO" -m comment --comment "Unknown interface" -j DROP',
      '-A cali-from-wl-dispatch-1 -i cali1a2b3c4d5e6 -m comment --comment "cali:GkTVuvXcs011nmyz" -g cali-fw-cali1a2b3c4d5e6',
      '-A cali-from-wl-dispatch-1 -i cali1b000000000 -m comment --comment "cali:H12fVqDUAasKjjlx" -g cali-fw-cali1b000000000',
      '-A cali-from-wl-dispatch-1 -m comment --comment "cali:t26UdOirEBfwUdHR" -m comment --comment "Unknown interface" -j DROP',
    ]);
  });
  test("to-direction matches -o and goes to cali-tw-*", () => {
    const got = text(dispatchChains("to", ["cali95aa86cbb2a", "cali2b1490aa46a"]));
    expect(got).toEqual([
      '-A cali-to-wl-dispatch -o cali2b1490aa46a -m comment --comment "cali:51YwUrNTpxgOgAxK" -g cali-tw-cali2b1490aa46a',
      '-A cali-to-wl-dispatch -o cali95aa86cbb2a -m comment --comment "cali:DWRig4bs9cp5jpot" -g cali-tw-cali95aa86cbb2a',
      '-A cali-to-wl-dispatch -m comment --comment "cali:NUP4yTl1IjkrN3Df" -m comment --comment "Unknown interface" -j DROP',
    ]);
  });
  test("no workloads: only the Unknown interface drop", () => {
    const chains = dispatchChains("from", []);
    expect(chains.map((c) => c.name)).toEqual(["cali-from-wl-dispatch"]);
    expect(text(chains)).toHaveLength(1);
    expect(text(chains)[0]).toContain('"Unknown interface" -j DROP');
  });
  test("one workload is matched directly", () => {
    expect(text(dispatchChains("from", ["cali95aa86cbb2a"]))[0]).toMatch(/^-A cali-from-wl-dispatch -i cali95aa86cbb2a .* -g cali-fw-cali95aa86cbb2a$/);
  });
  test("input order does not matter", () => {
    expect(text(dispatchChains("to", ["b1", "a2", "a1"]))).toEqual(text(dispatchChains("to", ["a1", "b1", "a2"])));
  });
});
