// The structure of nft's text forms; statements stay token lists here and
// are interpreted by src/rules/nft/parse-stmt.ts (as the iptables-save grammar
// leaves option arities to its semantics).
//
//   file        := (Newline | command | tableBlock)*
//   command     := (add | delete | flush) item*                 one `nft -f` command
//   tableBlock  := table Word Word '{' (Newline | tableComment | setBlock | chainBlock)* '}'
//   tableComment:= comment String
//   setBlock    := (set | map) Word '{' (Newline | item)* '}'     attribute lines
//   chainBlock  := chain Word '{' (Newline | ruleLine)* '}'
//   ruleLine    := item+
//   item        := AnyWord | String | '.' | ':' | ',' | ';' | braces
//   braces      := '{' (Newline | item)* '}'
import { CstParser } from "../chevrotain.js";
import type { IParserErrorMessageProvider } from "chevrotain";
import * as T from "./tokens.js";

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, previous }) =>
    previous.image.trim() ? `expected ${expected.LABEL ?? expected.name} after ${previous.image}` : `expected ${expected.LABEL ?? expected.name}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected '${firstRedundant.image}'`,
  buildNoViableAltMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
  buildEarlyExitMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
};

export class NftParser extends CstParser {
  constructor() {
    super(T.allTokens, { maxLookahead: 1, recoveryEnabled: false, nodeLocationTracking: "onlyOffset", errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  file = this.RULE("file", () => {
    this.MANY(() =>
      this.OR({
        DEF: [{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.command) }, { ALT: () => this.SUBRULE(this.tableBlock) }],
        ERR_MSG: "add, delete, flush or table at the start of a line",
      }),
    );
  });

  command = this.RULE("command", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Add) }, { ALT: () => this.CONSUME(T.Delete) }, { ALT: () => this.CONSUME(T.Flush) }]);
    this.MANY(() => this.SUBRULE(this.item));
  });

  tableBlock = this.RULE("tableBlock", () => {
    this.CONSUME(T.Table);
    this.CONSUME1(T.AnyWord, { ERR_MSG: "expected a family (ip, ip6) after table" });
    this.CONSUME2(T.AnyWord, { ERR_MSG: "expected a table name" });
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR({
        DEF: [
          { ALT: () => this.CONSUME(T.Newline) },
          { ALT: () => this.SUBRULE(this.tableComment) },
          { ALT: () => this.SUBRULE(this.setBlock) },
          { ALT: () => this.SUBRULE(this.chainBlock) },
        ],
        ERR_MSG: "comment, set, map or chain",
      }),
    );
    this.CONSUME(T.RBrace);
  });

  tableComment = this.RULE("tableComment", () => {
    this.CONSUME(T.Comment);
    this.CONSUME(T.QuotedString);
  });

  setBlock = this.RULE("setBlock", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Set) }, { ALT: () => this.CONSUME(T.Map) }]);
    this.CONSUME(T.AnyWord, { ERR_MSG: "expected a set name" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR1([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
    this.CONSUME(T.RBrace);
  });

  chainBlock = this.RULE("chainBlock", () => {
    this.CONSUME(T.Chain);
    this.CONSUME(T.AnyWord, { ERR_MSG: "expected a chain name" });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR1([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.ruleLine) }]));
    this.CONSUME(T.RBrace);
  });

  ruleLine = this.RULE("ruleLine", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.item));
  });

  item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.AnyWord) },
      { ALT: () => this.CONSUME(T.QuotedString) },
      { ALT: () => this.CONSUME(T.Dot) },
      { ALT: () => this.CONSUME(T.Colon) },
      { ALT: () => this.CONSUME(T.Comma) },
      { ALT: () => this.CONSUME(T.Semi) },
      { ALT: () => this.SUBRULE(this.braces) },
    ]);
  });

  braces = this.RULE("braces", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.item) }]));
    this.CONSUME(T.RBrace);
  });
}

/** One parser instance, reused (chevrotain parsers are built once; `input` resets its state). */
export const nftParser = new NftParser();
