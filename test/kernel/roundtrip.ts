// Round trip through the kernel: iptables-restore our text in a private
// namespace, iptables-save it back, and demand the same text. This proves the
// writer's spelling is exactly the kernel's canonical form (match order,
// quoting, mark hex, `-p` names) for both iptables-nft and iptables-legacy.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_TABLES, iptablesTool, type IptablesVariant, type NodeRules } from "./dataplane.js";
import type { NsGuard } from "./sys.js";

/** `*table` → its block (from `*table` to `COMMIT`), `#` lines dropped. */
export function splitTables(text: string): Map<string, string> {
  const tables = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    if (line.startsWith("*")) {
      name = line.slice(1);
      lines = [line];
      continue;
    }
    lines.push(line);
    if (line === "COMMIT" && name !== null) {
      tables.set(name, lines.join("\n") + "\n");
      name = null;
    }
  }
  return tables;
}

/** A table iptables-save prints although we never filled it: only built-in chains, policy ACCEPT, no rules. */
function isEmptyTable(block: string): boolean {
  return block
    .split("\n")
    .filter((l) => l && !l.startsWith("*") && l !== "COMMIT")
    .every((l) => /^:[A-Z]+ ACCEPT \[0:0\]$/.test(l));
}

/** Differences between what we wrote and what the kernel gave back; empty = identical. */
export function compareSaved(written: string, saved: string): string[] {
  const want = splitTables(written);
  const got = splitTables(saved);
  const problems: string[] = [];
  // Table order is the kernel's registration order (felix-format §2.5), so tables are compared one by one.
  for (const [name, block] of want) {
    const back = got.get(name);
    if (back === undefined) problems.push(`table ${name}: missing from iptables-save output`);
    else if (back !== block) problems.push(`table ${name} differs:\n${lineDiff(block, back)}`);
  }
  for (const [name, block] of got) {
    if (!want.has(name) && !isEmptyTable(block)) problems.push(`table ${name}: not written by us but not empty`);
  }
  return problems;
}

/** A short first-difference report (the full texts are long). */
function lineDiff(want: string, got: string): string {
  const a = want.split("\n");
  const b = got.split("\n");
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 12; i++) {
    if (a[i] !== b[i]) out.push(`  line ${i + 1}:\n    wrote: ${a[i] ?? "<none>"}\n    saved: ${b[i] ?? "<none>"}`);
  }
  return out.join("\n");
}

/**
 * Restore + save each ruleset in the private namespace `ns` (created by the
 * caller, one per variant, reused) and return the problems per ruleset.
 * One shell per batch, not five processes per ruleset: spawning dominates
 * the cost. Per ruleset: empty the tables (dropping every reference to the
 * sets), destroy the sets, restore the sets (rules refer to them), restore the
 * rules, save. The texts travel as files in a private temporary directory.
 */
export async function roundTripAll(
  g: NsGuard,
  ns: string,
  variant: IptablesVariant,
  rulesets: readonly NodeRules[],
): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), "netpolc-rt-"));
  try {
    await writeFile(join(dir, "empty"), EMPTY_TABLES);
    const restore = iptablesTool(variant, "restore");
    const steps: string[] = [];
    for (const [i, r] of rulesets.entries()) {
      await writeFile(join(dir, `${i}.ipsets`), r.ipsets);
      await writeFile(join(dir, `${i}.iptables`), r.iptables);
      steps.push(
        `${restore} < empty`,
        "ipset destroy",
        `ipset restore < ${i}.ipsets`,
        `${restore} < ${i}.iptables`,
        `echo '${MARK}${i}'`,
        iptablesTool(variant, "save"),
      );
    }
    steps.push(`${restore} < empty`, "ipset destroy");
    const out = await g.inNs(ns, "sh", ["-ec", `cd '${dir}'\n${steps.join("\n")}`]);
    const saved = out.split(MARK).slice(1).map((chunk) => chunk.slice(chunk.indexOf("\n") + 1));
    if (saved.length !== rulesets.length) throw new Error(`round trip: expected ${rulesets.length} saves, got ${saved.length}`);
    return rulesets.map((r, i) => compareSaved(r.iptables, saved[i]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Separates the saves in the batch's output; cannot occur in iptables-save text.
const MARK = "=== netpolc-roundtrip ";
