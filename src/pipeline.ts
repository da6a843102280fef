// The compile pipeline as one pure function: load → validate → lower →
// render per node → write text. Only src/cli touches the filesystem.
import { DiagnosticSink } from "./diagnostics/diagnostic.js";
import { SourceMap } from "./diagnostics/sources.js";
import { loadModel, type InputFile } from "./frontend/index.js";
import type { Model } from "./ir/policy.js";
import { renderCalicoNode, DEFAULT_CALICO_OPTIONS, type CalicoOptions } from "./backends/calico/index.js";
import type { NodeOutput } from "./backends/types.js";
import { writeRuleSet } from "./ruleset/writer.js";
import { writeIpSets } from "./ruleset/ipset.js";
import { writeRoutes } from "./ruleset/routes.js";

export type EmitKind = "iptables" | "ipsets" | "routes";
export const EMIT_KINDS: readonly EmitKind[] = ["iptables", "ipsets", "routes"];

export interface CompileOptions {
  /** Only these nodes (empty = every node in the snapshot). */
  readonly nodes: readonly string[];
  readonly calico: CalicoOptions;
}

export const DEFAULT_COMPILE_OPTIONS: CompileOptions = { nodes: [], calico: DEFAULT_CALICO_OPTIONS };

export interface CompileResult {
  readonly diag: DiagnosticSink;
  readonly sources: SourceMap;
  /** Null when the input had errors: nothing may be written then. */
  readonly model: Model | null;
  readonly outputs: readonly NodeOutput[];
}

export function compile(files: readonly InputFile[], opts: CompileOptions): CompileResult {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources);
  if (diag.hasErrors()) return { diag, sources, model: null, outputs: [] };
  const known = new Set(model.cluster.nodes.map((n) => n.name));
  for (const n of opts.nodes) {
    if (!known.has(n)) diag.error("input/unknown-node", null, `node "${n}" is not in the snapshot (known: ${[...known].join(", ") || "none"})`);
  }
  if (diag.hasErrors()) return { diag, sources, model: null, outputs: [] };
  const wanted = opts.nodes.length ? new Set(opts.nodes) : known;
  // model.cluster.nodes is sorted by name, so outputs are too.
  const outputs = model.cluster.nodes.filter((n) => wanted.has(n.name)).map((n) => renderCalicoNode(model, n.name, opts.calico));
  return { diag, sources, model, outputs };
}

/** The text of one output file of a node. */
export function emitText(out: NodeOutput, kind: EmitKind): string {
  switch (kind) {
    case "iptables":
      return writeRuleSet(out.ruleset);
    case "ipsets":
      return writeIpSets(out.ipsets);
    case "routes":
      return writeRoutes(out.routes);
  }
}

/** Every output file, keyed by file name (`<node>.iptables`, …), in a stable order. */
export function outputFiles(outputs: readonly NodeOutput[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const out of outputs) for (const k of EMIT_KINDS) files.set(`${out.node}.${k}`, emitText(out, k));
  return files;
}
