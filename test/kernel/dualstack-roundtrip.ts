// Round trip of a dual-stack node through the kernel, in a private namespace:
// `ipset restore` the node's `.ipsets` (IPv4 sets, then the `family inet6`
// cali60 sets: rules of both families refer to them), `iptables-restore` its
// `.iptables`, `ip6tables-restore` its `.ip6tables`, then print all three back
// (`ipset save`, `iptables-save`, `ip6tables-save`) and demand the same text:
// tables compared one by one as roundtrip.ts `compareSaved` does, sets as a
// set of lines less the kernel's own `bucketsize`/`initval` additions.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_TABLES, ip6tablesTool, iptablesTool, type IptablesVariant, type NodeRules } from "./dataplane.js";
import { compareSaved } from "./roundtrip.js";
import type { NsGuard } from "./sys.js";

export type DualStackRules = NodeRules & { readonly ip6tables: string };

// Separate the outputs in the batch's stdout; cannot occur in any save text.
const MARK = "=== netpolc-dualstack-roundtrip ";

/** `ipset save` of what `ipsets` created, as `ipset restore` input would say it: sorted lines, kernel-chosen fields dropped. */
function setLines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("create ") || l.startsWith("add "))
    .map((l) => l.replace(/ bucketsize \d+/, "").replace(/ initval 0x[0-9a-f]+/, ""))
    .sort();
}

function compareSets(written: string, saved: string): string[] {
  const want = new Set(setLines(written));
  const got = new Set(setLines(saved));
  return [
    ...[...want].filter((l) => !got.has(l)).map((l) => `ipset: written but not saved back: ${l}`),
    ...[...got].filter((l) => !want.has(l)).map((l) => `ipset: saved back but never written: ${l}`),
  ];
}

/**
 * Restore and save every ruleset in `ns` (a private namespace the caller
 * created and deletes), one shell for the whole batch; per ruleset the
 * problems, each prefixed by what differed (`ip6tables`, `iptables`, `ipset`).
 * A restore the kernel refuses fails the batch with its stderr and the
 * ruleset's index (the shell runs with -e).
 */
export async function roundTripDualStack(g: NsGuard, ns: string, variant: IptablesVariant, rulesets: readonly DualStackRules[]): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), "netpolc-ds-rt-"));
  try {
    await writeFile(join(dir, "empty"), EMPTY_TABLES);
    const [r4, r6] = [iptablesTool(variant, "restore"), ip6tablesTool(variant, "restore")];
    const wipe = [`${r4} < empty`, `${r6} < empty`, "ipset destroy"];
    const steps: string[] = [];
    for (const [i, r] of rulesets.entries()) {
      await writeFile(join(dir, `${i}.ipsets`), r.ipsets);
      await writeFile(join(dir, `${i}.iptables`), r.iptables);
      await writeFile(join(dir, `${i}.ip6tables`), r.ip6tables);
      steps.push(
        ...wipe,
        `echo 'ruleset ${i}: ipset restore' >&2`,
        `ipset restore < ${i}.ipsets`,
        `echo 'ruleset ${i}: ${r4}' >&2`,
        `${r4} < ${i}.iptables`,
        `echo 'ruleset ${i}: ${r6}' >&2`,
        `${r6} < ${i}.ip6tables`,
        `echo '${MARK}${i} ipset'`,
        "ipset save",
        `echo '${MARK}${i} iptables'`,
        iptablesTool(variant, "save"),
        `echo '${MARK}${i} ip6tables'`,
        ip6tablesTool(variant, "save"),
      );
    }
    steps.push(...wipe);
    const r = await g.tryInNs(ns, "sh", ["-ec", `cd '${dir}'\n${steps.join("\n")}`]);
    if (r.code !== 0) {
      // The last progress line on stderr names the ruleset and the tool that failed; the kernel's message follows it.
      throw new Error(`round trip in ${ns} failed (exit ${r.code}):\n${r.stderr.trim().split("\n").slice(-6).join("\n")}`);
    }
    const chunks = new Map<string, string>();
    for (const chunk of r.stdout.split(MARK).slice(1)) {
      const nl = chunk.indexOf("\n");
      chunks.set(chunk.slice(0, nl), chunk.slice(nl + 1));
    }
    return rulesets.map((rs, i) => {
      const got = (what: string): string => {
        const text = chunks.get(`${i} ${what}`);
        if (text === undefined) throw new Error(`round trip: no ${what} output for ruleset ${i}`);
        return text;
      };
      return [
        ...compareSaved(rs.ip6tables, got("ip6tables")).map((p) => `ip6tables: ${p}`),
        ...compareSaved(rs.iptables, got("iptables")).map((p) => `iptables: ${p}`),
        ...compareSets(rs.ipsets, got("ipset")),
      ];
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
