// iptables-save / iptables-restore / `iptables -S` text → RuleSet, the same
// type the backends build, so that `writeRuleSet(parseRuleSet(t).ruleset) === t`
// for everything netpolc writes (test/ruleset/roundtrip.test.ts).
//
// Pass order: lex in chunks (grammar/iptables-save/tokens.ts) → split tokens
// at Newline → parse each line to a CST (grammar/iptables-save/parser.ts) →
// apply the line to the table being built (this file) → at COMMIT / end of
// input, check jump targets. Not kept: `#` comment lines and `[p:b]` counters
// (the writer prints `[0:0]`), so a real dump round-trips to its normalised form.
import type { IToken } from "chevrotain";
import { iptablesLexer, iptablesSaveParser, Newline } from "../../grammar/iptables-save/index.js";
import type { AppendRuleCstNode, ChainDeclCstNode, LineCstNode } from "../../grammar/iptables-save/index.js";
import type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
import { SourceMap } from "../diagnostics/sources.js";
import { cachedLines, lexMessage, parseMessage, scanLines, type LineSink } from "./parse-lines.js";
import { buildRule, KNOWN_TARGETS } from "./parse-rule.js";
import { RULE_HASH_LENGTH, RULE_HASH_PREFIX } from "./felix.js";
import type { RuleIssue } from "./parse-rule.js";
import { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain } from "./types.js";
import type { Chain, Rule, RuleSet, Table, TableName } from "./types.js";

export { KNOWN_MODULES, KNOWN_TARGETS, QUOTED_OPTIONS } from "./parse-rule.js";

/** A Diagnostic with its 1-based position already resolved (via src/diagnostics/sources.ts). */
export interface ParseDiagnostic extends Diagnostic {
  readonly line: number;
  readonly col: number;
}

export interface ParseOptions {
  /** File name for spans and messages; "<input>" if absent. */
  readonly file?: string;
  /** Table for header-less `iptables -S` lines; iptables' own default is filter. */
  readonly defaultTable?: TableName;
  /** `-A` lines already parsed by another parse of the same run (RuleLineCache). */
  readonly lines?: RuleLineCache;
}

/** What an `-A` line that parsed without a diagnostic gave: applied again as is, at another line and offset. */
interface ParsedAppend {
  readonly chain: string;
  readonly rule: Rule;
  /** The jump-target check's entry (`-g NAME` or NAME) and where its name starts, from the line's start. */
  readonly jump: readonly [string, number] | null;
}

/**
 * A Felix line parsed once, for the lines that differ from it only in their chain's name and their `cali:` hash:
 * the rule, where the hash's argument sits in it, and its jump check's offset from the end of the chain's name.
 */
interface HashedTemplate {
  readonly rule: Omit<Rule, "line">;
  readonly part: number;
  readonly option: number;
  readonly jump: readonly [string, number] | null;
}

/** The 16 characters of `"cali:` + hash` as the lexer reads them inside quotes, whichever they are (base64url). */
const HASH_CHAR = /^[A-Za-z0-9_-]$/;
const HASH_OPEN = `--comment "${RULE_HASH_PREFIX}`;
/** A Felix chain's name, which the lexer reads as one Word whatever its letters (no quote, colon, space or `!`; not COMMIT). */
const FELIX_CHAIN = /^cali-[A-Za-z0-9_.+-]+$/;

/**
 * Where an `-A` line (from `at` to `end`) names its chain and its Felix hash: `-A cali-NAME … --comment "cali:HASH" …`,
 * the first such comment, its hash 16 base64url characters closed by a quote and then a space or the line's end.
 * The key is the line without the name and the hash. Null for any other line.
 */
