// Diagnostics are data (STYLE.md): every stage reports into one sink and
// carries on where that is useful; only bugs throw.

/** A source range: byte-free, UTF-16 offsets into the text of `file`. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export type Severity = "error" | "warning" | "note";

export interface Diagnostic {
  /** "category/kebab-name", e.g. "netpol/invalid-value", "schema/unknown-field". */
  readonly id: string;
  readonly severity: Severity;
  /** Full message. For API validation this is "<field path>: <body>" in the API server's words. */
  readonly message: string;
  readonly span: Span | null;
  readonly notes?: readonly string[];
}

/** The one diagnostics sink of a run. */
export class DiagnosticSink {
  private readonly items: Diagnostic[] = [];

  report(d: Diagnostic): void {
    this.items.push(d);
  }

  error(id: string, span: Span | null, message: string, notes?: readonly string[]): void {
    this.report({ id, severity: "error", message, span, ...(notes ? { notes } : {}) });
  }

  warning(id: string, span: Span | null, message: string, notes?: readonly string[]): void {
    this.report({ id, severity: "warning", message, span, ...(notes ? { notes } : {}) });
  }

  note(id: string, span: Span | null, message: string, notes?: readonly string[]): void {
    this.report({ id, severity: "note", message, span, ...(notes ? { notes } : {}) });
  }

  get all(): readonly Diagnostic[] {
    return this.items;
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}
