// The one iptables-save / iptables-restore text writer, and the iptables
// renderer that prints the rule model: Felix's chains in iptables-save's order
// and spelling with their `cali:` hashes (felix.ts), everything else as given.
import { RULE_HASH_PREFIX, RuleHasher, escapeComment, felixText } from "./felix.js";
import { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain } from "./types.js";
import type { Chain, Rule, RuleOption, RulePart, RuleSet, Table, Target } from "./types.js";

const HEAD_FLAG: Record<string, string> = {
  source: "-s",
  destination: "-d",
  "in-interface": "-i",
  "out-interface": "-o",
  protocol: "-p",
};

/**
 * iptables' xtables_save_string (libxtables/xtables.c): a string is printed bare
 * only when it is non-empty and made of [A-Za-z0-9_-]; otherwise it is
 * double-quoted with `"` and `\` backslash-escaped.
 */
export function saveString(s: string): string {
  if (s.length > 0 && /^[A-Za-z0-9_-]+$/.test(s)) return s;
  return '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"';
}

/**
 * How a RuleSet is laid out and spelled. Everything netpolc writes is
 * iptables-save text (SAVE_STYLE) except kube-proxy's own restore payload,
 * which the kube-proxy backend prints in its upstream tests' sorted form.
 */
export interface WriteStyle {
  /** "save": tables in TABLE_ORDER, every built-in chain, user chains by strcmp; "given": tables and chains as listed, none added. */
  readonly layout: "save" | "given";
  /**
   * "save": xtables_save_string. "kube-proxy": kube-proxy puts literal quotes into the templates of comments
   * that contain a space and writes one-word comments bare (spec kubeproxy-format §3.0).
   */
  readonly quoting: "save" | "kube-proxy";
}

export const SAVE_STYLE: WriteStyle = { layout: "save", quoting: "save" };

function quote(s: string, style: WriteStyle): string {
  if (style.quoting === "kube-proxy") return s.length > 0 && !/[\s"]/.test(s) ? s : `"${s}"`;
  return saveString(s);
}

// The three functions below run once per rule part of every node (millions
// of times for a large cluster), so they build strings directly instead of
// mapping into arrays and joining.
function writeOption(o: RuleOption, style: WriteStyle): string {
  let s = o.negated ? `! --${o.name}` : `--${o.name}`;
  for (const a of o.args) s += " " + (o.quoted ? quote(a, style) : a);
  return s;
}

function writePart(p: RulePart, style: WriteStyle): string {
  if (p.kind === "match") {
    let s = p.implicit ? "" : `-m ${p.module}`;
    p.options.forEach((o, i) => (s += (p.implicit && i === 0 ? "" : " ") + writeOption(o, style)));
    return s;
  }
  return `${p.negated ? "! " : ""}${HEAD_FLAG[p.kind]} ${p.value}`;
}

function writeTarget(tg: Target, style: WriteStyle): string {
  if (tg.kind === "goto") return `-g ${tg.name}`;
  return [`-j ${tg.name}`, ...tg.options.map((o) => writeOption(o, style))].join(" ");
}

/** One rule's text after `-A <chain>`. */
export function writeRuleBody(r: Rule, style: WriteStyle = SAVE_STYLE): string {
  let s = "";
  r.parts.forEach((p, i) => (s += (i === 0 ? "" : " ") + writePart(p, style)));
  if (r.target) s += (r.parts.length === 0 ? "" : " ") + writeTarget(r.target, style);
  return s;
}

export function writeRule(chain: string, r: Rule, style: WriteStyle = SAVE_STYLE): string {
  const body = writeRuleBody(r, style);
  return body ? `-A ${chain} ${body}` : `-A ${chain}`;
}

/** strcmp order, as iptables-save sorts user chains (spec felix-format §2.5). Never localeCompare. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Chains in the order iptables-save prints them: built-ins in hook order, then user chains by strcmp. */
export function orderedChains(table: Table, sortNames: (table: string, names: string[]) => string[] = sortedNames): Chain[] {
  const hooks = BUILTIN_CHAINS[table.name];
  const builtin = new Map<string, Chain>();
  const extraBuiltins: Chain[] = [];
  // Sorted for determinism (and because iptables-save does). A node has a
  // thousand chains at scale, so the distinct names are sorted natively (the
  // default sort compares UTF-16 code units: byteCompare's order) instead of
  // through a comparator; chains sharing a name keep their order, as a stable sort would.
  const user = new Map<string, Chain[]>();
  for (const c of table.chains) {
    if (!isBuiltinChain(c.name)) {
      const same = user.get(c.name);
      if (same) same.push(c);
      else user.set(c.name, [c]);
    } else if (hooks.includes(c.name)) {
      if (!builtin.has(c.name)) builtin.set(c.name, c);
    } else {
      extraBuiltins.push(c);
    }
  }
  const builtins = hooks.map((h) => builtin.get(h) ?? { name: h, policy: "ACCEPT", rules: [] });
  const sortedUser = sortNames(table.name, [...user.keys()]).flatMap((n) => user.get(n)!);
  return [...builtins, ...extraBuiltins, ...sortedUser];
}

const sortedNames = (_table: string, names: string[]): string[] => names.sort();

/**
 * `names` (distinct) in byte order, given `before`: names of the same table sorted earlier (a node's neighbour).
 * Most names of a node's table are its neighbours' too, so those come in order from `before` and only the rest
 * are sorted, then the two runs merged: the same order as sorting them all, in linear time.
 */
export function sortedLike(before: readonly string[], names: readonly string[]): string[] {
  const wanted = new Set(names);
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const n of before) {
    if (wanted.has(n)) {
      kept.push(n);
      seen.add(n);
    }
  }
  const fresh = names.filter((n) => !seen.has(n)).sort();
  const out: string[] = new Array<string>(names.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < kept.length && j < fresh.length) out[k++] = kept[i]! < fresh[j]! ? kept[i++]! : fresh[j++]!;
  while (i < kept.length) out[k++] = kept[i++]!;
  while (j < fresh.length) out[k++] = fresh[j++]!;
  return out;
}

