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

export function scanLines(lexer: Lexer, newline: TokenType, text: string, sink: LineSink): number {
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf("\n", Math.min(start + CHUNK, text.length - 1));
    const end = nl < 0 ? text.length : nl + 1;
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
