// nft text → NftRuleset: reads both forms print.ts writes — the `nft -f`
// transaction (`add …` commands, also `delete table`/`flush table`, so a
// node file's replace preamble is understood) and the `nft list` listing
// (`table … { … }` blocks) — into the model, with `line` on every rule.
// Errors are diagnostics at file:line:col, as the iptables parser's.
//
// Pass order: lex (grammar/nft/tokens.ts) → parse to a CST (grammar/nft/
// parser.ts) → walk commands and blocks in document order, interpreting each
// statement's tokens (parse-stmt.ts) → the ruleset, tables and their
// objects in creation order. Parsing is exact, not canonical: compare
// through canonicalize() (print-canon.ts) to ignore the listing's normalisations.
import type { CstNode, IToken } from "chevrotain";
import { nftLexer, nftParser } from "../../../grammar/nft/index.js";
import { SourceMap } from "../../diagnostics/sources.js";
import type { ParseDiagnostic } from "../parser.js";
import type { NftDialect, NftFamily, NftRuleset } from "./model.js";
import { parseChainAttrs, parseSetAttrs, type ChainBuild, type TableBuild } from "./parse-objects.js";
import { Cursor, NftSyntaxError, parseElements, parseRuleBody, unquote } from "./parse-stmt.js";

export { formatParseDiagnostic } from "../parser.js";

export interface NftParseOptions {
  /** File name for spans and messages; "<input>" if absent. */
  readonly file?: string;
  /** Which input dialect a table's rules are in; default knftables for `kube-proxy`, else felix. */
  readonly dialect?: (family: NftFamily, table: string) => NftDialect;
}

export interface NftParseResult {
  readonly ruleset: NftRuleset;
  readonly diagnostics: ParseDiagnostic[];
}

/** A CST subtree's tokens in source order, line breaks dropped. */
function tokensOf(node: CstNode): IToken[] {
  const out: IToken[] = [];
  const walk = (n: CstNode): void => {
    for (const list of Object.values(n.children)) for (const x of list) ("image" in x ? out.push(x) : walk(x));
  };
  walk(node);
  return out.filter((t) => t.tokenType.name !== "Newline").sort((a, b) => a.startOffset - b.startOffset);
}

function children(node: CstNode, ...names: string[]): CstNode[] {
  // Sorted for determinism: chevrotain groups children by kind; commands apply in document order.
  return names.flatMap((n) => (node.children[n] ?? []) as CstNode[]).sort((a, b) => a.location!.startOffset - b.location!.startOffset);
}