/** Options of the environment the text is printed for (spec felix-format Appendix A). */
export interface RenderOptions {
  /** How iptables-save names the protocols Felix gives by number (/etc/protocols; absent = the number). */
  readonly protocolNames: Readonly<Record<string, string>>;
}

/** A stock node: /etc/protocols maps 4 → ipencap; iptables' own table names tcp, udp and sctp. */
export const DEFAULT_RENDER: RenderOptions = { protocolNames: { "4": "ipencap", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "132": "sctp" } };

/** iptables-save moves these to the front of a rule, in this order (Appendix A). */
const HEAD_ORDER: readonly RulePart["kind"][] = ["source", "destination", "in-interface", "out-interface", "protocol"];

/**
 * A zero-length prefix is no match at all to the kernel: `-d 0.0.0.0/0` is
 * stored as "any address" and iptables-save prints nothing for it (iptables
 * print_ip / nft save_ipv4_addr skip an all-zero address and mask; ip6tables
 * likewise for `::/0`, which the dual-stack kernel suite checks). Felix still
 * hashes the `--destination 0.0.0.0/0` (`::/0`) it sent.
 */
function printedBySave(p: RulePart): boolean {
  return !((p.kind === "source" || p.kind === "destination") && !p.negated && (p.value === "0.0.0.0/0" || p.value === "::/0"));
}

/** What the renderer derives from one rule: its Felix spelling at once, its saved pieces when first printed. */
interface RuleTexts {
  readonly felix: string;
  pieces: SavedPieces | null;
}

/** A Felix rule's saved text around its hash: `open` ends inside the hash comment, `close` starts right after the hash. */
interface SavedPieces {
  readonly open: string;
  readonly close: string;
  /** The saved parts before and after the hash comment (for savedRules). */
  readonly heads: readonly RulePart[];
  readonly rest: readonly RulePart[];
}

// The hash comment as the writer quotes it: the hash is base64url, so only the
// prefix decides whether saveString quotes (it does: `cali:` has a colon).
const SAMPLE_HASH = "A";
const QUOTED_HASH = saveString(RULE_HASH_PREFIX + SAMPLE_HASH);
const HASH_OPEN = "-m comment --comment " + QUOTED_HASH.slice(0, QUOTED_HASH.length - SAMPLE_HASH.length - (QUOTED_HASH.endsWith('"') ? 1 : 0));
const HASH_CLOSE = QUOTED_HASH.endsWith('"') ? '"' : "";

const commentPart = (text: string): RulePart => ({ kind: "match", module: "comment", options: [{ name: "comment", negated: false, args: [text], quoted: true }] });

/**
 * The iptables renderer of one run. Chains, rules and sets are immutable and
 * a backend shares one object between many nodes' outputs (a policy chain, a
 * selector set, kube-proxy's service chains), so what is derived from an
 * object — its Felix spelling, its saved pieces, a chain's `-A` lines, a set's
 * text — is derived once per object, in tables this renderer owns (weakly:
 * a node's own chains are let go once its file is written).
 */
export class Renderer {
  /** Per rule: its Felix spelling, and its saved pieces once asked (one table, one lookup per rule printed). */
  private readonly rules = new WeakMap<Rule, RuleTexts>();
  private readonly chainTexts = new WeakMap<Chain, string>();
  private readonly setTexts = new WeakMap<object, string>();
  private readonly hasher = new RuleHasher();
  /** Per table name, the user chains of the last table ordered (sortedLike's `before`). */
  private readonly lastNames = new Map<string, string[]>();

