// Load a parsed-and-rewritten ruleset into a PRIVATE network namespace, read
// it back with iptables-nft-save and demand the same RuleSet. Runs only as
// root with iptables-nft and ipset present; it never touches the host
// namespace: every command runs under `ip netns exec <our namespace>`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseIpSets } from "../../src/rules/ipset-parser.js";
import { writeIpSets } from "../../src/rules/ipset.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { orderedChains, writeRuleSet } from "../../src/rules/writer.js";
import type { RuleSet } from "../../src/rules/types.js";
import { withoutLines } from "./helpers.js";
import { fullSpecRuleSet, localFixture, specFixture } from "./spec-text.js";

const TOOLS = ["/usr/sbin/iptables-nft-save", "/usr/sbin/iptables-nft-restore", "/usr/sbin/ipset", "/usr/sbin/ip"];
const canRun = process.getuid?.() === 0 && TOOLS.every((t) => existsSync(t));
const NS = `np-parse-${process.pid}`;

function sh(args: readonly string[], input = ""): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const inNs = (args: readonly string[], input = ""): string => sh(["ip", "netns", "exec", NS, ...args], input);

/** Chains in iptables-save order and only the tables we loaded: the kernel's table order and extra tables are environment facts (spec §2.5). */
function canonical(rs: RuleSet, tables: readonly string[]): RuleSet {
  const kept = rs.tables.filter((t) => tables.includes(t.name));
  return withoutLines({ tables: kept.map((t) => ({ name: t.name, chains: orderedChains(t) })) });
}

/**
 * The kernel adds `bucketsize 12 initval 0x<random>` to every header and
 * prints members in hash order, so compare members after writeIpSets' sort and
 * demand only that our header options are a prefix of the kernel's.
 */
function expectSameSets(saved: string, ours: string): void {
  const back = parseIpSets(saved);
  expect(back.diagnostics).toEqual([]);
  const want = parseIpSets(ours).sets;
  const trimmed = back.sets.map((s) => {
    const mine = want.find((w) => w.name === s.name);
    expect(s.options.slice(0, mine?.options.length ?? 0)).toEqual(mine?.options);
    return { ...s, options: mine?.options ?? s.options };
  });
  expect(writeIpSets(trimmed)).toBe(ours);
}

describe.skipIf(!canRun)("kernel round trip in a private network namespace", () => {
  it.each([
    ["spec raw+mangle+nat+filter", fullSpecRuleSet, specFixture("f5-ipsets.txt")],
    ["normalised iptables-nft-save dump", () => localFixture("nft-save-dump.normalised.txt"), ""],
  ])("%s", (_name, text, ipsets) => {
    const ours = parseRuleSet(text());
    expect(ours.diagnostics).toEqual([]);
    const tables = ours.ruleset.tables.map((t) => t.name);
    sh(["ip", "netns", "add", NS]);
    try {
      if (ipsets) inNs(["ipset", "restore"], writeIpSets(parseIpSets(ipsets).sets));
      inNs(["iptables-nft-restore"], writeRuleSet(ours.ruleset));
      const saved = inNs(["iptables-nft-save"]);
      const back = parseRuleSet(saved, { file: "iptables-nft-save" });
      expect(back.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(canonical(back.ruleset, tables)).toEqual(canonical(ours.ruleset, tables));
      // `-c` prefixes every rule with its [packets:bytes]; counters are not kept, so the RuleSet is the same.
      const withCounters = parseRuleSet(inNs(["iptables-nft-save", "-c"]));
      expect(canonical(withCounters.ruleset, tables)).toEqual(canonical(ours.ruleset, tables));
      if (ipsets) expectSameSets(inNs(["ipset", "save"]), ipsets);
    } finally {
      spawnSync("ip", ["netns", "del", NS]);
    }
  });
});