function hashedShape(text: string, at: number, end: number): { readonly key: string; readonly nameEnd: number; readonly hashAt: number } | null {
  const nameEnd = text.indexOf(" ", at + 3);
  if (nameEnd < 0 || nameEnd >= end || !FELIX_CHAIN.test(text.slice(at + 3, nameEnd))) return null;
  const open = text.indexOf(HASH_OPEN, nameEnd);
  if (open < 0) return null;
  const hashAt = open + HASH_OPEN.length;
  const close = hashAt + RULE_HASH_LENGTH;
  if (close >= end || text.charCodeAt(close) !== 34 || (close + 1 < end && text.charCodeAt(close + 1) !== 32)) return null;
  for (let i = hashAt; i < close; i++) if (!HASH_CHAR.test(text[i]!)) return null;
  return { key: text.slice(nameEnd, hashAt) + text.slice(close, end), nameEnd, hashAt };
}

/**
 * `-A` lines by their text, parsed once for every parse that is given the
 * cache: verify reads every node's file, and most of their lines — kube-proxy's
 * service chains, the policy chains — are the same on every node. Owned by the
 * caller and dropped with it. A line is kept only when it parsed without a
 * diagnostic; a cached line is applied as parsing it would (its chain must be
 * declared in the table being built, else it is parsed for the error), so the
 * result and the diagnostics are those of a parse without the cache.
 */
export class RuleLineCache {
  readonly appends = new Map<string, ParsedAppend>();
  /** Felix's hashed `-A` lines by their text without the chain's name and the hash (hashedShape): each endpoint chain's lines are its own by those two alone. */
  readonly hashed = new Map<string, HashedTemplate>();
  private readonly strings = new Map<string, string>();

  /**
   * The run's one copy of a word of a parsed rule. A token's text is a slice of the text it was lexed from, and a
   * slice keeps all of that text alive (V8): rules kept for a whole verify would keep every node's output. The copy
   * kept is a slice of a fresh string of its own length, shared by every rule that has the word.
   */
  own(s: string): string {
    let kept = this.strings.get(s);
    if (kept === undefined) {
      kept = ownCopy(s);
      this.strings.set(kept, kept);
    }
    return kept;
  }
}

export interface ParseResult {
  readonly ruleset: RuleSet;
  readonly diagnostics: ParseDiagnostic[];
  /** Match modules outside KNOWN_MODULES, kept as generic parts (sorted, unique). */
  readonly unknownModules: string[];
  /** Jump targets that are neither KNOWN_TARGETS nor a chain of their table (sorted, unique). */
  readonly unknownTargets: string[];
}