class Builder {
  readonly tables = new Map<string, TableBuild>();
  readonly diagnostics: ParseDiagnostic[] = [];
  private sources: SourceMap | null = null;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly dialect: (family: NftFamily, table: string) => NftDialect,
  ) {}

  report(id: string, offset: number, length: number, message: string): void {
    // Positions are converted in exactly one place (STYLE.md rule 6).
    this.sources ??= new SourceMap();
    if (this.sources.text(this.file) === undefined) this.sources.add(this.file, this.text);
    const { line, col } = this.sources.position(this.file, offset);
    this.diagnostics.push({ id, severity: "error", message, span: { file: this.file, start: offset, end: offset + length }, line, col });
  }

  cursor(toks: IToken[]): Cursor {
    return new Cursor(toks, this.text);
  }

  table(family: string, name: string, at: IToken, create: boolean): TableBuild | null {
    const key = `${family} ${name}`;
    let t = this.tables.get(key);
    if (t === undefined && create) {
      if (family !== "ip" && family !== "ip6") throw new NftSyntaxError(`unsupported family '${family}' (ip or ip6)`, at);
      t = { family, name, comment: null, dialect: this.dialect(family, name), sets: new Map(), chains: new Map() };
      this.tables.set(key, t);
    }
    if (t === undefined) throw new NftSyntaxError(`no table ${key}`, at);
    return t;
  }

  guarded(toks: IToken[], f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof NftSyntaxError)) throw e;
      const at = e.token ?? toks[0];
      this.report("nft/syntax", at?.startOffset ?? 0, at?.image.length ?? 0, e.message);
    }
  }

  command(node: CstNode): void {
    const toks = tokensOf(node);
    this.guarded(toks, () => this.applyCommand(toks));
  }

  private applyCommand(toks: IToken[]): void {
    const c = this.cursor(toks);
    const verb = c.next("add, delete or flush");
    const kind = c.next("an object kind");
    const family = c.next("a family");
    const tname = c.next("a table name");
    const t = this.table(family, tname, toks[2]!, verb === "add" && kind === "table");
    if (t === null) return;
    if (kind === "table") return this.tableCommand(verb, t, c);
    if (verb !== "add") return c.fail(`'add' (only tables are deleted or flushed)`);
    const name = c.next("a name");
    if (kind === "chain") parseChainAttrs(c, this.declare(t, name));
    else if (kind === "set" || kind === "map") t.sets.set(name, parseSetAttrs(c, kind, name));
    else if (kind === "rule") this.chainOf(t, name, toks[4]!).rules.push({ ...parseRuleBody(c), line: toks[0]!.startLine! });
    else if (kind === "element") {
      const set = t.sets.get(name);
      if (set === undefined) throw new NftSyntaxError(`no set or map ${name} in table ${family} ${tname}`, toks[4]!);
      set.elements.push(...parseElements(c));
    } else c.fail("table, chain, set, map, rule or element");
  }

  private tableCommand(verb: string, t: TableBuild, c: Cursor): void {
    if (verb === "delete") this.tables.delete(`${t.family} ${t.name}`);
    else if (verb === "flush") for (const ch of t.chains.values()) ch.rules.length = 0;
    else if (c.peek() === "{") {
      c.i++;
      while (c.peek() !== "}") {
        if (c.peek() === ";") c.i++;
        else if (c.next("comment or '}'") === "comment") t.comment = unquote(c.next("a comment"));
        else c.fail("comment");
      }
    }
  }

  private declare(t: TableBuild, name: string): ChainBuild {
    const ch = t.chains.get(name) ?? { name, base: null, comment: null, rules: [] };
    t.chains.set(name, ch);
    return ch;
  }

  private chainOf(t: TableBuild, name: string, at: IToken): ChainBuild {
    const ch = t.chains.get(name);
    if (ch === undefined) throw new NftSyntaxError(`no chain ${name} in table ${t.family} ${t.name}`, at);
    return ch;
  }

  tableBlock(node: CstNode): void {
    const words = (node.children["AnyWord"] ?? []) as IToken[];
    let t: TableBuild | null = null;
    this.guarded(words, () => (t = this.table(words[0]!.image, words[1]!.image, words[0]!, true)));
    if (t === null) return;
    const table: TableBuild = t;
    for (const n of children(node, "tableComment", "setBlock", "chainBlock")) {
      const toks = tokensOf(n);
      this.guarded(toks, () => {
        const c = this.cursor(toks);
        const kind = c.next("comment, set, map or chain");
        if (kind === "comment") table.comment = unquote(c.next("a comment"));
        else if (kind === "chain") this.chainBlock(table, n, c.next("a chain name"));
        else {
          const name = c.next("a set name");
          table.sets.set(name, parseSetAttrs(c, kind === "map" ? "map" : "set", name));
        }
      });
    }
  }

  private chainBlock(t: TableBuild, node: CstNode, name: string): void {
    const built = this.declare(t, name);
    for (const line of children(node, "ruleLine")) {
      const toks = tokensOf(line);
      this.guarded(toks, () => {
        const c = this.cursor(toks);
        // A chain's own lines come first: `comment "…"` and `type … hook … priority …; policy …;`.
        if (built.rules.length === 0 && (c.peek() === "comment" || c.peek() === "type")) return parseChainAttrs(c, built);
        built.rules.push({ ...parseRuleBody(c), line: toks[0]!.startLine! });
      });
    }
  }
}

/** Parse nft text of either form; the ruleset holds what parsed, the diagnostics what did not. */
export function parseNft(text: string, opts: NftParseOptions = {}): NftParseResult {
  const file = opts.file ?? "<input>";
  const b = new Builder(text, file, opts.dialect ?? ((_f, name) => (name === "kube-proxy" ? "knftables" : "felix")));
  const lexed = nftLexer.tokenize(text);
  for (const e of lexed.errors) b.report("nft/lex", e.offset, e.length, text[e.offset] === '"' ? "unterminated quoted string" : `unexpected character '${text[e.offset]}'`);
  nftParser.input = lexed.tokens;
  const cst = nftParser.file();
  for (const e of nftParser.errors) {
    const found = e.token.tokenType.name === "EOF" ? "end of input" : `'${e.token.image}'`;
    b.report("nft/syntax", Number.isFinite(e.token.startOffset) ? e.token.startOffset : text.length, e.token.image.length, `${e.message}, found ${found}`);
  }
  if (b.diagnostics.length === 0) {
    for (const n of children(cst, "command", "tableBlock")) (n.name === "command" ? b.command(n) : b.tableBlock(n));
  }
  const tables = [...b.tables.values()].map((t) => ({ ...t, sets: [...t.sets.values()], chains: [...t.chains.values()] }));
  return { ruleset: { tables }, diagnostics: b.diagnostics };
}
