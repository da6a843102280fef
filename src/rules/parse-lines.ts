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