/** `file:line:col: message`, the shape editors and the brief's examples use. */
export function formatParseDiagnostic(d: ParseDiagnostic): string {
  return `${d.span?.file ?? "<input>"}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

interface ChainBuild {
  readonly name: string;
  policy: string | null;
  readonly rules: Rule[];
}

interface TableBuild {
  readonly name: TableName;
  readonly chains: Map<string, ChainBuild>;
  /** Jump targets to check once every chain of the table is declared: [name, offset]. */
  readonly jumps: Array<[string, number]>;
}

const TABLE_NAMES: ReadonlySet<string> = new Set(TABLE_ORDER);
const KNOWN_TARGET_SET: ReadonlySet<string> = new Set(KNOWN_TARGETS);

class RuleSetBuilder {
  readonly tables = new Map<TableName, TableBuild>();
  readonly diagnostics: ParseDiagnostic[] = [];
  readonly unknownModules = new Set<string>();
  readonly unknownTargets = new Set<string>();
  /** The table between `*name` and COMMIT; null outside one. */
  open: TableBuild | null = null;
  lineNo = 0;
  /** Offset of the current line's end, where "expected … at end of line" errors point. */
  lineEnd = 0;
  private sources: SourceMap | null = null;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly defaultTable: TableName,
    /** The words rules keep, made the run's own (RuleLineCache.own) or kept as lexed. */
    readonly ownText: (s: string) => string = (s) => s,
  ) {}

  report(severity: Severity, id: string, offset: number, length: number, message: string): void {
    // Positions are converted in exactly one place (STYLE.md rule 6); built lazily since errors are rare.
    this.sources ??= new SourceMap();
    if (this.sources.text(this.file) === undefined) this.sources.add(this.file, this.text);
    const at = Number.isFinite(offset) ? offset : this.lineEnd;
    const { line, col } = this.sources.position(this.file, at);
    const span = { file: this.file, start: at, end: at + Math.max(length, 0) };
    this.diagnostics.push({ id, severity, message, span, line, col });
  }

  /** The table a command applies to: the open one, or the implicit table of header-less `iptables -S` text. */
  private commandTable(): TableBuild {
    if (this.open) return this.open;
    return this.tableNamed(this.defaultTable);
  }

  private tableNamed(name: TableName): TableBuild {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = { name, chains: new Map(), jumps: [] }));
    return t;
  }

  line(cst: LineCstNode, base: number): void {
    const c = cst.children;
    if (c.tableHeader) {
      const word = c.tableHeader[0]!.children.Word[0]!;
      this.openTable(word, base);
    } else if (c.chainDecl) this.declare(c.chainDecl[0]!, base);
    else if (c.Commit) this.commit(c.Commit[0]!, base);
    else if (c.appendRule) this.append(c.appendRule[0]!, base);
    else if (c.newChain) {
      const name = c.newChain[0]!.children.Word[0]!;
      this.addChain(this.commandTable(), name, null, base);
    } else if (c.setPolicy) {
      const [name, policy] = c.setPolicy[0]!.children.Word as [IToken, IToken];
      this.setBuiltinPolicy(this.commandTable(), name, policy, base);
    }
  }

  private openTable(word: IToken, base: number): void {
    const at = base + word.startOffset;
    if (this.open) this.report("error", "iptables/missing-commit", at, word.image.length, `expected COMMIT before the next table (table ${this.open.name} is still open)`);
    if (!TABLE_NAMES.has(word.image)) {
      this.report("error", "iptables/unknown-table", at, word.image.length, `unknown table '${word.image}'; expected one of ${TABLE_ORDER.join(", ")}`);
      this.open = null;
      return;
    }
    const name = word.image as TableName;
    if (this.tables.has(name)) this.report("error", "iptables/duplicate-table", at, word.image.length, `table ${name} appears more than once`);
    this.open = this.tableNamed(name);
  }

  private declare(node: ChainDeclCstNode, base: number): void {
    const [name, policy] = node.children.Word as [IToken, IToken];
    if (!this.open) {
      this.report("error", "iptables/outside-table", base + name.startOffset, name.image.length, `chain declaration outside a table; expected *table first`);
      return;
    }
    if (isBuiltinChain(name.image)) this.setBuiltinPolicy(this.open, name, policy, base);
    else if (policy.image !== "-") {
      this.report("error", "iptables/chain-policy", base + policy.startOffset, policy.image.length, `user-defined chain ${name.image} cannot have a policy; expected '-'`);
    } else this.addChain(this.open, name, null, base);
  }

  private addChain(table: TableBuild, name: IToken, policy: string | null, base: number): ChainBuild | null {
    if (table.chains.has(name.image)) {
      this.report("error", "iptables/duplicate-chain", base + name.startOffset, name.image.length, `chain ${name.image} is declared twice in table ${table.name}`);
      return null;
    }
    const chain: ChainBuild = { name: this.ownText(name.image), policy, rules: [] };
    table.chains.set(name.image, chain);
    return chain;
  }

  private setBuiltinPolicy(table: TableBuild, name: IToken, policy: IToken, base: number): void {
    const at = base + name.startOffset;
    if (!BUILTIN_CHAINS[table.name].includes(name.image)) {
      this.report("error", "iptables/not-builtin", at, name.image.length, `${name.image} is not a built-in chain of table ${table.name}`);
      return;
    }
    if (policy.image !== "ACCEPT" && policy.image !== "DROP") {
      this.report("error", "iptables/chain-policy", base + policy.startOffset, policy.image.length, `expected policy ACCEPT or DROP for built-in chain ${name.image}, found '${policy.image}'`);
      return;
    }
    const existing = table.chains.get(name.image);
    if (!existing) this.addChain(table, name, policy.image, base);
    else if (this.open) this.addChain(table, name, null, base); // a second `:` line: reports the duplicate
    else existing.policy = policy.image; // `-P` of header-less `iptables -S` text
  }

  private append(node: AppendRuleCstNode, base: number): void {
    const table = this.commandTable();
    const name = node.children.Word[0]!;
    let chain = table.chains.get(name.image);
    // iptables-restore lets rules go to a built-in chain with no `:` line; it keeps its default policy.
    if (!chain && BUILTIN_CHAINS[table.name].includes(name.image)) chain = this.addChain(table, name, "ACCEPT", base) ?? undefined;
    if (!chain) {
      this.report("error", "iptables/undeclared-chain", base + name.startOffset, name.image.length, `chain ${name.image} is not declared in table ${table.name}`);
      return;
    }
    const issues: RuleIssue[] = [];
    const rule = buildRule(node.children.ruleItem ?? [], this.lineNo, issues, this.ownText);
    for (const i of issues) {
      if (i.kind === "unknown-module") this.unknownModules.add(i.name);
      this.report(i.severity, `iptables/${i.kind}`, base + i.token.startOffset, i.token.image.length, i.message);
    }
    const target = rule.rule.target;
    const jump = target ? ([target.kind === "goto" ? `-g ${target.name}` : target.name, base + rule.targetOffset] as const) : null;
    if (jump) table.jumps.push([jump[0], jump[1]]);
    chain.rules.push(rule.rule);
    if (issues.length === 0) this.appended = { chain: chain.name, rule: rule.rule, jump };
  }

  /** The `-A` line just applied, when it raised no issue (for RuleLineCache); reset by the driver. */
  appended: { readonly chain: string; readonly rule: Rule; readonly jump: readonly [string, number] | null } | null = null;

  /**
   * A user chain declared by a plain `:NAME - [p:b]` line that declare() would take without a word to say (a table
   * is open, the name is no built-in and not declared yet); false when it would say something (parse the line).
   */
  declarePlain(name: string): boolean {
    const table = this.open;
    if (table === null || isBuiltinChain(name) || table.chains.has(name)) return false;
    // The run's own copy: the name is a slice of the text, and a chain kept for the run would keep all of it.
    const own = this.ownText(name);
    table.chains.set(own, { name: own, policy: null, rules: [] });
    return true;
  }

  /** Apply a cached `-A` line at `lineNo`, the line starting at `start`; false when its chain is not declared here (parse it instead). */
  applyCached(p: ParsedAppend, start: number, lineNo: number): boolean {
    const table = this.commandTable();
    const chain = table.chains.get(p.chain);
    if (!chain) return false;
    if (p.jump) table.jumps.push([p.jump[0], start + p.jump[1]]);
    const r = p.rule;
    // Built as buildRule builds it (one object shape for every parsed rule); a spread copy was most of this call.
    chain.rules.push(r.comments === undefined && r.origin === undefined ? { parts: r.parts, target: r.target, line: lineNo } : { ...r, line: lineNo });
    return true;
  }

  private commit(tok: IToken, base: number): void {
    if (!this.open) {
      this.report("error", "iptables/outside-table", base + tok.startOffset, tok.image.length, "COMMIT without a table; expected *table first");
      return;
    }
    this.checkJumps(this.open);
    this.open = null;
  }

  /** Deferred to COMMIT because `iptables -S` and hand-written input may declare a chain after its first use. */
  checkJumps(table: TableBuild): void {
    for (const [target, at] of table.jumps) {
      const isGoto = target.startsWith("-g ");
      const name = isGoto ? target.slice(3) : target;
      if (table.chains.has(name)) continue;
      if (isGoto) {
        this.report("error", "iptables/undeclared-chain", at, name.length, `-g target ${name} is not a chain of table ${table.name}`);
      } else if (!KNOWN_TARGET_SET.has(name)) {
        this.unknownTargets.add(name);
        this.report("warning", "iptables/unknown-target", at, name.length, `unknown target ${name}: not a standard target nor a chain of table ${table.name}`);
      }
    }
    table.jumps.length = 0;
  }

  finish(): RuleSet {
    if (this.open) {
      this.lineEnd = this.text.length;
      this.report("error", "iptables/missing-commit", this.text.length, 0, `expected COMMIT at end of input (table ${this.open.name} is still open)`);
    }
    for (const t of this.tables.values()) this.checkJumps(t);
    // Sorted for determinism: tables in the writer's fixed order, whatever order the input had.
    const tables: Table[] = [...this.tables.values()]
      .sort((a, b) => TABLE_ORDER.indexOf(a.name) - TABLE_ORDER.indexOf(b.name))
      .map((t) => ({ name: t.name, chains: [...t.chains.values()].map((c): Chain => ({ name: c.name, policy: c.policy, rules: c.rules })) }));
    return { tables };
  }
}

/** Parse one line's tokens (no Newline) and apply it; a line with a lexing error is reported, not parsed. */
function parseLine(b: RuleSetBuilder, tokens: IToken[], base: number): void {
  iptablesSaveParser.input = tokens;
  const cst = iptablesSaveParser.line() as LineCstNode;
  const errors = iptablesSaveParser.errors;
  if (errors.length > 0) {
    const e = errors[0]!;
    const at = e.token.tokenType.name === "EOF" ? NaN : base + e.token.startOffset;
    b.report("error", "iptables/syntax", at, e.token.image.length, parseMessage(e));
    return;
  }
  b.line(cst, base);
}

/**
 * A string that does not keep `s`'s text alive: a slice of a long string is a view of all of it (V8), and a key the
 * cache keeps for the whole run would keep every node's text. The copy is a slice of a fresh short string.
 */
const ownCopy = (s: string): string => (" " + s).slice(1);

/**
 * `:NAME - [p:b]` exactly as iptables-save prints a user chain: a name the lexer reads as one Word (it starts with
 * a letter, digit or `_` and holds no space, quote or colon), a `-` policy, counters, nothing after.
 */
const PLAIN_DECLARATION = /^:([A-Za-z0-9_][A-Za-z0-9_.+\-]*) - \[\d+:\d+\]$/;

/**
 * A line just parsed without a diagnostic, kept as its shape's template when it has the shape and the hash is the
 * argument of exactly one option of the rule (nothing else of the line can hold it: the key keeps the rest).
 */
function keepTemplate(cache: RuleLineCache, text: string, start: number, end: number, rule: Omit<Rule, "line">, jump: readonly [string, number] | null): void {
  const shape = hashedShape(text, start, end);
  if (shape === null || cache.hashed.has(shape.key)) return;
  const arg = RULE_HASH_PREFIX + text.slice(shape.hashAt, shape.hashAt + RULE_HASH_LENGTH);
  let part = -1;
  let option = -1;
  let count = 0;
  for (let pi = 0; pi < rule.parts.length; pi++) {
    const p = rule.parts[pi]!;
    if (p.kind !== "match") continue;
    for (let oi = 0; oi < p.options.length; oi++) {
      const o = p.options[oi]!;
      for (const a of o.args) {
        if (a !== arg) continue;
        count++;
        if (o.args.length === 1) [part, option] = [pi, oi];
      }
    }
  }
  if (count !== 1 || part < 0) return;
  cache.hashed.set(ownCopy(shape.key), { rule, part, option, jump: jump ? [jump[0], jump[1] - shape.nameEnd] : null });
}

const HASH_ARG_CODES: readonly number[] = [...RULE_HASH_PREFIX].map((c) => c.charCodeAt(0));

/**
 * `cali:` + the hash at `at`, as a flat string of its own: not a slice (which would keep the node's text alive) and
 * not interned (every hash is its own, and an endpoint rule's is one of millions at scale).
 */
function hashArg(text: string, at: number): string {
  const codes = HASH_ARG_CODES.slice();
  for (let i = 0; i < RULE_HASH_LENGTH; i++) codes.push(text.charCodeAt(at + i));
  return String.fromCharCode(...codes);
}

/** The line as a template gives it: the template's rule with this line's hash, for this line's chain; undefined if none fits. */
function fromTemplate(cache: RuleLineCache, text: string, at: number, end: number): ParsedAppend | undefined {
  const shape = hashedShape(text, at, end);
  const t = shape === null ? undefined : cache.hashed.get(shape.key);
  if (shape === null || t === undefined) return undefined;
  const parts = t.rule.parts.slice();
  const p = parts[t.part]!;
  if (p.kind !== "match") return undefined;
  const options = p.options.slice();
  options[t.option] = { ...options[t.option]!, args: [hashArg(text, shape.hashAt)] };
  parts[t.part] = { ...p, options };
  return {
    chain: cache.own(text.slice(at + 3, shape.nameEnd)),
    rule: { ...t.rule, parts },
    jump: t.jump ? [t.jump[0], t.jump[1] + (shape.nameEnd - at)] : null,
  };
}

export function parseRuleSet(text: string, opts: ParseOptions = {}): ParseResult {
  const shared = opts.lines;
  const b = new RuleSetBuilder(text, opts.file ?? "<input>", opts.defaultTable ?? "filter", shared ? (s) => shared.own(s) : undefined);
  const cache = opts.lines?.appends ?? null;
  const sink: LineSink = {
    line(tokens, base, lineNo, lineEnd) {
      b.lineNo = lineNo;
      b.lineEnd = lineEnd;
      b.appended = null;
      parseLine(b, tokens, base);
      // A whole line from its first column, parsed without a diagnostic: kept for the next parse.
      const start = base + tokens[0]!.startOffset;
      const got = b.appended as ParsedAppend | null;
      if (cache !== null && got !== null && (start === 0 || text.charCodeAt(start - 1) === 10)) {
        const { line: _, ...rule } = got.rule;
        cache.set(ownCopy(text.slice(start, lineEnd)), { chain: got.chain, rule, jump: got.jump ? [got.jump[0], got.jump[1] - start] : null });
        keepTemplate(shared!, text, start, lineEnd, rule, got.jump);
      }
    },
    lexError(offset, length, lineNo, lineEnd) {
      b.lineEnd = lineEnd;
      b.report("error", "iptables/lex", offset, length, lexMessage(text, offset));
    },
  };
  if (cache === null) scanLines(iptablesLexer, Newline, text, sink);
  else {
    // Lines in the cache are applied; the runs of lines between them are lexed and parsed as usual.
    cachedLines(
      text,
      (at, end, lineNo, flush) => {
        const append = text.startsWith("-A ", at);
        let hit = append ? cache.get(text.slice(at, end)) : undefined;
        if (hit === undefined && append) hit = fromTemplate(shared!, text, at, end);
        // A user chain's declaration in iptables-save's own spelling (most lines of a node that are not in the cache).
        const plain = hit === undefined && text.charCodeAt(at) === 58 ? PLAIN_DECLARATION.exec(text.slice(at, end)) : null;
        if (hit === undefined && plain === null) return false;
        flush();
        b.lineNo = lineNo;
        b.lineEnd = end;
        return hit !== undefined ? b.applyCached(hit, at, lineNo) : b.declarePlain(plain![1]!);
      },
      (from, to, lineNo) => scanLines(iptablesLexer, Newline, text, sink, from, to, lineNo),
    );
  }
  const ruleset = b.finish();
  // Sorted for determinism by position (jump-target warnings are found at COMMIT, after later lines' errors).
  const diagnostics = [...b.diagnostics].sort((x, y) => (x.span?.start ?? 0) - (y.span?.start ?? 0));
  return { ruleset, diagnostics, unknownModules: [...b.unknownModules].sort(), unknownTargets: [...b.unknownTargets].sort() };
}
