// Calico selector text → the IR's CalicoSelector, or the first error with its
// offset in the text. The grammar is grammar/calico-selector; the tree is the
// one libcalico-go's parser builds (parser.go), so printing it with
// canonical() gives upstream's String():
//   - one operand of `&&`/`||` is that operand, not a one-element node;
//   - leading `!`s collapse: an odd run is one not-node, an even run none;
//   - a group `( … )` is its contents (and/or-nodes print their own parentheses);
//   - set literal values are sorted and de-duplicated;
//   - empty or blank text is all().
import type { IToken, TokenType } from "chevrotain";
import { calicoSelectorParser, selectorLexer, tokens as T } from "../../../grammar/calico-selector/index.js";
import type { CallCstNode, ComparisonCstNode, OperationCstNode, OrExprCstNode, SelectorCstNode } from "../../../grammar/calico-selector/index.js";
import { ALL, selectorSet, type CalicoSelector, type ValueOperator } from "../../ir/calico-selector.js";

/** tokenizer.go MaxLabelLength. */
export const MAX_LABEL_LENGTH = 512;
/**
 * Upstream has no limit (Go stacks grow); ours keeps the recursive parser,
 * tree builder, printer and evaluator far from the JavaScript stack limit,
 * on worker threads too. Real selectors nest a handful of levels.
 */
export const MAX_SELECTOR_NESTING = 100;

export interface SelectorSyntaxError {
  /** 0-based offset into the selector text (its length for "end of selector"). */
  readonly offset: number;
  readonly message: string;
}

export type SelectorParse = { readonly ok: true; readonly selector: CalicoSelector } | { readonly ok: false; readonly error: SelectorSyntaxError };

const fail = (offset: number, message: string): SelectorParse => ({ ok: false, error: { offset, message } });

export function parseCalicoSelector(text: string): SelectorParse {
  const lexed = selectorLexer.tokenize(text);
  const lexError = lexed.errors[0];
  if (lexError) return fail(lexError.offset, lexMessage(text, lexError.offset));
  // Blank text: upstream's parseRoot returns all() before parsing.
  if (lexed.tokens.length === 0) return { ok: true, selector: ALL };
  const limit = checkLimits(lexed.tokens);
  if (limit) return { ok: false, error: limit };
  calicoSelectorParser.input = lexed.tokens;
  const cst = calicoSelectorParser.selector() as SelectorCstNode;
  const parseError = calicoSelectorParser.errors[0];
  if (parseError) {
    const at = parseError.token.startOffset;
    return fail(Number.isNaN(at) ? text.length : at, parseError.message);
  }
  return { ok: true, selector: orNode(cst.children.orExpr[0]!) };
}

/** Upstream's tokenizer errors, by the character the lexer could not take. */
function lexMessage(text: string, offset: number): string {
  const ch = String.fromCodePoint(text.codePointAt(offset) ?? 0);
  switch (ch) {
    case '"':
    case "'":
      return "unterminated string";
    case "=":
      return "expected '=='";
    case "&":
      return "expected '&&'";
    case "|":
      return "expected '||'";
    default:
      return `unexpected character ${JSON.stringify(ch)}`;
  }
}

/** Label length (upstream's tokenizer) and nesting depth (ours), before the recursive parser runs. */
function checkLimits(tokens: readonly IToken[]): SelectorSyntaxError | null {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.Label && t.image.length > MAX_LABEL_LENGTH) {
      return { offset: t.startOffset, message: `label too long (${t.image.length} characters; at most ${MAX_LABEL_LENGTH})` };
    }
    // `has(`, `all(` and `global(` open what their `)` closes, but nothing
    // nests inside them, so only a `(` can go too deep. The parser stops at a
    // stray `)` (no rule takes it at the top level), so the count stops there too.
    if (t.tokenType === T.Has || t.tokenType === T.All || t.tokenType === T.Global) depth++;
    else if (t.tokenType === T.RParen && --depth < 0) return null;
    else if (t.tokenType === T.LParen && ++depth > MAX_SELECTOR_NESTING) {
      return { offset: t.startOffset, message: `parentheses nested deeper than ${MAX_SELECTOR_NESTING} levels` };
    }
  }
  return null;
}

function orNode(c: OrExprCstNode): CalicoSelector {
  const terms = c.children.andExpr.map((a) => {
    const ops = a.children.operation.map(operation);
    return ops.length === 1 ? ops[0]! : { kind: "and" as const, operands: ops };
  });
  return terms.length === 1 ? terms[0]! : { kind: "or", operands: terms };
}

function operation(c: OperationCstNode): CalicoSelector {
  const { call: fn, comparison: cmp, group } = c.children;
  const inner = fn ? callNode(fn[0]!) : cmp ? comparisonNode(cmp[0]!) : orNode(group![0]!.children.orExpr[0]!);
  const negations = c.children.Not?.length ?? 0;
  return negations % 2 === 1 ? { kind: "not", operand: inner } : inner;
}

function callNode(c: CallCstNode): CalicoSelector {
  if (c.children.Has) return { kind: "has", label: c.children.Label![0]!.image };
  return c.children.Global ? { kind: "global" } : ALL;
}

const VALUE_OPERATORS: ReadonlyMap<TokenType, ValueOperator> = new Map<TokenType, ValueOperator>([
  [T.Eq, "eq"],
  [T.Ne, "ne"],
  [T.Contains, "contains"],
  [T.StartsWith, "starts-with"],
  [T.EndsWith, "ends-with"],
]);

/** A string literal's value: its text between the quotes (there are no escapes). */
const unquote = (t: IToken): string => t.image.slice(1, -1);

function comparisonNode(c: ComparisonCstNode): CalicoSelector {
  const label = c.children.Label[0]!.image;
  const op = c.children.ValueOperator?.[0];
  if (op) return { kind: VALUE_OPERATORS.get(op.tokenType)!, label, value: unquote(c.children.StringLiteral![0]!) };
  const values = c.children.setLiteral![0]!.children.StringLiteral ?? [];
  return { kind: "in", label, values: selectorSet(values.map(unquote)), negated: c.children.SetOperator![0]!.tokenType === T.NotIn };
}
