// `ip -batch` text (`<node>.routes`) → RouteCommand[] and `bridge -batch`
// text (`<node>.fdb`) → FdbEntry[], the types routes.ts writes, each with the
// 1-based line it came from, so that verify can route with what a file says
// and name the line ("ubuntu1.routes:7").
//
// Pass order (as parser.ts and ipset-parser.ts): lex in chunks
// (grammar/routes/tokens.ts) → split at Newline → parse each line to a CST
// (grammar/routes/parser.ts) → gather its items and build the command
// (route-items.ts, route-commands.ts) with its values checked (route-words.ts).
// Blank and `#` lines are skipped. A line with an error yields no command; only
// its first error is reported.
//
// The normal form. Reading accepts what ip/bridge accept for the same meaning
// (options in any order, `route add|append`, `address|addr add`, `neigh add`,
// `link set <dev>` without `dev`, `to`, `oif`, `protocol`, `priority`, a bare
// route destination as /32 or /128, `default`), and produces the command as
// the writer prints it, so `writeRoutes(parseRoutes(t).commands)` is a fixed
// point, and the identity on everything the writer prints from normal-form
// commands:
//   - verbs become `replace` (the writer's only verb; add/append differ from it
//     only in failing on, or adding beside, an existing entry);
//   - addresses are canonical: dotted quad, RFC 5952 IPv6 (lower case, longest
//     zero run as `::`), as src/frontend/validation/ip.ts formats pod addresses;
//     every CIDR has its length (`10.0.0.1` → `10.0.0.1/32`);
//   - MACs are lower case with two digits a byte;
//   - `proto` is what `ip route` prints: the name from iproute2's stock
//     rt_protos (`12` → `bird`, `kernel`), the decimal number when it has none
//     (`80`), and nothing for `boot` (ip's default, which it never prints);
//   - defaults ip fills in are made explicit where the model has a field
//     (vxlan dstport 8472, the kernel's) and dropped where it has none
//     (`scope global` on via/blackhole routes, `nud permanent`, fdb `self`).
import type { IRecognitionException, IToken } from "chevrotain";
import { Newline, routesLexer, routesParser } from "../../grammar/routes/index.js";
import type { LineCstNode } from "../../grammar/routes/index.js";
import { SourceMap } from "../diagnostics/sources.js";
import { cachedLines, scanLines } from "./parse-lines.js";
import type { ParseDiagnostic } from "./parser.js";
import { addressCommand, fdb, linkAdd, linkSet, neigh, route } from "./route-commands.js";
import { LineContext } from "./route-items.js";
import type { FdbEntry, RouteCommand } from "./routes.js";

export type NumberedRouteCommand = RouteCommand & { readonly line: number };
export type NumberedFdbEntry = FdbEntry & { readonly line: number };

export interface RouteParseOptions {
  /** File name for spans and messages; "<input>" if absent. */
  readonly file?: string;
  /**
   * Lines parsed before (by this run, on other nodes' files): a line seen before with no diagnostic is its command
   * again, at its own line number, without lexing it. Every node routes to every other node's blocks, so all but a
   * node's own lines are the same on every node.
   */
  readonly lines?: RouteLineCache;
}

/**
 * `ip -batch` lines that parsed to a command without a diagnostic, by their text, shared by the parses of one run
 * (`verify` reads back every node's routes). The result and diagnostics of a parse are those of a parse without it.
 */
export class RouteLineCache {
  readonly commands = new Map<string, RouteCommand>();
}

export interface RouteParseResult {
  /** In file order, which is the order ip applies them. */
  readonly commands: NumberedRouteCommand[];
  readonly diagnostics: ParseDiagnostic[];
}

export interface FdbParseResult {
  readonly entries: NumberedFdbEntry[];
  readonly diagnostics: ParseDiagnostic[];
}

/** ip and bridge objects and commands that are not add/replace/set of what the model holds (ip/ip.c, bridge/bridge.c). */
const NOT_MODELLED_COMMANDS: ReadonlySet<string> = new Set([
  "rule", "tunnel", "tuntap", "maddress", "maddr", "mroute", "mrule", "monitor", "xfrm", "netns", "l2tp", "fou", "ila",
  "macsec", "tcp_metrics", "tcpmetrics", "token", "netconf", "ntable", "vrf", "sr", "nexthop", "mptcp", "ioam", "stats",
  "mdb", "vlan", "vni", "del", "delete", "change", "chg", "show", "list", "lst", "flush", "get", "save", "restore",
  "prepend", "test", "help",
  // a verb of `route` but not of `fdb` here (bridge's `fdb append` adds a second destination for a MAC)
  "append",
]);

type Sink = (at: IToken | null, id: string, message: string) => void;

/** Where a syntax error points and what it says; keywords ip knows in other places are unsupported, not garbage. */
function syntaxIssue(e: IRecognitionException, tokens: readonly IToken[]): { id: string; message: string } {
  const w = e.token.image;
  if (e.token.tokenType.name === "EOF") return { id: "routes/parse-error", message: `${e.message}, found end of line` };
  // Past the command words every Word is an item, so what stops the parse there is a keyword of another command.
  if (tokens.indexOf(e.token) >= 2) return { id: "routes/unsupported", message: `'${w}' is not supported in ${tokens[0]!.image} ${tokens[1]!.image}` };
  if (NOT_MODELLED_COMMANDS.has(w)) return { id: "routes/unsupported", message: `'${w}' is not supported: ${e.message}` };
  if (w === "ip" || w === "bridge") return { id: "routes/parse-error", message: `${e.message}, found '${w}' (batch lines leave out the program name)` };
  return { id: "routes/parse-error", message: `${e.message}, found '${w}'` };
}

