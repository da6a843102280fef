// Shared driver loop of the line-oriented parsers (iptables-save, ipset):
// lex a chunk, cut its tokens at Newline, hand each line over. Lexing a
// bounded chunk at a time keeps the live token array small on 700k-line
// inputs; a chunk always ends at a newline, so no line is split.
import type { ILexingError, IToken, Lexer, TokenType } from "chevrotain";

// ~256 KiB of text per tokenize() call.
const CHUNK = 1 << 18;

export interface LineSink {
  /** A non-empty line's tokens (Newline excluded); offsets are relative to `base`. */
  line(tokens: IToken[], base: number, lineNo: number, lineEnd: number): void;
  /** A lexing error; its line is not parsed. `offset` is absolute. */
  lexError(offset: number, length: number, lineNo: number, lineEnd: number): void;
}

/**
 * Lex and hand over every line of `text`, or of `text[from, to)` (which must start at a line and end after a
 * newline or at the end) numbering its lines from `lineNo + 1`. Returns the number of the last line.
 */
export function scanLines(lexer: Lexer, newline: TokenType, text: string, sink: LineSink, from = 0, to = text.length, lineNo = 0): number {
  for (let start = from; start < to; ) {
    const nl = text.indexOf("\n", Math.min(start + CHUNK, to - 1));
    const end = nl < 0 || nl >= to ? to : nl + 1;
    const lexed = lexer.tokenize(text.slice(start, end));
    const toks = lexed.tokens;
    const errs: ILexingError[] = lexed.errors;
    let e = 0;
    let first = 0;
    for (let i = 0; i <= toks.length; i++) {
      const tok = toks[i];
      if (tok !== undefined && tok.tokenType !== newline) continue;
      // The chunk's tail after its last Newline holds nothing unless the text lacks a final newline.
      if (tok === undefined && first === i && e === errs.length) break;
      lineNo++;
      const lineEnd = start + (tok ? tok.startOffset : end - start);
      let bad = false;
      for (; e < errs.length && (tok === undefined || errs[e]!.offset < tok.startOffset); e++) {
        sink.lexError(start + errs[e]!.offset, errs[e]!.length, lineNo, lineEnd);
        bad = true;
      }
      if (!bad && first < i) sink.line(toks.slice(first, i), start, lineNo, lineEnd);
      first = i + 1;
    }
    start = end;
  }
  return lineNo;
}

/**
 * A parse through a line cache: every line of `text` is offered to `take` (its start, its end before the newline, its
 * number). A line `take` answers from the cache must first call `flush()`, which hands the run of lines since the
 * last taken one to `run(from, to, lineNo)` (lexed and parsed as usual: `to` is where the line starts, `lineNo` the
 * number before the run's first line), then return true; a line it refuses after flushing starts the next run;
 * one it refuses without flushing stays in the current run. The last run is handed over at the end.
 */
export function cachedLines(text: string, take: (at: number, end: number, lineNo: number, flush: () => void) => boolean, run: (from: number, to: number, lineNo: number) => void): void {
  let lineNo = 0;
  let runStart = 0;
  let runLine = 0;
  let at = 0;
  let flushed = false;
  const flush = (): void => {
    if (runStart < at) run(runStart, at, runLine);
    flushed = true;
  };
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    flushed = false;
    if (take(at, end, lineNo, flush)) {
      runStart = nl < 0 ? text.length : nl + 1;
      runLine = lineNo;
    } else if (flushed) {
      runStart = at;
      runLine = lineNo - 1;
    }
    at = nl < 0 ? text.length : nl + 1;
  }
  if (runStart < text.length) run(runStart, text.length, runLine);
}

/** Message for a lexing error at `offset`: a lone `"` means a string never closed. */
export function lexMessage(text: string, offset: number): string {
  const ch = text[offset] ?? "";
  return ch === '"' ? "unterminated quoted string" : `unexpected character '${ch}'`;
}

/** Message for a chevrotain parse error, naming what was found instead. */
export function parseMessage(e: { name: string; message: string; token: IToken }): string {
  const found = e.token.tokenType.name === "EOF" ? "end of line" : `'${e.token.image}'`;
  return e.name === "NotAllInputParsedException" ? e.message : `${e.message}, found ${found}`;
}
