// The grammar of Calico selectors (libcalico-go/lib/selector/parser/parser.go):
//
//   selector   := orExpr                         (blank text, no tokens, is all(): the caller's
//                                                 business, as in upstream's parseRoot)
//   orExpr     := andExpr ('||' andExpr)*        (|| binds weaker than &&)
//   andExpr    := operation ('&&' operation)*
//   operation  := '!'* (call | comparison | group)  (each '!' negates what follows; `!a == "b"` is `!(a == "b")`)
//   call       := ('has(' Label | 'all(' | 'global(') ')'
//   comparison := Label (ValueOperator String | SetOperator setLiteral)
//   setLiteral := '{' (String (',' String)* ','?)? '}'   (`{}` and `{"a",}` parse, `{,}` does not)
//   group      := '(' orExpr ')'
//
// No semantics here: the tree, the nesting cap and the label length limit are
// in src/frontend/validation/calico-selector.ts.
import { CstParser, EOF } from "../chevrotain.js";
import type { IParserErrorMessageProvider, IToken } from "chevrotain";
import * as T from "./tokens.js";

const clip = (s: string): string => (s.length > 32 ? s.slice(0, 31) + "…" : s);
/** A token as an error names it: strings keep their own quotes, others get single quotes. */
function describe(t: IToken): string {
  if (t.tokenType === EOF) return "end of selector";
  return t.tokenType === T.StringLiteral ? clip(t.image) : `'${clip(t.image)}'`;
}
/** " after 'x'" when there is a previous token (chevrotain passes an empty one at the start). */
const after = (t: IToken | undefined): string => (t?.image ? ` after ${describe(t)}` : "");

/** Syntax error wording: what was expected, after what, and what was found. */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual, previous }) =>
    `expected ${expected.LABEL ?? expected.name}${after(previous)}, found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)} after a complete selector`,
  buildNoViableAltMessage: ({ customUserDescription, actual, previous }) =>
    `expected ${customUserDescription ?? "something else"}${after(previous)}, found ${actual[0] ? describe(actual[0]) : "end of selector"}`,
  buildEarlyExitMessage: ({ customUserDescription, actual, previous }) =>
    `expected ${customUserDescription ?? "something else"}${after(previous)}, found ${actual[0] ? describe(actual[0]) : "end of selector"}`,
};

export class CalicoSelectorParser extends CstParser {
  constructor() {
    // LL(2) only for a set literal's trailing comma (`, "b"` continues, `, }` ends).
    super(T.allTokens, { maxLookahead: 2, recoveryEnabled: false, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  selector = this.RULE("selector", () => {
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE1(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE1(this.operation);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.operation);
    });
  });

  operation = this.RULE("operation", () => {
    this.MANY(() => this.CONSUME(T.Not));
    this.OR({
      DEF: [{ ALT: () => this.SUBRULE(this.call) }, { ALT: () => this.SUBRULE(this.comparison) }, { ALT: () => this.SUBRULE(this.group) }],
      ERR_MSG: "a label, has(…), all(), global(), '!' or '('",
    });
  });

  call = this.RULE("call", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Has);
          this.CONSUME(T.Label);
        },
      },
      { ALT: () => this.CONSUME(T.All) },
      { ALT: () => this.CONSUME(T.Global) },
    ]);
    this.CONSUME(T.RParen);
  });

  comparison = this.RULE("comparison", () => {
    this.CONSUME(T.Label);
    this.OR({
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.ValueOperator);
            this.CONSUME(T.StringLiteral);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.SetOperator);
            this.SUBRULE(this.setLiteral);
          },
        },
      ],
      ERR_MSG: "an operator (==, !=, in, not in, contains, starts with, ends with)",
    });
  });

  setLiteral = this.RULE("setLiteral", () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.CONSUME1(T.StringLiteral);
      this.MANY(() => {
        this.CONSUME1(T.Comma);
        this.CONSUME2(T.StringLiteral);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  group = this.RULE("group", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.orExpr);
    this.CONSUME(T.RParen);
  });
}

/** One shared instance: building a chevrotain parser runs its grammar analysis, which is costly. */
export const calicoSelectorParser = new CalicoSelectorParser();
