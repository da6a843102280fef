// Tokens of nft's two text forms netpolc reads: `nft -f` input as agents
// write it (`add table|chain|set|map|rule|element …`, one command a line)
// and what `nft list ruleset` prints (`table … { … }` blocks). Lexing only:
// what a word means inside a rule is decided in src/rules/nft/parse-stmt.ts.
//
// Order matters: chevrotain takes the first pattern that matches, so the
// punctuation and keywords come before the catch-all Word. `.` and `:` are
// tokens only when they stand alone (nft writes them spaced: `a . b`,
// `k : goto X`); inside a word they are part of it (`10.0.0.1:80`, `fd00::1`).
// Keywords carry the AnyWord category, so a rule may use them as plain
// words (`meta mark set …`), and `longer_alt` keeps `settings` a Word.
import { createToken, Lexer } from "../chevrotain.js";
import type { TokenType } from "chevrotain";

export const Newline = createToken({ name: "Newline", pattern: /\r?\n/, line_breaks: true, label: "end of line" });
export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t]+/, group: Lexer.SKIPPED });
/** `# …` lines: the kube-proxy fixtures' `# svc1` separators; nft ignores them, so do we. */
export const HashComment = createToken({ name: "HashComment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });
/** nft strings: double-quoted, no escapes (nft has none). */
export const QuotedString = createToken({ name: "QuotedString", pattern: /"[^"\r\n]*"/, label: "a quoted string" });
export const LBrace = createToken({ name: "LBrace", pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /}/, label: "'}'" });
export const Semi = createToken({ name: "Semi", pattern: /;/, label: "';'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Dot = createToken({ name: "Dot", pattern: /\.(?=[\s])/, label: "'.'" });
export const Colon = createToken({ name: "Colon", pattern: /:(?=[\s])/, label: "':'" });

export const AnyWord = createToken({ name: "AnyWord", pattern: Lexer.NA, label: "a word" });
/** Names, addresses, numbers, operators: anything up to whitespace or punctuation. */
export const Word = createToken({ name: "Word", pattern: /[^\s"{};,#]+/, categories: [AnyWord], label: "a word" });

const keyword = (name: string): TokenType =>
  createToken({ name: name[0]!.toUpperCase() + name.slice(1), pattern: new RegExp(`${name}(?![^\\s"{};,#])`), categories: [AnyWord], longer_alt: Word, label: `'${name}'` });

export const Add = keyword("add");
export const Delete = keyword("delete");
export const Flush = keyword("flush");
export const Table = keyword("table");
export const Chain = keyword("chain");
export const Set = keyword("set");
export const Map = keyword("map");
export const Comment = keyword("comment");

export const allTokens: TokenType[] = [
  Newline, Whitespace, HashComment, QuotedString, LBrace, RBrace, Semi, Comma, Dot, Colon,
  Add, Delete, Flush, Table, Chain, Set, Map, Comment, AnyWord, Word,
];

export const nftLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
