// Loading the model for a view command (matrix, workloads): the frontend
// only, no backend rendering. Pure: inputs in, model or rendered diagnostics out.
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { renderAll, type DiagnosticFormat } from "../diagnostics/render.js";
import { SourceMap } from "../diagnostics/sources.js";
import { loadModel, type InputFile } from "../frontend/index.js";
import type { Model } from "../ir/policy.js";

export interface Loaded {
  /** Null when the inputs had errors (the command then exits 1). */
  readonly model: Model | null;
  readonly sources: SourceMap;
  /** Warnings and errors, rendered (notes are not shown). */
  readonly stderr: string;
}

export function loadForView(files: readonly InputFile[], format: DiagnosticFormat = "text"): Loaded {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources);
  const stderr = renderAll(diag.all.filter((d) => d.severity !== "note"), sources, format);
  return { model: diag.hasErrors() ? null : model, sources, stderr };
}
