// Shared by the kube-proxy nftables tests: compile inline YAML or the
// KP-NFT-1 case (the inputs of golden/kp-nft-1-overall) and render one
// node's kube-proxy table in nft -f input spelling.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_KUBE_PROXY_OPTIONS, renderKubeProxyNft, type KubeProxyOptions } from "../../../src/backends/kubeproxy/index.js";
import { Compilation } from "../../../src/compilation.js";
import type { InputFile } from "../../../src/frontend/index.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import { printTransaction, sortTransaction } from "../../../src/rules/nft/print.js";
import { compileCase } from "./helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

const CASE = join(import.meta.dirname, "../../../golden/kp-nft-1-overall");

export const KP_NFT_1_FILES: InputFile[] = readdirSync(CASE)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ path: f, text: readFileSync(join(CASE, f), "utf8") }));

/** nftables.md §A.7 verbatim. */
export const KP_NFT_1_EXPECTED = readFileSync(join(FIXTURES, "kp-nft-1.txt"), "utf8");

export function compilation(files: readonly InputFile[]): Compilation {
  const res = compileCase(files, ["--backend", "kube-proxy"]);
  if (!res.model) throw new Error(res.diag.all.map((d) => d.message).join("\n"));
  return new Compilation(res.model);
}

export function nftTable(files: readonly InputFile[], node: string, opts: Partial<KubeProxyOptions> = {}): NftTable {
  return renderKubeProxyNft(compilation(files), node, { ...DEFAULT_KUBE_PROXY_OPTIONS, mode: "nftables", ...opts });
}

/** The table as kube-proxy's tests compare it: nft -f input, sortNFTablesTransaction'ed. */
export function sortedText(t: NftTable): string {
  return sortTransaction(printTransaction({ tables: [t] }));
}

/** One chain's rules as input lines without the `add rule ip kube-proxy <chain> ` prefix. */
export function chainRules(t: NftTable, name: string): string[] | undefined {
  const text = printTransaction({ tables: [{ ...t, sets: [], chains: t.chains.filter((c) => c.name === name) }] });
  const prefix = `add rule ${t.family} ${t.name} ${name} `;
  return t.chains.some((c) => c.name === name) ? text.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)) : undefined;
}

/** Every element line of one set or map, as `{ … }` contents. */
export function elementsOf(t: NftTable, set: string): string[] {
  const text = printTransaction({ tables: [{ ...t, chains: [], sets: t.sets.filter((s) => s.name === set) }] });
  const prefix = `add element ${t.family} ${t.name} ${set} { `;
  return text.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length, -2));
}
