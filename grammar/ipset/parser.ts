// The `ipset restore` grammar, one line at a time (like grammar/iptables-save):
//
//   line    := Flag* (create | add | del | flush | destroy | swap)
//   create  := 'create' Word Word Arg*        (name, type, options)
//   add     := 'add' Word Word Arg*           (name, member, member options)
//   del     := 'del' Word Word Arg*
//   flush   := 'flush' Word?
//   destroy := 'destroy' Word?
//   swap    := 'swap' Word Word
import { CstParser } from "../chevrotain.js";
import type { IParserErrorMessageProvider, TokenType } from "chevrotain";
import * as T from "./tokens.js";

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, previous }) =>
    previous.image ? `expected ${expected.LABEL ?? expected.name} after ${previous.image}` : `expected ${expected.LABEL ?? expected.name}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected '${firstRedundant.image}'`,
  buildNoViableAltMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
  buildEarlyExitMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
};

export class IpsetParser extends CstParser {
  constructor() {
    super(T.allTokens, { maxLookahead: 1, recoveryEnabled: false, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  line = this.RULE("line", () => {
    this.MANY(() => this.CONSUME(T.Flag));
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.create) },
        { ALT: () => this.SUBRULE(this.add) },
        { ALT: () => this.SUBRULE(this.del) },
        { ALT: () => this.SUBRULE(this.flush) },
        { ALT: () => this.SUBRULE(this.destroy) },
        { ALT: () => this.SUBRULE(this.swap) },
      ],
      ERR_MSG: "create, add, del, flush, destroy or swap",
    });
  });

  create = this.RULE("create", () => this.nameValueArgs(1, T.Create, "expected a set name after create", "expected a set type after the set name"));
  add = this.RULE("add", () => this.nameValueArgs(2, T.Add, "expected a set name after add", "expected a member after the set name"));
  del = this.RULE("del", () => this.nameValueArgs(3, T.Del, "expected a set name after del", "expected a member after the set name"));

  flush = this.RULE("flush", () => {
    this.CONSUME(T.Flush);
    this.OPTION(() => this.CONSUME(T.Word));
  });

  destroy = this.RULE("destroy", () => {
    this.CONSUME(T.Destroy);
    this.OPTION(() => this.CONSUME(T.Word));
  });

  swap = this.RULE("swap", () => {
    this.CONSUME(T.Swap);
    this.CONSUME1(T.Word, { ERR_MSG: "expected a set name after swap" });
    this.CONSUME2(T.Word, { ERR_MSG: "expected a second set name after swap" });
  });

  private nameValueArgs(idx: 1 | 2 | 3, keyword: TokenType, nameMsg: string, valueMsg: string): void {
    this.consume(idx, keyword);
    this.consume(1, T.Word, { ERR_MSG: nameMsg });
    this.consume(2, T.Word, { ERR_MSG: valueMsg });
    this.MANY(() => this.CONSUME(T.Arg));
  }
}

/** One shared instance: building a chevrotain parser runs its grammar analysis, which is costly. */
export const ipsetParser = new IpsetParser();
