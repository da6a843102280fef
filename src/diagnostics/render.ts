import type { Diagnostic } from "./diagnostic.js";
import type { SourceMap } from "./sources.js";

export type DiagnosticFormat = "text" | "json" | "github";

export interface LocatedDiagnostic extends Diagnostic {
  readonly line: number | null;
  readonly col: number | null;
}

export function locate(d: Diagnostic, sources: SourceMap): LocatedDiagnostic {
  if (!d.span) return { ...d, line: null, col: null };
  const { line, col } = sources.position(d.span.file, d.span.start);
  return { ...d, line, col };
}

/**
 * Sorted for determinism by file only: inputs are processed file by file in a
 * fixed order, and within a file the order of report is meaningful (the API
 * server's own error order, spec netpol-validation §1), so the sort is stable
 * and never reorders one file's diagnostics. Diagnostics without a file come last.
 */
export function sortDiagnostics(ds: readonly LocatedDiagnostic[]): LocatedDiagnostic[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...ds].sort((a, b) => {
    if (!a.span || !b.span) return (a.span ? 0 : 1) - (b.span ? 0 : 1);
    return cmp(a.span.file, b.span.file);
  });
}

/** `file:line:col: error[id]: message` — the format editors and pre-commit understand. */
export function renderText(d: LocatedDiagnostic): string {
  const where = d.span ? `${d.span.file}:${d.line}:${d.col}: ` : "";
  const notes = (d.notes ?? []).map((n) => `\n  note: ${n}`).join("");
  return `${where}${d.severity}[${d.id}]: ${d.message}${notes}`;
}

/** GitHub Actions workflow command; properties and message escaped per the runner's rules. */
export function renderGithub(d: LocatedDiagnostic): string {
  const level = d.severity === "note" ? "notice" : d.severity;
  const esc = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const escProp = (s: string): string => esc(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const props = d.span ? ` file=${escProp(d.span.file)},line=${d.line},col=${d.col},title=${escProp(d.id)}` : ` title=${escProp(d.id)}`;
  return `::${level}${props}::${esc(d.message)}`;
}

export function renderJson(ds: readonly LocatedDiagnostic[]): string {
  return JSON.stringify(
    ds.map((d) => ({
      id: d.id,
      severity: d.severity,
      message: d.message,
      file: d.span?.file ?? null,
      line: d.line,
      col: d.col,
      ...(d.notes && d.notes.length ? { notes: d.notes } : {}),
    })),
    null,
    2,
  );
}

export function renderAll(ds: readonly Diagnostic[], sources: SourceMap, format: DiagnosticFormat): string {
  const located = sortDiagnostics(ds.map((d) => locate(d, sources)));
  if (format === "json") return renderJson(located) + "\n";
  const lines = located.map(format === "github" ? renderGithub : renderText);
  return lines.length ? lines.join("\n") + "\n" : "";
}
