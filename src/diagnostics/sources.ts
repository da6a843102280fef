// The one place where offsets become 1-based line:column (STYLE.md rule 6).

/** Registry of source texts so spans can be turned into positions. */
export class SourceMap {
  private readonly texts = new Map<string, string>();
  private readonly lineStarts = new Map<string, number[]>();

  add(file: string, text: string): void {
    this.texts.set(file, text);
    this.lineStarts.delete(file);
  }

  text(file: string): string | undefined {
    return this.texts.get(file);
  }

  /** 1-based line and column (column counts UTF-16 code units, as editors using LSP do). */
  position(file: string, offset: number): { line: number; col: number } {
    const starts = this.starts(file);
    // Binary search for the last line start <= offset.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  }

  private starts(file: string): number[] {
    let s = this.lineStarts.get(file);
    if (s) return s;
    const text = this.texts.get(file) ?? "";
    s = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) s.push(i + 1);
    this.lineStarts.set(file, s);
    return s;
  }
}
