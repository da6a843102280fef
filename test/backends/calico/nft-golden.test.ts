// Every golden Calico case's Felix chains, for every node, through Felix's nftables dataplane of 3.29, 3.30 and
// 3.32 (and with -O2's passes, and flow logs): no rule without a faithful nft form, every jump/goto target and
// every set and map a rule or element names exists in the table, chain names are unique.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Compilation } from "../../../src/compilation.js";
import { DEFAULT_CALICO_OPTIONS, optimizeCalicoNode, renderCalicoNft, renderCalicoNode, type CalicoOptions } from "../../../src/backends/calico/index.js";
import { PASSES } from "../../../src/backends/calico/optimize/index.js";
import type { InputFile } from "../../../src/frontend/index.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import { compile, DEFAULT_COMPILE_OPTIONS, ipv6Enabled } from "../../../src/pipeline.js";
import { GOLDEN } from "./nft-helpers.js";

/** A path's input files: itself, or a folder's YAML files, recursively (sorted). */
const filesIn = (p: string): string[] =>
  statSync(p).isDirectory() ? readdirSync(p).sort().flatMap((f) => (f === "expected" ? [] : filesIn(join(p, f)))) : /\.(ya?ml|json)$/.test(p) ? [p] : [];

/** A case's input files: those (or the YAML files of the folders) its `inputs` file lists, else its own YAML files. */
function inputsOf(dir: string): InputFile[] {
  const list = existsSync(join(dir, "inputs"))
    ? readFileSync(join(dir, "inputs"), "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l) => join(dir, l.trim()))
    : [dir];
  return list.flatMap(filesIn).map((p) => ({ path: p, text: readFileSync(p, "utf8") }));
}

/** Golden cases with Felix output: some node file holds a `cali-` chain. */
const CASES = readdirSync(GOLDEN)
  .filter((c) => existsSync(join(GOLDEN, c, "expected")))
  .filter((c) => readdirSync(join(GOLDEN, c, "expected")).some((f) => f.endsWith(".iptables") && readFileSync(join(GOLDEN, c, "expected", f), "utf8").includes(":cali-FORWARD")))
  .sort();

/** Every name a rule, element or map reaches is declared; returns the problems. */
function dangling(t: NftTable): string[] {
  const chains = new Set(t.chains.map((c) => c.name));
  const sets = new Set(t.sets.filter((s) => s.kind === "set").map((s) => s.name));
  const maps = new Set(t.sets.filter((s) => s.kind === "map").map((s) => s.name));
  const out: string[] = [];
  if (chains.size !== t.chains.length) out.push("duplicate chain names");
  const chain = (name: string, where: string): void => void (chains.has(name) || out.push(`${where}: no chain ${name}`));
  for (const c of t.chains) {
    for (const r of c.rules) {
      for (const s of r.stmts) {
        if (s.kind === "verdict" && (s.verdict.kind === "jump" || s.verdict.kind === "goto")) chain(s.verdict.chain, c.name);
        if (s.kind === "match" && s.right.kind === "set-ref" && !sets.has(s.right.name)) out.push(`${c.name}: no set ${s.right.name}`);
        if (s.kind === "vmap" && s.map.kind === "set-ref" && !maps.has(s.map.name)) out.push(`${c.name}: no map ${s.map.name}`);
      }
    }
  }
  for (const m of t.sets) for (const e of m.elements) if (e.verdict && (e.verdict.kind === "jump" || e.verdict.kind === "goto")) chain(e.verdict.chain, m.name);
  return out;
}

const VARIANTS: readonly { readonly name: string; readonly opts: Partial<CalicoOptions>; readonly o2: boolean }[] = [
  { name: "3.29", opts: { calicoVersion: "3.29" }, o2: false },
  { name: "3.30 flow logs", opts: { calicoVersion: "3.30", flowLogs: true }, o2: false },
  { name: "3.32", opts: { calicoVersion: "3.32" }, o2: false },
  { name: "3.32 -O2", opts: { calicoVersion: "3.32" }, o2: true },
];

describe("every golden Calico case through Felix's nftables dataplane", () => {
  it("found the cases", () => expect(CASES.length).toBeGreaterThan(30));

  it.each(CASES)("%s", (name) => {
    const res = compile(inputsOf(join(GOLDEN, name)), DEFAULT_COMPILE_OPTIONS);
    expect(res.diag.hasErrors()).toBe(false);
    const model = res.model!;
    const ipv6 = ipv6Enabled(DEFAULT_COMPILE_OPTIONS, model);
    for (const v of VARIANTS) {
      const comp = new Compilation(model);
      const opts: CalicoOptions = { ...DEFAULT_CALICO_OPTIONS, ipv6, ...v.opts };
      for (const node of model.cluster.nodes.map((n) => n.name)) {
        const built = renderCalicoNode(comp, node, opts);
        const felix = v.o2 ? optimizeCalicoNode(comp, built, opts, PASSES) : built;
        for (const family of ipv6 ? ([4, 6] as const) : ([4] as const)) {
          let t;
          try {
            t = renderCalicoNft(comp, felix, opts, family);
          } catch (e) {
            // Felix itself cannot name a policy chain over 256 bytes (chain-names.ts): that case's only way out.
            if (name.startsWith("edge-15-") && v.name !== "3.29" && /panics on the chain name/.test(String(e))) continue;
            throw e;
          }
          expect(dangling(t), `${v.name} ${node} v${family}`).toEqual([]);
          expect(t.chains.filter((c) => c.base !== null)).toHaveLength(14);
        }
      }
    }
  });
});