  constructor(readonly options: RenderOptions = DEFAULT_RENDER) {}

  /** orderedChains, with each table's user chains sorted against the previous table of that name this renderer ordered. */
  orderedChains(table: Table): Chain[] {
    return orderedChains(table, (name, names) => {
      const before = this.lastNames.get(name);
      const sorted = before === undefined ? names.sort() : sortedLike(before, names);
      this.lastNames.set(name, sorted);
      return sorted;
    });
  }

  private textsOf(r: Rule): RuleTexts {
    let t = this.rules.get(r);
    if (t === undefined) this.rules.set(r, (t = { felix: felixText(r), pieces: null }));
    return t;
  }

  /** The rule in the spelling Felix hashes (felix.ts). */
  felixText(r: Rule): string {
    return this.textsOf(r).felix;
  }

  /** The `cali:` hashes of a Felix chain's rules, run by run (§6); null for a rule of a run under no name. */
  hashes(c: Chain): (string | null)[] {
    const out: (string | null)[] = [];
    let at = 0;
    for (const run of c.hashRuns ?? []) {
      const end = Math.min(at + run.rules, c.rules.length);
      if (run.chain === null) {
        for (; at < end; at++) out.push(null);
        continue;
      }
      this.hasher.start(run.chain);
      for (; at < end; at++) out.push(this.hasher.next(this.felixText(c.rules[at]!)));
    }
    return out;
  }

  private savedPieces(t: RuleTexts, r: Rule): SavedPieces {
    let p = t.pieces;
    if (p === null) {
      const heads = HEAD_ORDER.flatMap((k) => r.parts.filter((x) => x.kind === k)).filter(printedBySave).map((x) => this.savedHead(x));
      const rest = [...(r.comments ?? []).map((c) => commentPart(escapeComment(c))), ...r.parts.filter((x) => x.kind === "match")];
      const before = writeRuleBody({ parts: heads, target: null });
      const after = writeRuleBody({ parts: rest, target: r.target });
      // Joined, not `+`: a `+` of 13 characters or more is a rope, which every chain text that holds this rule would walk again.
      const open = [before, before ? " " : "", HASH_OPEN].join("");
      const close = [HASH_CLOSE, after ? " " : "", after, "\n"].join("");
      t.pieces = p = { heads, rest, open, close };
    }
    return p;
  }

  private savedHead(p: RulePart): RulePart {
    return p.kind === "protocol" ? { ...p, value: this.options.protocolNames[p.value] ?? p.value } : p;
  }

  /** A Felix chain's rules as iptables-save prints them: hash comment first after the front fields (the form the parser returns). */
  savedRules(c: Chain): Rule[] {
    if (!c.hashRuns) return [...c.rules];
    const hashes = this.hashes(c);
    return c.rules.map((r, i) => {
      const hash = hashes[i];
      if (hash === null || hash === undefined) return r;
      const { heads, rest } = this.savedPieces(this.textsOf(r), r);
      return { parts: [...heads, commentPart(RULE_HASH_PREFIX + hash), ...rest], target: r.target };
    });
  }

  /** The chain's `-A` lines, each ending in a newline. */
  chainRules(c: Chain, style: WriteStyle): string {
    const cacheable = style.layout === SAVE_STYLE.layout && style.quoting === SAVE_STYLE.quoting;
    let text = cacheable ? this.chainTexts.get(c) : undefined;
    if (text === undefined) {
      text = c.hashRuns ? this.hashedChainRules(c) : plainChainRules(c, style);
      if (cacheable) this.chainTexts.set(c, text);
    }
    return text;
  }

  /** Hashes computed as the lines are written (one pass, no hash array); rules past the last run are written plain, as `hashes` gives them none. */
  private hashedChainRules(c: Chain): string {
    const lead = ["-A ", c.name, " "].join("");
    // Pieces joined once: one flat string, not a rope the byte sink must flatten before encoding it.
    const pieces: string[] = [];
    const rules = c.rules;
    let at = 0;
    for (const run of c.hashRuns ?? []) {
      const end = Math.min(at + run.rules, rules.length);
      if (run.chain === null) {
        for (; at < end; at++) pieces.push(writeRule(c.name, rules[at]!, SAVE_STYLE), "\n");
        continue;
      }
      this.hasher.start(run.chain);
      for (; at < end; at++) {
        const r = rules[at]!;
        const t = this.textsOf(r);
        const hash = this.hasher.next(t.felix);
        const s = this.savedPieces(t, r);
        pieces.push(lead, s.open, hash, s.close);
      }
    }
    for (; at < rules.length; at++) pieces.push(writeRule(c.name, rules[at]!, SAVE_STYLE), "\n");
    return pieces.join("");
  }

