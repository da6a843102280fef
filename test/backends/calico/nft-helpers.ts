// Shared set-up of the Calico nftables tests: a golden case's inputs compiled
// to a model, one node's Felix output, and its nft table.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { Compilation } from "../../../src/compilation.js";
import { DEFAULT_CALICO_OPTIONS, renderCalicoNft, renderCalicoNode, type CalicoOptions } from "../../../src/backends/calico/index.js";
import type { CalicoVersion } from "../../../src/backends/calico/profile.js";
import type { NodeOutput } from "../../../src/backends/types.js";
import type { InputFile } from "../../../src/frontend/index.js";
import type { Model } from "../../../src/ir/policy.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../../../src/pipeline.js";

export const GOLDEN = join(import.meta.dirname, "..", "..", "..", "golden");

export function modelOf(files: readonly string[]): Model {
  const inputs: InputFile[] = files.map((f) => ({ path: f, text: readFileSync(join(GOLDEN, f), "utf8") }));
  const res = compile(inputs, DEFAULT_COMPILE_OPTIONS);
  expect(res.diag.hasErrors()).toBe(false);
  return res.model!;
}

export const F1 = ["f1-ingress-from-pod-selector/cluster.yaml", "f1-ingress-from-pod-selector/policy.yaml"];

export interface NftRun {
  readonly comp: Compilation;
  readonly felix: NodeOutput;
  readonly opts: CalicoOptions;
  readonly table: NftTable;
}

export function nftOf(model: Model, node: string, version: CalicoVersion, family: 4 | 6 = 4, extra: Partial<CalicoOptions> = {}): NftRun {
  const comp = new Compilation(model);
  const opts: CalicoOptions = { ...DEFAULT_CALICO_OPTIONS, calicoVersion: version, ...extra };
  const felix = renderCalicoNode(comp, node, opts);
  return { comp, felix, opts, table: renderCalicoNft(comp, felix, opts, family) };
}
