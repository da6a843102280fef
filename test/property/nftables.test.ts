// Property: the nftables outputs mean what the iptables outputs mean. Felix's
// nftables dataplane and kube-proxy's nftables mode are built from the same
// chains and plans as their iptables twins; `<node>.nft`, printed, parsed back
// and lowered to the rule model (src/rules/nft/lower.ts), must verify against
// the reference evaluator exactly as `<node>.iptables` does — 0 mismatches, 0
// unknown, at -O1 and -O2 — and a policy rule deleted from both files must be
// caught in one exactly when it is caught in the other (so reading nft back
// loses no detection power). The kernel suite loads the same files with `nft -f`.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, nodeFiles, type CompileOptions } from "../../src/pipeline.js";
import { caseArb, caseFiles, type GeneratedCase } from "./arbitraries.js";
import { propertyParams } from "./params.js";
import { parseArgs } from "../../src/cli/args.js";
import { VERIFY_FLAGS } from "../../src/cli/flags.js";
import { runVerify } from "../../src/cli/verify.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { CalicoVersion } from "../../src/backends/index.js";

const NFT_VERSIONS: readonly CalicoVersion[] = ["3.29", "3.30", "3.31", "3.32"];

interface Report {
  readonly mismatches: number;
  readonly unknown: number;
  readonly failures: readonly { src?: string; dst?: string }[];
}

describe("nftables: <node>.nft verifies as <node>.iptables does", () => {
  const params = propertyParams<[GeneratedCase, CalicoVersion, boolean]>(30, 0.1);
  it(`random cases, --dataplane nftables at a random Calico 3.29+ (-O1 or -O2): 0 mismatches and 0 unknown (${params.numRuns} cases)`, () => {
    const prop = fc.property(caseArb, fc.constantFrom(...NFT_VERSIONS), fc.boolean(), (c, calicoVersion, o2) => {
      const args = parseArgs(["--dataplane", "nftables", "--calico-version", calicoVersion, "--ipv6", "off", "--format", "json", ...(o2 ? ["-O2"] : [])], VERIFY_FLAGS);
      const r = runVerify(caseFiles(c), args, createSimulator().simulatePath, () => null);
      const report = JSON.parse(r.stdout) as Report;
      expect([report.mismatches, report.unknown], r.stdout.slice(0, 4000)).toEqual([0, 0]);
      expect(r.exitCode).toBe(0);
    });
    fc.assert(prop, params);
  }, 600_000);
});

/** Every output file of a compile, by name. */
function outputs(files: ReturnType<typeof caseFiles>, opts: CompileOptions): Map<string, string> {
  const res = compile(files, opts);
  if (!res.model) throw new Error(res.diag.all.map((d) => d.message).join("\n"));
  return new Map(nodeFiles(res, opts));
}

/** The line of the nth rule of `chain` in an nft listing (`\tchain <name> {` then one rule per line). */
function nftRuleLine(lines: readonly string[], chain: string, nth: number): number | null {
  const start = lines.indexOf(`\tchain ${chain} {`);
  if (start < 0) return null;
  let k = start + 1;
  while (lines[k]!.startsWith("\t\t") && (lines[k]!.startsWith("\t\tcomment ") || lines[k]!.startsWith("\t\ttype "))) k++;
  const at = k + nth;
  return lines[at]?.startsWith("\t\t") ? at : null;
}

describe("nftables: a deleted policy rule is caught in .nft exactly when the same deletion is caught in .iptables", () => {
  // At Calico 3.29 Felix's nftables chains carry the iptables names behind the layer prefix (nftables.md §B.3), so
  // the same rule is found by name and position in both files.
  const params = propertyParams<[GeneratedCase, number]>(20, 0.05);
  it(`random cases, one random cali-pi/po rule deleted from both files (${params.numRuns} cases)`, () => {
    const tally = { caught: 0, missed: 0 };
    const prop = fc.property(caseArb, fc.nat(), (c, pick) => {
      const files = caseFiles(c);
      const base: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, ipv6: "off", calicoVersionGiven: true, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.29" } };
      const ipt = outputs(files, base);
      const nft = outputs(files, { ...base, dataplane: { calico: "nftables", kubeProxy: "nftables" } });
      const nodes = [...ipt.keys()].filter((n) => n.endsWith(".iptables")).map((n) => n.slice(0, -".iptables".length)).sort();
      const candidates = nodes.flatMap((n) => ipt.get(`${n}.iptables`)!.split("\n").flatMap((l, i) => (/^-A cali-p[io]-/.test(l) ? [{ n, i }] : [])));
      if (candidates.length === 0) return;
      const { n, i } = candidates[pick % candidates.length]!;
      const v4 = ipt.get(`${n}.iptables`)!.split("\n");
      const chain = v4[i]!.split(" ")[1]!;
      const nth = v4.slice(0, i).filter((l) => l.startsWith(`-A ${chain} `)).length;
      const listing = nft.get(`${n}.nft`)!.split("\n");
      const at = nftRuleLine(listing, `filter-${chain}`, nth);
      expect(at, `${n}: rule ${nth} of filter-${chain} in the .nft`).not.toBeNull();
      const verify = (out: Map<string, string>, extra: string[]): Report => {
        const args = parseArgs(["--rules", "/rules", "--calico-version", "3.29", "--ipv6", "off", "--format", "json", ...extra], VERIFY_FLAGS);
        const r = runVerify(files, args, createSimulator().simulatePath, (path) => out.get(path.slice("/rules/".length)) ?? null);
        return JSON.parse(r.stdout) as Report;
      };
      const iptMutated = new Map(ipt).set(`${n}.iptables`, v4.filter((_, j) => j !== i).join("\n"));
      const nftMutated = new Map(nft).set(`${n}.nft`, listing.filter((_, j) => j !== at).join("\n"));
      const a = verify(iptMutated, []);
      const b = verify(nftMutated, ["--dataplane", "nftables"]);
      expect(b.unknown, `${n} ${v4[i]}`).toBe(0);
      expect(b.failures.length > 0, `${n} ${v4[i]}: iptables ${a.mismatches} mismatches, nft ${b.mismatches}`).toBe(a.failures.length > 0);
      tally[b.failures.length > 0 ? "caught" : "missed"]++;
    });
    fc.assert(prop, params);
    // Visible, so a run where no deletion mattered (nothing compared) shows up.
    console.log(`nftables rule deletions: ${tally.caught} caught in both files, ${tally.missed} in neither (redundant rules)`);
  }, 600_000);
});
