// Shared helpers for frontend tests: load YAML text through loadModel and
// look at diagnostics the way a user sees them (file:line:col).
import { DiagnosticSink, type Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { renderAll } from "../../src/diagnostics/render.js";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { loadModel, type InputFile } from "../../src/frontend/index.js";
import type { Model } from "../../src/ir/policy.js";

export interface Loaded {
  readonly model: Model;
  readonly diag: DiagnosticSink;
  readonly sources: SourceMap;
  /** Diagnostics in emission order. */
  readonly all: readonly Diagnostic[];
  /** renderAll(..., "text") split into lines (sorted by position). */
  readonly lines: string[];
}

export function loadFiles(files: readonly InputFile[]): Loaded {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources);
  const lines = renderAll(diag.all, sources, "text").split("\n").filter((l) => l !== "");
  return { model, diag, sources, all: diag.all, lines };
}

export function load(text: string, path = "input.yaml"): Loaded {
  return loadFiles([{ path, text }]);
}

/** Messages of the diagnostics with this severity, in emission order. */
export function messages(l: Loaded, severity: Diagnostic["severity"] = "error"): string[] {
  return l.all.filter((d) => d.severity === severity).map((d) => d.message);
}

/** "line:col" of a diagnostic's span start. */
export function pos(l: Loaded, d: Diagnostic): string {
  if (!d.span) return "-";
  const { line, col } = l.sources.position(d.span.file, d.span.start);
  return `${line}:${col}`;
}

/** The single error (fails the test through the caller's expect when there are several). */
export function errorsWithPos(l: Loaded): string[] {
  return l.all.filter((d) => d.severity === "error").map((d) => `${pos(l, d)} ${d.id} ${d.message}`);
}

/** A NetworkPolicy document around a spec written as YAML lines (indented by the caller for `spec:`). */
export function policy(specLines: string, meta = "metadata: {name: p, namespace: default}"): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n${meta}\nspec:\n${specLines}`;
}
