// Tokens of Calico's selector language (libcalico-go/lib/selector/tokenizer,
// tokenizer.go). Lexing only; the tree is built in src/frontend/validation/calico-selector.ts.
//
// Facts taken from upstream:
// - Whitespace is a space or a tab only; anything else outside a string
//   (a newline, `%`, a lone `=`, `&` or `|`) is an error.
// - Strings are '…' or "…" with no escapes: a value cannot hold both quotes.
// - Labels are runs of [A-Za-z0-9_./-]; at most 512 (checked after lexing, in
//   src/frontend/validation/calico-selector.ts, with the nesting depth).
// - `has(`, `all(` and `global(` are written without a space before `(`;
//   `has ( x )` is the label `has` followed by an error.
// - The operator words (`in`, `not in`, `contains`, `starts with`, `ends with`)
//   are operators only right after a label; anywhere else they are labels
//   (`contains contains "contains"`, `in in {"a"}`). Their custom patterns look
//   at the previous token, which chevrotain passes in for exactly this.
// - The two-word operators may be written with any run of spaces/tabs between
//   the words, or none (`notin`, `startswith`).
// Read from calico master, whose tokenizer was rewritten in 2024 (#9564). The
// v3.27 one (regexps) also took \n, \r and \f inside `not in`, `starts with`,
// `ends with`, `has( )`, `all( )` and `global( )`, and did not demand a word
// boundary after `contains`/`starts with`/`ends with`; both differ only on
// selectors that are odd (line breaks there) or fail to parse either way.
import { createToken, Lexer } from "../chevrotain.js";
import type { CustomPatternMatcherFunc, IToken, TokenType } from "chevrotain";

export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t]+/, group: Lexer.SKIPPED });

/** No escapes inside; a string may span lines (it is a label value). */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"[^"]*"|'[^']*'/, line_breaks: true, label: "a quoted string" });

export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const And = createToken({ name: "And", pattern: /&&/, label: "'&&'" });
export const Or = createToken({ name: "Or", pattern: /\|\|/, label: "'||'" });

/** `label <op> "value"`: ==, !=, contains, starts with, ends with. */
export const ValueOperator = createToken({ name: "ValueOperator", pattern: Lexer.NA, label: "an operator" });
/** `label <op> {"v1", "v2"}`: in, not in. */
export const SetOperator = createToken({ name: "SetOperator", pattern: Lexer.NA, label: "an operator" });

export const Eq = createToken({ name: "Eq", pattern: /==/, label: "'=='", categories: [ValueOperator] });
// Before Not: `!=` is one token, as upstream cuts "!=" before "!".
export const Ne = createToken({ name: "Ne", pattern: /!=/, label: "'!='", categories: [ValueOperator] });
export const Not = createToken({ name: "Not", pattern: /!/, label: "'!'" });

// `has(`, `all(`, `global(` end in `(`, which no label contains, so a label can
// never be the longer match and they need no longer_alt.
export const Has = createToken({ name: "Has", pattern: /has\(/, label: "'has('" });
export const All = createToken({ name: "All", pattern: /all\(/, label: "'all('" });
export const Global = createToken({ name: "Global", pattern: /global\(/, label: "'global('" });

/** Label characters (tokenizer.go identifierChar). */
export const LABEL_CHARS = "A-Za-z0-9_./-";
export const Label = createToken({ name: "Label", pattern: new RegExp(`[${LABEL_CHARS}]+`), label: "a label" });

/**
 * An operator word, matched only right after a Label token. A one-word
 * operator gets `longer_alt: Label` (STYLE.md rule 5: `inner` stays a label);
 * a two-word one also ends in a word-boundary lookahead, because longer_alt
 * cannot see past the space in `not inx` (upstream's isWordBoundary).
 */
function operatorWord(name: string, words: readonly string[], category: TokenType): TokenType {
  const source = words.join("[ \\t]*") + (words.length > 1 ? `(?![${LABEL_CHARS}])` : "");
  const exec: CustomPatternMatcherFunc = (text: string, offset: number, tokens: IToken[]) => {
    if (tokens[tokens.length - 1]?.tokenType !== Label) return null;
    // A fresh sticky regex per call: no lastIndex shared between calls (no module-level mutable state).
    const re = new RegExp(source, "y");
    re.lastIndex = offset;
    return re.exec(text);
  };
  return createToken({
    name,
    pattern: { exec },
    start_chars_hint: [words[0]![0]!],
    line_breaks: false,
    longer_alt: Label,
    categories: [category],
    label: `'${words.join(" ")}'`,
  });
}

export const NotIn = operatorWord("NotIn", ["not", "in"], SetOperator);
export const In = operatorWord("In", ["in"], SetOperator);
export const Contains = operatorWord("Contains", ["contains"], ValueOperator);
export const StartsWith = operatorWord("StartsWith", ["starts", "with"], ValueOperator);
export const EndsWith = operatorWord("EndsWith", ["ends", "with"], ValueOperator);

/** Lexer order: first match wins; `!=` before `!`, the keywords before Label. */
export const allTokens: TokenType[] = [
  Whitespace, StringLiteral, LParen, RParen, LBrace, RBrace, Comma, And, Or, Eq, Ne, Not,
  Has, All, Global, NotIn, In, Contains, StartsWith, EndsWith, Label, ValueOperator, SetOperator,
];

/** Offsets only: positions become line:col once, in src/diagnostics. */
export const selectorLexer = new Lexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: true });
