// Tokens of `ip -batch` (`<node>.routes`) and `bridge -batch` (`<node>.fdb`)
// input. Lexing only; what a word means is decided in src/ruleset/route-parser.ts.
//
// iproute2 reads a batch file line by line (lib/utils.c getcmdline): `#`
// starts a comment anywhere on a line, and makeargs splits the rest at
// spaces, tabs and CR. A word starting with a quote is a quoted string there;
// netpolc never writes one and no value it models needs one, so a leading
// quote is a lexing error here rather than a second quoting rule (see
// route-parser.ts). A trailing backslash (line continuation) is a Word that
// no command accepts.
import { createToken, Lexer } from "../chevrotain.js";
import type { TokenType } from "chevrotain";

export const Newline = createToken({ name: "Newline", pattern: /\r?\n/, line_breaks: true });
export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

// Categories. A keyword belongs to the option categories of the commands that
// take it, so each command's item rule is LL(1) over disjoint categories and a
// keyword of another command (`via` on a neigh line) is a syntax error there.
/** Anything that can follow an option keyword, keywords included (`dev up` names a device "up", as in ip). */
export const Value = createToken({ name: "Value", pattern: Lexer.NA, label: "a value" });
/** A word in a positional place: a destination, an address, a device or MAC. */
export const Bare = createToken({ name: "Bare", pattern: Lexer.NA, label: "a word" });
export const LinkAddOption = createToken({ name: "LinkAddOption", pattern: Lexer.NA });
export const VxlanOption = createToken({ name: "VxlanOption", pattern: Lexer.NA });
export const VxlanFlag = createToken({ name: "VxlanFlag", pattern: Lexer.NA });
export const LinkSetOption = createToken({ name: "LinkSetOption", pattern: Lexer.NA });
export const LinkSetFlag = createToken({ name: "LinkSetFlag", pattern: Lexer.NA });
export const AddressOption = createToken({ name: "AddressOption", pattern: Lexer.NA });
export const RouteOption = createToken({ name: "RouteOption", pattern: Lexer.NA });
export const RouteFlag = createToken({ name: "RouteFlag", pattern: Lexer.NA });
export const NeighOption = createToken({ name: "NeighOption", pattern: Lexer.NA });
export const FdbOption = createToken({ name: "FdbOption", pattern: Lexer.NA });
export const FdbFlag = createToken({ name: "FdbFlag", pattern: Lexer.NA });

// First characters for chevrotain's dispatch table (see grammar/iptables-save/tokens.ts):
// printable ASCII except `#` and quotes. A non-ASCII first byte is a lexing error.
const WORD_START: string[] = [];
for (let c = 0x21; c < 0x7f; c++) if (!`#"'`.includes(String.fromCharCode(c))) WORD_START.push(String.fromCharCode(c));

/** Addresses, CIDRs, MACs, device names, numbers, protocol names: everything not a keyword. */
export const Word = createToken({
  name: "Word",
  pattern: /[^\s#"'][^\s#]*/,
  start_chars_hint: WORD_START,
  categories: [Value, Bare],
  label: "a word",
});

// Keywords: exact, case-sensitive words (ip compares with strcmp/matches);
// `longer_alt: Word` keeps `device` or `uplink` a Word (STYLE.md rule 5).
// They are created longest first, so `address` is tried before `addr` and `add`.
const kw = (word: string, categories: TokenType[]): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), label: `'${word}'`, longer_alt: Word, categories: [Value, ...categories] });

// Command words; `Bare` too, so a device named `set` or `route` is still a device.
export const Link = kw("link", [Bare]);
export const Route = kw("route", [Bare]);
export const Neigh = kw("neigh", [Bare]);
export const Fdb = kw("fdb", [Bare]);
export const Add = kw("add", [Bare]);
export const Replace = kw("replace", [Bare]);
export const Append = kw("append", [Bare]);
/** Not exported as `Set`: that would shadow the global in importing modules. */
export const SetVerb = kw("set", [Bare]);
// `address`/`addr` are both the ip object and `ip link add`'s MAC option.
export const Address = kw("address", [LinkAddOption]);
export const Addr = kw("addr", [LinkAddOption]);

export const Type = kw("type", []);
export const Name = kw("name", [LinkAddOption]);
export const Dev = kw("dev", [LinkAddOption, LinkSetOption, AddressOption, RouteOption, NeighOption, FdbOption]);
export const Oif = kw("oif", [RouteOption]);
export const Mtu = kw("mtu", [LinkSetOption, RouteOption]);
export const Up = kw("up", [LinkSetFlag]);
export const Id = kw("id", [VxlanOption]);
export const Vni = kw("vni", [VxlanOption]);
// `local` is vxlan's source address and ip address's optional keyword before the address.
export const Local = kw("local", [VxlanOption, AddressOption]);
export const Dstport = kw("dstport", [VxlanOption]);
export const Nolearning = kw("nolearning", [VxlanFlag]);
export const To = kw("to", [RouteOption, NeighOption, FdbOption]);
// Route types: ip takes the word after a type as the destination (ip/iproute.c iproute_modify).
export const Blackhole = kw("blackhole", [RouteOption]);
export const Unicast = kw("unicast", [RouteOption]);
export const Via = kw("via", [RouteOption]);
export const Proto = kw("proto", [RouteOption]);
export const Protocol = kw("protocol", [RouteOption]);
export const Metric = kw("metric", [RouteOption]);
export const Priority = kw("priority", [RouteOption]);
export const Preference = kw("preference", [RouteOption]);
export const Scope = kw("scope", [RouteOption]);
export const Onlink = kw("onlink", [RouteFlag]);
export const Lladdr = kw("lladdr", [NeighOption]);
export const Nud = kw("nud", [NeighOption]);
export const Dst = kw("dst", [FdbOption]);
export const Self = kw("self", [FdbFlag]);
export const Permanent = kw("permanent", [FdbFlag]);
export const Static = kw("static", [FdbFlag]);

const KEYWORDS: TokenType[] = [
  Link, Route, Neigh, Fdb, Add, Replace, Append, SetVerb, Address, Addr, Type, Name, Dev, Oif, Mtu, Up, Id, Vni, Local,
  Dstport, Nolearning, To, Blackhole, Unicast, Via, Proto, Protocol, Metric, Priority, Preference, Scope, Onlink, Lladdr, Nud,
  Dst, Self, Permanent, Static,
];

const patternLength = (t: TokenType): number => (t.PATTERN as RegExp).source.length;

/** Lexer order: first match wins, so longer keywords precede their prefixes (`dstport` before `dst`). */
export const allTokens: TokenType[] = [
  Newline, Whitespace, Comment,
  // Sorted by length (stable), so that a keyword comes before every keyword that is its prefix.
  ...[...KEYWORDS].sort((a, b) => patternLength(b) - patternLength(a)),
  Word, Value, Bare, LinkAddOption, VxlanOption, VxlanFlag, LinkSetOption, LinkSetFlag, AddressOption, RouteOption,
  RouteFlag, NeighOption, FdbOption, FdbFlag,
];

export const routesLexer = new Lexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: true });
