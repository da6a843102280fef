// `ipset save` / `ipset restore` text → IpSet[], the type writeIpSets prints,
// so `writeIpSets(parseIpSets(t).sets) === t` for netpolc's output.
//
// Lines are applied in order with restore semantics (create, add, del, flush,
// destroy, swap), as Felix's own restore input uses all of them. Not kept:
// comments, `-exist`/`-!` (they only silence errors), and per-member extras
// such as `timeout 0` or `comment "…"` (warned about: IpSetMember has no field for them).
import type { IToken } from "chevrotain";
import { ipsetLexer, ipsetParser, Newline, tokens as T } from "../../grammar/ipset/index.js";
import type { LineCstNode } from "../../grammar/ipset/index.js";
import type { Severity } from "../diagnostics/diagnostic.js";
import { SourceMap } from "../diagnostics/sources.js";
import type { IpSet, IpSetMember, IpSetType } from "./ipset.js";
import { lexMessage, parseMessage, scanLines } from "./parse-lines.js";
import type { ParseDiagnostic } from "./parser.js";

export interface IpSetParseResult {
  /** In creation order (writeIpSets sorts by name). */
  readonly sets: IpSet[];
  readonly diagnostics: ParseDiagnostic[];
}

const SET_TYPES: ReadonlySet<string> = new Set<IpSetType>(["hash:net", "hash:ip", "hash:ip,port", "hash:net,port", "hash:ip,port,ip", "bitmap:port"]);

interface SetBuild {
  name: string;
  readonly type: IpSetType;
  readonly options: string[];
  /** Keyed by member text: `add` of an existing member replaces it, as the kernel does. */
  members: Map<string, IpSetMember>;
}

class IpSetBuilder {
  readonly sets = new Map<string, SetBuild>();
  readonly diagnostics: ParseDiagnostic[] = [];
  lineEnd = 0;
  private sources: SourceMap | null = null;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  report(severity: Severity, id: string, offset: number, length: number, message: string): void {
    this.sources ??= new SourceMap();
    if (this.sources.text(this.file) === undefined) this.sources.add(this.file, this.text);
    const at = Number.isFinite(offset) ? offset : this.lineEnd;
    const { line, col } = this.sources.position(this.file, at);
    this.diagnostics.push({ id, severity, message, span: { file: this.file, start: at, end: at + Math.max(length, 0) }, line, col });
  }

  private at(tok: IToken, base: number, severity: Severity, id: string, message: string): void {
    this.report(severity, id, base + tok.startOffset, tok.image.length, message);
  }

  /** The set a command names; reports when it was never created. */
  private named(tok: IToken, base: number): SetBuild | null {
    const s = this.sets.get(tok.image);
    if (!s) this.at(tok, base, "error", "ipset/unknown-set", `set ${tok.image} is not created (expected a create line before it)`);
    return s ?? null;
  }

  line(cst: LineCstNode, base: number): void {
    const c = cst.children;
    const exist = c.Flag?.some((f) => f.image === "-exist" || f.image === "-!") ?? false;
    if (c.create) {
      const [name, type] = c.create[0]!.children.Word as [IToken, IToken];
      this.create(name, type, c.create[0]!.children.Arg ?? [], base, exist);
    } else if (c.add || c.del) {
      const node = (c.add ?? c.del)![0]!;
      const [name, member] = node.children.Word as [IToken, IToken];
      const set = this.named(name, base);
      if (!set) return;
      if (c.del) set.members.delete(member.image);
      else set.members.set(member.image, this.member(member, node.children.Arg ?? [], base));
    } else if (c.flush || c.destroy) {
      const name = (c.flush ?? c.destroy)![0]!.children.Word?.[0];
      const targets = name ? [this.named(name, base)] : [...this.sets.values()];
      for (const s of targets) if (s && c.flush) s.members = new Map();
      for (const s of targets) if (s && c.destroy) this.sets.delete(s.name);
    } else if (c.swap) {
      const [a, b] = c.swap[0]!.children.Word as [IToken, IToken];
      const sa = this.named(a, base);
      const sb = this.named(b, base);
      if (!sa || !sb) return;
      // swap exchanges contents under the names (ipset(8)): rename both entries.
      this.sets.set(a.image, Object.assign(sb, { name: a.image }));
      this.sets.set(b.image, Object.assign(sa, { name: b.image }));
    }
  }

  private create(name: IToken, type: IToken, args: readonly IToken[], base: number, exist: boolean): void {
    if (!SET_TYPES.has(type.image)) {
      this.at(type, base, "error", "ipset/unknown-type", `unsupported set type '${type.image}'; expected one of ${[...SET_TYPES].join(", ")}`);
      return;
    }
    const options: string[] = [];
    let lineExist = exist;
    for (const a of args) {
      if (a.tokenType === T.Flag) lineExist ||= a.image === "-exist" || a.image === "-!";
      else options.push(a.image);
    }
    if (this.sets.has(name.image)) {
      if (!lineExist) this.at(name, base, "error", "ipset/duplicate-set", `set ${name.image} is created twice (use -exist to allow it)`);
      return;
    }
    this.sets.set(name.image, { name: name.image, type: type.image as IpSetType, options, members: new Map() });
  }

  private member(value: IToken, args: readonly IToken[], base: number): IpSetMember {
    let nomatch = false;
    const dropped: string[] = [];
    for (const a of args) {
      if (a.image === "nomatch") nomatch = true;
      else if (a.tokenType !== T.Flag) dropped.push(a.image);
    }
    if (dropped.length > 0) {
      this.at(args[0]!, base, "warning", "ipset/member-option", `member options '${dropped.join(" ")}' are not kept`);
    }
    return nomatch ? { value: value.image, nomatch } : { value: value.image };
  }
}

export function parseIpSets(text: string, opts: { file?: string } = {}): IpSetParseResult {
  const b = new IpSetBuilder(text, opts.file ?? "<input>");
  scanLines(ipsetLexer, Newline, text, {
    line(tokens, base, _lineNo, lineEnd) {
      b.lineEnd = lineEnd;
      ipsetParser.input = tokens;
      const cst = ipsetParser.line() as LineCstNode;
      const e = ipsetParser.errors[0];
      if (!e) return b.line(cst, base);
      const at = e.token.tokenType.name === "EOF" ? NaN : base + e.token.startOffset;
      b.report("error", "ipset/syntax", at, e.token.image.length, parseMessage(e));
    },
    lexError(offset, length, _lineNo, lineEnd) {
      b.lineEnd = lineEnd;
      b.report("error", "ipset/lex", offset, length, lexMessage(text, offset));
    },
  });
  const sets = [...b.sets.values()].map((s): IpSet => ({ name: s.name, type: s.type, options: s.options, members: [...s.members.values()] }));
  return { sets, diagnostics: b.diagnostics };
}
