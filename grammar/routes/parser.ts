// The grammar of the `ip -batch` and `bridge -batch` lines netpolc writes and
// reads back, one line at a time (like grammar/iptables-save):
//
//   line        := link | address | route | neigh | fdb
//   link        := 'link' (linkAdd | linkSet)
//   linkAdd     := 'add' linkAddItem* 'type' Value vxlanItem*
//   linkSet     := 'set' linkSetItem*
//   address     := ('address' | 'addr') ('add' | 'replace') addressItem*
//   route       := 'route' ('add' | 'replace' | 'append') routeItem*
//   neigh       := 'neigh' ('add' | 'replace') neighItem*
//   fdb         := 'fdb' ('add' | 'replace') fdbItem*                  (bridge -batch)
//   <x>Item     := <X>Option Value | <X>Flag | Bare
//
// ip takes a command's options in any order and most of them once, and treats
// a word that is no keyword as the positional argument (destination, address,
// device); so each command is a list of items, and which items it needs, which
// repeat and what the words mean is semantics (src/ruleset/route-parser.ts).
// The grammar knows each keyword's arity and the commands it belongs to, so a
// missing value ("expected a value after via") or a keyword of another
// command is a syntax error at its word. `type` splits `link add`: ip parses
// what follows it with the link type's own options (ip/iplink.c iplink_parse).
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

export class RoutesParser extends CstParser {
  constructor() {
    // LL(1) suffices; recovery is off because the driver restarts at every line.
    super(T.allTokens, { maxLookahead: 1, recoveryEnabled: false, errorMessageProvider: errorMessages });
    this.performSelfAnalysis();
  }

  line = this.RULE("line", () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.link) },
        { ALT: () => this.SUBRULE(this.address) },
        { ALT: () => this.SUBRULE(this.route) },
        { ALT: () => this.SUBRULE(this.neigh) },
        { ALT: () => this.SUBRULE(this.fdb) },
      ],
      ERR_MSG: "link, address, route, neigh or fdb at the start of a line",
    });
  });

  link = this.RULE("link", () => {
    this.CONSUME(T.Link);
    this.OR({ DEF: [{ ALT: () => this.SUBRULE(this.linkAdd) }, { ALT: () => this.SUBRULE(this.linkSet) }], ERR_MSG: "add or set after link" });
  });

  linkAdd = this.RULE("linkAdd", () => {
    this.CONSUME(T.Add);
    this.MANY(() => this.SUBRULE(this.linkAddItem));
    this.CONSUME(T.Type, { ERR_MSG: "expected type <link type> in link add" });
    this.CONSUME(T.Value, { ERR_MSG: "expected a link type after type" });
    this.MANY2(() => this.SUBRULE(this.vxlanItem));
  });

  linkSet = this.RULE("linkSet", () => {
    this.CONSUME(T.SetVerb);
    this.MANY(() => this.SUBRULE(this.linkSetItem));
  });

  address = this.RULE("address", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Address, { LABEL: "Object" }) }, { ALT: () => this.CONSUME(T.Addr, { LABEL: "Object" }) }]);
    this.verb([T.Add, T.Replace], "add or replace after address");
    this.MANY(() => this.SUBRULE(this.addressItem));
  });

  route = this.RULE("route", () => {
    this.CONSUME(T.Route);
    this.verb([T.Add, T.Replace, T.Append], "add, replace or append after route");
    this.MANY(() => this.SUBRULE(this.routeItem));
  });

  neigh = this.RULE("neigh", () => {
    this.CONSUME(T.Neigh);
    this.verb([T.Add, T.Replace], "add or replace after neigh");
    this.MANY(() => this.SUBRULE(this.neighItem));
  });

  fdb = this.RULE("fdb", () => {
    this.CONSUME(T.Fdb);
    this.verb([T.Add, T.Replace], "add or replace after fdb");
    this.MANY(() => this.SUBRULE(this.fdbItem));
  });

  linkAddItem = this.RULE("linkAddItem", () => this.item(T.LinkAddOption, null));
  vxlanItem = this.RULE("vxlanItem", () => this.item(T.VxlanOption, T.VxlanFlag));
  linkSetItem = this.RULE("linkSetItem", () => this.item(T.LinkSetOption, T.LinkSetFlag));
  addressItem = this.RULE("addressItem", () => this.item(T.AddressOption, null));
  routeItem = this.RULE("routeItem", () => this.item(T.RouteOption, T.RouteFlag));
  neighItem = this.RULE("neighItem", () => this.item(T.NeighOption, null));
  fdbItem = this.RULE("fdbItem", () => this.item(T.FdbOption, T.FdbFlag));

  /** The command word after the object, labelled `Verb` (OR1: `address` already has an OR). */
  private verb(words: readonly TokenType[], message: string): void {
    this.or(1, { DEF: words.map((w) => ({ ALT: () => this.CONSUME(w, { LABEL: "Verb" }) })), ERR_MSG: message });
  }

  /**
   * One option with its value, one flag, or one positional word. Labels give
   * every item rule the same CST shape ({Option, Value} | {Flag} | {Bare}),
   * so the semantic layer reads them with one function.
   */
  private item(option: TokenType, flag: TokenType | null): void {
    const alts = [
      {
        ALT: () => {
          this.CONSUME(option, { LABEL: "Option" });
          this.CONSUME(T.Value);
        },
      },
      { ALT: () => this.CONSUME(T.Bare) },
    ];
    if (flag) alts.push({ ALT: () => this.CONSUME(flag, { LABEL: "Flag" }) });
    this.OR(alts);
  }
}

/** One shared instance: building a chevrotain parser runs its grammar analysis, which is costly. */
export const routesParser = new RoutesParser();
