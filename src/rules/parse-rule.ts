// The words of one `-A` line (after the chain name) → a Rule. Split from
// parser.ts, which owns tables, chains and positions; this file owns what a
// flag means inside a rule.
import type { IToken, TokenType } from "chevrotain";
import { tokens as T } from "../../grammar/iptables-save/index.js";
import type { RuleItemCstNode } from "../../grammar/iptables-save/index.js";
import type { Severity } from "../diagnostics/diagnostic.js";
import type { HeadKind, Rule, RuleOption, RulePart, Target } from "./types.js";

/** Match modules netpolc's backends (and kube-proxy dumps we compare against) use; others are flagged. */
export const KNOWN_MODULES: ReadonlySet<string> = new Set([
  "addrtype", "comment", "conntrack", "icmp", "icmp6", "limit", "mark", "multiport", "physdev",
  "recent", "rpfilter", "sctp", "set", "state", "statistic", "tcp", "udp",
]);

/** Standard targets; any other -j name must be a chain declared in the same table. */
export const KNOWN_TARGETS: readonly string[] = [
  "ACCEPT", "DNAT", "DROP", "LOG", "MARK", "MASQUERADE", "NFLOG", "NOTRACK", "REJECT", "RETURN", "SNAT",
];

/** Options whose argument iptables prints with xtables_save_string (quoted unless [A-Za-z0-9_-]+). */
export const QUOTED_OPTIONS: ReadonlySet<string> = new Set(["comment", "log-prefix", "nflog-prefix"]);

/**
 * Protocols whose match iptables loads implicitly after `-p`, so restore input
 * may say `-p tcp --dport 80`; iptables-save prints it back as `-p tcp -m tcp --dport 80`
 * (iptables/xshared.c load_proto).
 */
const IMPLICIT_PROTO_MATCH: ReadonlySet<string> = new Set(["tcp", "udp", "sctp", "icmp", "udplite", "dccp"]);

const HEAD_KIND: ReadonlyMap<TokenType, HeadKind> = new Map<TokenType, HeadKind>([
  [T.Source, "source"],
  [T.Destination, "destination"],
  [T.InInterface, "in-interface"],
  [T.OutInterface, "out-interface"],
  [T.Protocol, "protocol"],
]);

export interface RuleIssue {
  readonly kind: "unknown-module" | "misplaced-option" | "second-target";
  readonly severity: Severity;
  readonly token: IToken;
  readonly name: string;
  readonly message: string;
}

export interface BuiltRule {
  readonly rule: Rule;
  /** Offset (in the lexed chunk) of the -j/-g name, for the jump-target check. */
  readonly targetOffset: number;
}

/** `"a \"b\" c"` → `a "b" c`: iptables-restore's tokenizer drops the quotes and each escaping backslash. */
export function unquote(image: string): string {
  const body = image.slice(1, -1);
  return body.includes("\\") ? body.replace(/\\(.)/g, "$1") : body;
}

function optionArgs(tokens: readonly IToken[] | undefined, own: (s: string) => string): string[] {
  // Mapped, not pushed: an array grown by push keeps room for 17 (a verify of 500 nodes holds millions of these).
  return tokens ? tokens.map((tok) => own(tok.tokenType === T.QuotedString ? unquote(tok.image) : tok.image)) : [];
}

/**
 * The rule's arrays at their own size. They are built by push, and V8 gives an array grown from empty room for 17
 * elements: a parsed rule (a parts array, an options array per match and target) kept ~1 KiB of empty slots, most of
 * what the rules of a 50k-pod verify held.
 */
function exact(parts: readonly RulePart[], target: Target | null): { parts: RulePart[]; target: Target | null } {
  const own = parts.map((p): RulePart => (p.kind === "match" ? { kind: "match", module: p.module, options: p.options.slice() } : p));
  const t: Target | null = target === null || target.kind === "goto" ? target : { kind: "jump", name: target.name, options: target.options.slice() };
  return { parts: own, target: t };
}

/**
 * Options attach to the most recent `-m` or `-j`. A head flag (-s/-d/-i/-o/-p)
 * ends that run: iptables-save never prints one after a match, and in restore
 * input an option after `-p tcp` belongs to tcp's implicit match.
 */
export function buildRule(items: readonly RuleItemCstNode[], line: number, issues: RuleIssue[], ownText: (s: string) => string = (s) => s): BuiltRule {
  const parts: RulePart[] = [];
  let target: Target | null = null;
  let targetOffset = 0;
  let options: RuleOption[] | null = null;
  let protocol: string | null = null;
  for (const item of items) {
    const c = item.children;
    const negated = c.Bang !== undefined;
    const word = c.Word?.[0];
    if (c.HeadFlag) {
      const kind = HEAD_KIND.get(c.HeadFlag[0]!.tokenType)!;
      parts.push({ kind, negated, value: ownText(word!.image) });
      protocol = kind === "protocol" && !negated ? word!.image : protocol;
      options = null;
    } else if (c.LongOpt) {
      const tok = c.LongOpt[0]!;
      const name = tok.image.slice(2);
      if (options === null && target === null && protocol !== null && IMPLICIT_PROTO_MATCH.has(protocol)) {
        const implicit: RuleOption[] = [];
        parts.push({ kind: "match", module: protocol, options: implicit });
        options = implicit;
      }
      if (options === null) {
        const message = target?.kind === "goto" ? `-g takes no options, found ${tok.image}` : `option ${tok.image} must follow -m <module> or -j <target>`;
        issues.push({ kind: "misplaced-option", severity: "error", token: tok, name, message });
        continue;
      }
      const args = optionArgs(c.Arg, ownText);
      const named = ownText(name);
      options.push(QUOTED_OPTIONS.has(name) ? { name: named, negated, args, quoted: true } : { name: named, negated, args });
    } else if (c.Match) {
      const module = ownText(word!.image);
      if (!KNOWN_MODULES.has(module)) {
        const message = `unknown match module '${module}' (kept as written)`;
        issues.push({ kind: "unknown-module", severity: "warning", token: word!, name: module, message });
      }
      const own: RuleOption[] = [];
      parts.push({ kind: "match", module, options: own });
      options = own;
    } else {
      const flag = (c.Jump ?? c.Goto)![0]!;
      if (target !== null) {
        issues.push({ kind: "second-target", severity: "error", token: flag, name: word!.image, message: `a rule has one target; found a second ${flag.image}` });
        continue;
      }
      if (c.Jump) {
        const own: RuleOption[] = [];
        target = { kind: "jump", name: ownText(word!.image), options: own };
        options = own;
      } else {
        target = { kind: "goto", name: ownText(word!.image) };
        options = null;
      }
      targetOffset = word!.startOffset;
    }
  }
  const sized = exact(parts, target);
  return { rule: { parts: sized.parts, target: sized.target, line }, targetOffset };
}
