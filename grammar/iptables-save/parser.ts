// The iptables-save / iptables-restore grammar, one line at a time.
//
// A ruleset file is a sequence of lines; the driver (src/ruleset/parser.ts)
// lexes, splits the tokens at Newline and feeds each non-empty line to `line`.
// Parsing per line keeps the CST of a 700k-line ruleset from living all at
// once and lets one bad line be reported without losing the rest.
//
//   line        := tableHeader | chainDecl | COMMIT | appendRule | newChain | setPolicy
//   tableHeader := '*' Word
//   chainDecl   := ':' Word Word Counters?              (name, policy or '-')
//   appendRule  := Counters? -A Word ruleItem*
//   newChain    := -N Word                               (iptables -S)
//   setPolicy   := -P Word Word                          (iptables -S)
//   ruleItem    := '!' (HeadFlag Word | LongOpt Arg*)
//                | HeadFlag Word | LongOpt Arg* | -m Word | -j Word | -g Word
//
// An option's arguments are simply the Args up to the next flag, `--option`
// or `!`: the grammar knows no option arities (that is semantics, and
// iptables-save never prints an argument that looks like a flag).
import { CstParser } from "../chevrotain.js";
import type { IParserErrorMessageProvider, TokenType } from "chevrotain";
import * as T from "./tokens.js";

/**
 * Wording of syntax errors. Mismatch messages name what was expected; the
 * driver adds the position and what was found instead.
 */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, previous }) =>
    previous.image ? `expected ${expected.LABEL ?? expected.name} after ${previous.image}` : `expected ${expected.LABEL ?? expected.name}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected '${firstRedundant.image}'`,
  buildNoViableAltMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
  buildEarlyExitMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? "something else"}`,
};

export class IptablesSaveParser extends CstParser {
  constructor() {
    // LL(1) is enough for this format; recovery is off because the driver restarts at every line.
    super(T.allTokens, { maxLookahead: 1, recoveryEnabled: false, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  line = this.RULE("line", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.tableHeader) },
        { ALT: () => this.SUBRULE(this.chainDecl) },
        { ALT: () => this.CONSUME(T.Commit) },
        { ALT: () => this.SUBRULE(this.appendRule) },
        { ALT: () => this.SUBRULE(this.newChain) },
        { ALT: () => this.SUBRULE(this.setPolicy) },
      ],
      ERR_MSG: "*table, :chain, -A, -N, -P or COMMIT at the start of a line",
    });
  });

  tableHeader = this.RULE("tableHeader", () => {
    this.CONSUME(T.Star);
    this.CONSUME(T.Word, { ERR_MSG: "expected a table name after *" });
  });

  chainDecl = this.RULE("chainDecl", () => {
    this.CONSUME(T.Colon);
    this.CONSUME1(T.Word, { ERR_MSG: "expected a chain name after ':'" });
    this.CONSUME2(T.Word, { ERR_MSG: "expected a policy (ACCEPT, DROP or -) after the chain name" });
    this.OPTION(() => this.CONSUME(T.Counters));
  });

  appendRule = this.RULE("appendRule", () => {
    this.OPTION(() => this.CONSUME(T.Counters));
    this.CONSUME(T.Append);
    this.CONSUME(T.Word, { ERR_MSG: "expected a chain name after -A" });
    this.MANY(() => this.SUBRULE(this.ruleItem));
  });

  newChain = this.RULE("newChain", () => {
    this.CONSUME(T.NewChain);
    this.CONSUME(T.Word, { ERR_MSG: "expected a chain name after -N" });
  });

  setPolicy = this.RULE("setPolicy", () => {
    this.CONSUME(T.Policy);
    this.CONSUME1(T.Word, { ERR_MSG: "expected a chain name after -P" });
    this.CONSUME2(T.Word, { ERR_MSG: "expected a policy (ACCEPT or DROP) after the chain name" });
  });

  /** One flag or option with its arguments. Same-token CONSUMEs in different alternatives need distinct indices. */
  ruleItem = this.RULE("ruleItem", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Bang);
          this.OR2({
            DEF: [
              { ALT: () => this.headValue(1) },
              { ALT: () => this.optionArgs(1) },
            ],
            ERR_MSG: "-s, -d, -i, -o, -p or an --option after '!'",
          });
        },
      },
      { ALT: () => this.headValue(2) },
      { ALT: () => this.optionArgs(2) },
      { ALT: () => this.flagValue(3, T.Match, "expected a match module name after -m") },
      { ALT: () => this.flagValue(4, T.Jump, "expected a target after -j") },
      { ALT: () => this.flagValue(5, T.Goto, "expected a chain name after -g") },
    ]);
  });

  // Inlined helpers (not rules) so an item stays one CST node: fewer allocations per rule.
  private headValue(idx: 1 | 2): void {
    this.consume(idx, T.HeadFlag);
    // No ERR_MSG: the message provider names the actual flag ("expected a value after -s").
    this.consume(idx, T.Word);
  }

  private optionArgs(idx: 1 | 2): void {
    this.consume(idx, T.LongOpt);
    this.many(idx, () => this.consume(idx + 2, T.Arg));
  }

  private flagValue(idx: 3 | 4 | 5, flag: TokenType, message: string): void {
    this.consume(idx, flag);
    this.consume(idx, T.Word, { ERR_MSG: message });
  }
}

/** One shared instance: building a chevrotain parser runs its grammar analysis, which is costly. */
export const iptablesSaveParser = new IptablesSaveParser();
