// Rules alike but for their comments share compiled tests (simulate/index.ts): Felix's endpoint rules read back
// through a RuleLineCache share every part but their hash comment. Sharing must never change an outcome: the
// rules read with the cache (parts shared) walk exactly as the same text read without it (nothing shared).
import { describe, expect, it } from "vitest";
import { parseRuleSet, RuleLineCache } from "../../src/rules/parser.js";
import { createSimulator } from "../../src/simulate/index.js";
import { host, pkt } from "./simulate-helpers.js";

const hash = (i: number): string => `cali:${String(i).padStart(4, "0")}AbCdEfGh_-Ij`;

/** Endpoint chains alike but for their names and hashes; the last chains differ in a port, a mark or an extra comment. */
function text(chains: number): string {
  const names = Array.from({ length: chains }, (_, i) => `cali-tw-p${i}`);
  const lines = names.flatMap((n, i) => [
    `-A ${n} -m comment --comment "${hash(i * 10)}" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${n} -p tcp -m comment --comment "${hash(i * 10 + 1)}" -m tcp --dport ${i % 3 === 2 ? 81 : 80} -j ACCEPT`,
    `-A ${n} -m comment --comment "${hash(i * 10 + 2)}"${i % 4 === 3 ? ' -m comment --comment "odd one"' : ""} -m mark --mark 0x${i % 5 === 4 ? "20000" : "10000"}/0x30000 -j RETURN`,
    `-A ${n} -m comment --comment "${hash(i * 10 + 3)}" -j DROP`,
  ]);
  return ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ...names.map((n) => `:${n} - [0:0]`), ...names.map((n, i) => `-A FORWARD -o p${i} -j ${n}`), ...lines, "COMMIT", ""].join("\n");
}

describe("tests shared between rules alike but for comments", () => {
  it("walk as the same rules read without sharing: every chain, port and mark", () => {
    const t = text(12);
    const lines = new RuleLineCache();
    parseRuleSet(text(3), { lines }); // the shapes are learnt from another file first
    const shared = parseRuleSet(t, { lines }).ruleset;
    const alone = parseRuleSet(t).ruleset;
    expect(lines.hashed.size).toBeGreaterThan(0);
    const [a, b] = [createSimulator(), createSimulator()];
    let accepted = 0;
    for (let i = 0; i < 12; i++) {
      for (const dstPort of [80, 81, 82]) {
        for (const mark of [0, 0x10000, 0x20000]) {
          const path = { kind: "forward" as const, inIface: "eth0", outIface: `p${i}` };
          const packet = pkt({ dstPort, mark });
          const got = a.simulatePath(shared, path, packet, host());
          expect(got, `p${i} ${dstPort} ${mark}`).toEqual(b.simulatePath(alone, path, packet, host()));
          if (got[0]!.verdict === "ACCEPT") accepted++;
        }
      }
    }
    // Both verdicts occur, so a test shared where it must not be would show.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(12 * 9);
  });
});