  /** Text derived from a set object once (ipset.ts's writer). */
  setText<S extends object>(s: S, make: (s: S) => string): string {
    let t = this.setTexts.get(s);
    if (t === undefined) this.setTexts.set(s, (t = make(s)));
    return t;
  }
}

// Texts are built as arrays of pieces joined once (one flat string), not by `+=`: a `+=` chain is a rope of a cons
// cell per piece that every later reader (a join, a parse, a hash) must flatten first.
function plainChainRules(c: Chain, style: WriteStyle): string {
  const pieces: string[] = [];
  for (const r of c.rules) pieces.push(writeRule(c.name, r, style), "\n");
  return pieces.join("");
}

export function writeTable(table: Table, style: WriteStyle = SAVE_STYLE, renderer: Renderer = new Renderer()): string {
  const pieces: string[] = [];
  tablePieces(table, style, renderer, pieces);
  return pieces.join("");
}

/** A table's text as pieces appended to `pieces` (a ruleset's tables are joined once: a node's text is megabytes). */
function tablePieces(table: Table, style: WriteStyle, renderer: Renderer, pieces: string[]): void {
  const chains = style.layout === "save" ? renderer.orderedChains(table) : [...table.chains];
  pieces.push(`*${table.name}\n`);
  for (const c of chains) pieces.push(":", c.name, isBuiltinChain(c.name) ? ` ${c.policy ?? "ACCEPT"} [0:0]\n` : " - [0:0]\n");
  for (const c of chains) pieces.push(renderer.chainRules(c, style));
  pieces.push("COMMIT\n");
}

/**
 * A growing byte buffer that output text is appended to as UTF-8, reused from
 * one file to the next: `-o` writes each file's bytes from here instead of
 * joining a node's text into one string that writeFileSync then encodes.
 */
export class ByteSink {
  private buf = Buffer.allocUnsafe(1 << 22);
  private end = 0;

  reset(): void {
    this.end = 0;
  }

  write(s: string): void {
    // At most 3 bytes per UTF-16 unit, so Buffer.write never truncates.
    const room = this.end + s.length * 3;
    if (room > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(room, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.end);
      this.buf = next;
    }
    this.end += this.buf.write(s, this.end, "utf8");
  }

  /** The bytes written since the last reset (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.end);
  }
}

function tablesInOrder(rs: RuleSet, style: WriteStyle): Table[] {
  return style.layout === "given" ? [...rs.tables] : [...rs.tables].sort((a, b) => TABLE_ORDER.indexOf(a.name) - TABLE_ORDER.indexOf(b.name));
}

/** writeRuleSet's bytes, appended to `sink`: chain headers once per table, each chain's `-A` text as the renderer has it. */
export function writeRuleSetTo(rs: RuleSet, sink: ByteSink, style: WriteStyle = SAVE_STYLE, renderer: Renderer = new Renderer()): void {
  for (const table of tablesInOrder(rs, style)) {
    const chains = style.layout === "save" ? renderer.orderedChains(table) : [...table.chains];
    let head = `*${table.name}\n`;
    for (const c of chains) head += `:${c.name} ${isBuiltinChain(c.name) ? (c.policy ?? "ACCEPT") : "-"} [0:0]\n`;
    sink.write(head);
    for (const c of chains) sink.write(renderer.chainRules(c, style));
    sink.write("COMMIT\n");
  }
}

/** The whole ruleset as iptables-restore input (tables in TABLE_ORDER unless the style keeps them as given; no timestamps). */
export function writeRuleSet(rs: RuleSet, style: WriteStyle = SAVE_STYLE, renderer: Renderer = new Renderer()): string {
  const pieces: string[] = [];
  for (const t of tablesInOrder(rs, style)) tablePieces(t, style, renderer, pieces);
  return pieces.join("");
}

/**
 * One table as `iptables -t <table> -S` prints it: `-P` for every built-in
 * chain, `-N` for user chains (strcmp order, as iptables-save), then every
 * chain's `-A` lines in that order. Rule text is iptables-save's.
 */
export function writeListRules(table: Table, renderer: Renderer = new Renderer()): string {
  const chains = renderer.orderedChains(table);
  const out = chains.map((c) => (isBuiltinChain(c.name) ? `-P ${c.name} ${c.policy ?? "ACCEPT"}` : `-N ${c.name}`));
  for (const c of chains) for (const r of renderer.savedRules(c)) out.push(writeRule(c.name, r));
  return out.join("\n") + "\n";
}