function lexIssue(text: string, offset: number): string {
  const ch = text[offset] ?? "";
  return ch === '"' || ch === "'" ? "quoted words are not supported (netpolc never writes them)" : `unexpected character '${ch}'`;
}

/** Lexes and parses every line; `line` gets each well-formed line's CST and a context to report into. */
type LineHandler = (cst: LineCstNode, ctx: LineContext, lineNo: number, first: IToken, start: number, lineEnd: number) => void;

function scan(text: string, file: string, line: LineHandler, diagnostics: ParseDiagnostic[] = [], from = 0, to = text.length, lineNo = 0): ParseDiagnostic[] {
  let sources: SourceMap | null = null;
  const report = (offset: number, length: number, id: string, message: string): void => {
    // Positions are converted in exactly one place (STYLE.md rule 6); built lazily since errors are rare.
    sources ??= new SourceMap();
    if (sources.text(file) === undefined) sources.add(file, text);
    const { line: l, col } = sources.position(file, offset);
    diagnostics.push({ id, severity: "error", message, span: { file, start: offset, end: offset + length }, line: l, col });
  };
  scanLines(routesLexer, Newline, text, {
    line(tokens, base, lineNo, lineEnd) {
      const sink: Sink = (at, id, message) => report(at ? base + at.startOffset : lineEnd, at?.image.length ?? 0, id, message);
      routesParser.input = tokens;
      const cst = routesParser.line() as LineCstNode;
      const e = routesParser.errors[0];
      if (!e) return line(cst, new LineContext(sink), lineNo, tokens[0]!, base + tokens[0]!.startOffset, lineEnd);
      const issue = syntaxIssue(e, tokens);
      sink(e.token.tokenType.name === "EOF" ? null : e.token, issue.id, issue.message);
    },
    lexError(offset, length) {
      report(offset, length, "routes/parse-error", lexIssue(text, offset));
    },
  }, from, to, lineNo);
  return diagnostics;
}

/** `<object> <verb>` as written, for messages. */
function commandName(object: IToken, verb: IToken | undefined): string {
  return `${object.image} ${verb?.image ?? ""}`.trimEnd();
}

function ipCommand(cst: LineCstNode, ctx: LineContext): RouteCommand | null {
  const c = cst.children;
  const link = c.link?.[0]?.children;
  if (link?.linkAdd) return linkAdd(link.linkAdd[0]!, ctx);
  if (link?.linkSet) return linkSet(link.linkSet[0]!.children.linkSetItem ?? [], ctx);
  const a = c.address?.[0]?.children;
  if (a) return addressCommand(a.addressItem ?? [], commandName(a.Object![0]!, a.Verb?.[0]), ctx);
  const r = c.route?.[0]?.children;
  if (r) return route(r.routeItem ?? [], commandName(r.Route[0]!, r.Verb?.[0]), ctx);
  const n = c.neigh?.[0]?.children;
  if (n) return neigh(n.neighItem ?? [], commandName(n.Neigh[0]!, n.Verb?.[0]), ctx);
  ctx.error(c.fdb![0]!.children.Fdb[0]!, "routes/unsupported", "fdb is a bridge -batch command; it belongs in the .fdb file");
  return null;
}

/** `ip -batch` input as routes.ts writes it (or a person would), in file order. */
export function parseRoutes(text: string, opts: RouteParseOptions = {}): RouteParseResult {
  const commands: NumberedRouteCommand[] = [];
  const file = opts.file ?? "<input>";
  const cache = opts.lines?.commands ?? null;
  const diagnostics: ParseDiagnostic[] = [];
  const handler: LineHandler = (cst, ctx, line, _first, start, lineEnd) => {
    const cmd = ipCommand(cst, ctx);
    if (!cmd || ctx.failed) return;
    commands.push({ ...cmd, line });
    // A whole line from its first column that reported nothing (a line's only diagnostics are errors, which fail
    // it): kept for the next file.
    if (cache !== null && (start === 0 || text.charCodeAt(start - 1) === 10)) cache.set(text.slice(start, lineEnd), cmd);
  };
  if (cache === null) scan(text, file, handler, diagnostics);
  else {
    // Lines in the cache are taken as they are; the runs of lines between them are lexed and parsed as usual.
    cachedLines(
      text,
      (at, end, lineNo, flush) => {
        const hit = cache.get(text.slice(at, end));
        if (hit === undefined) return false;
        flush();
        commands.push({ ...hit, line: lineNo });
        return true;
      },
      (from, to, lineNo) => scan(text, file, handler, diagnostics, from, to, lineNo),
    );
  }
  return { commands, diagnostics };
}

/** `bridge -batch` input: `fdb` lines only. */
export function parseFdb(text: string, opts: RouteParseOptions = {}): FdbParseResult {
  const entries: NumberedFdbEntry[] = [];
  const diagnostics = scan(text, opts.file ?? "<input>", (cst, ctx, line, first) => {
    const f = cst.children.fdb?.[0]?.children;
    if (!f) {
      ctx.error(first, "routes/unsupported", `'${first.image}' is not supported in bridge -batch input, which holds fdb lines only (ip commands belong in the .routes file)`);
      return;
    }
    const entry = fdb(f.fdbItem ?? [], commandName(f.Fdb[0]!, f.Verb?.[0]), ctx);
    if (entry && !ctx.failed) entries.push({ ...entry, line });
  });
  return { entries, diagnostics };
}
