// Tokens of `ipset save` / `ipset restore` text (ipset(8) "restore": one
// command per line, `#` comment lines). Lexing only; meaning is in
// src/ruleset/ipset-parser.ts.
import { createToken, Lexer } from "../chevrotain.js";
import type { TokenType } from "chevrotain";

export const Newline = createToken({ name: "Newline", pattern: /\r?\n/, line_breaks: true });
export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

/** Anything after the fixed words of a command: options, member flags, `-exist`. */
export const Arg = createToken({ name: "Arg", pattern: Lexer.NA, label: "an argument" });
/** `comment "text"` members/options are printed with double quotes by ipset save. */
export const QuotedString = createToken({ name: "QuotedString", pattern: /"(?:[^"\\\r\n]|\\.)*"/, categories: [Arg], label: "a quoted string" });
/** `-exist`, `-!`, `-quiet`: global flags that may also appear on a restore line. */
export const Flag = createToken({ name: "Flag", pattern: /-[A-Za-z!]+/, categories: [Arg], label: "a -flag" });

// See grammar/iptables-save/tokens.ts: first-char hints keep chevrotain's fast dispatch.
const WORD_START: string[] = [];
for (let c = 0x21; c < 0x7f; c++) if (!'"#-'.includes(String.fromCharCode(c))) WORD_START.push(String.fromCharCode(c));

/** Set names, types (`hash:net`), members (`10.0.0.0/8`, `10.0.0.1,tcp:80`), option words. */
export const Word = createToken({
  name: "Word",
  pattern: /[^\s"#-][^\s"]*/,
  start_chars_hint: WORD_START,
  categories: [Arg],
  label: "a value",
});

// Command keywords; `longer_alt: Word` keeps `address` or `creator` a Word (STYLE.md rule 5), and
// category Word lets a set named `add` be a name wherever a command word cannot stand.
const kw = (name: string): TokenType =>
  createToken({ name: name[0]!.toUpperCase() + name.slice(1), pattern: new RegExp(name), label: name, longer_alt: Word, categories: [Word] });
export const Create = kw("create");
export const Add = kw("add");
export const Del = kw("del");
export const Flush = kw("flush");
export const Destroy = kw("destroy");
export const Swap = kw("swap");

export const allTokens: TokenType[] = [Newline, Whitespace, Comment, QuotedString, Flag, Create, Add, Del, Flush, Destroy, Swap, Word, Arg];

export const ipsetLexer = new Lexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: true });
