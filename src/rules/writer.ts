// The one iptables-save / iptables-restore text writer.
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
export function orderedChains(table: Table): Chain[] {
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
  const sortedUser = [...user.keys()].sort().flatMap((n) => user.get(n)!);
  return [...builtins, ...extraBuiltins, ...sortedUser];
}

// Chains are immutable, and a backend may share one Chain object between
// many nodes' rulesets (Calico renders each policy chain once per compile), so
// a chain's `-A` lines are written once per chain object and reused.
const chainTexts = new WeakMap<Chain, string>();

/**
 * Hand the writer a chain's `-A` lines (each ending in a newline) already
 * rendered by a backend's text path, so its rules need not be built to be
 * written. The text must equal what writing `c.rules` gives in SAVE_STYLE
 * (test/backends/calico/text-path.test.ts checks it on every golden case).
 */
export function primeChainText(c: Chain, text: string): void {
  chainTexts.set(c, text);
}

/** The chain's `-A` lines in SAVE_STYLE if a backend primed them (see primeChainText); undefined otherwise. */
export function primedChainText(c: Chain): string | undefined {
  return chainTexts.get(c);
}

/** The chain's `-A` lines, each ending in a newline. */
function chainRules(c: Chain, style: WriteStyle): string {
  const cacheable = style.layout === SAVE_STYLE.layout && style.quoting === SAVE_STYLE.quoting;
  let text = cacheable ? chainTexts.get(c) : undefined;
  if (text === undefined) {
    text = "";
    for (const r of c.rules) text += writeRule(c.name, r, style) + "\n";
    if (cacheable) chainTexts.set(c, text);
  }
  return text;
}

export function writeTable(table: Table, style: WriteStyle = SAVE_STYLE): string {
  const chains = style.layout === "save" ? orderedChains(table) : [...table.chains];
  let text = `*${table.name}\n`;
  for (const c of chains) text += `:${c.name} ${isBuiltinChain(c.name) ? (c.policy ?? "ACCEPT") : "-"} [0:0]\n`;
  for (const c of chains) text += chainRules(c, style);
  return text + "COMMIT\n";
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

/** writeRuleSet's bytes, appended to `sink`: chain headers once per table, each chain's cached `-A` text as it is. */
export function writeRuleSetTo(rs: RuleSet, sink: ByteSink, style: WriteStyle = SAVE_STYLE): void {
  for (const table of tablesInOrder(rs, style)) {
    const chains = style.layout === "save" ? orderedChains(table) : [...table.chains];
    let head = `*${table.name}\n`;
    for (const c of chains) head += `:${c.name} ${isBuiltinChain(c.name) ? (c.policy ?? "ACCEPT") : "-"} [0:0]\n`;
    sink.write(head);
    for (const c of chains) sink.write(chainRules(c, style));
    sink.write("COMMIT\n");
  }
}

/** The whole ruleset as iptables-restore input (tables in TABLE_ORDER unless the style keeps them as given; no timestamps). */
export function writeRuleSet(rs: RuleSet, style: WriteStyle = SAVE_STYLE): string {
  return tablesInOrder(rs, style).map((t) => writeTable(t, style)).join("");
}

/**
 * One table as `iptables -t <table> -S` prints it: `-P` for every built-in
 * chain, `-N` for user chains (strcmp order, as iptables-save), then every
 * chain's `-A` lines in that order. Rule text is iptables-save's.
 */
export function writeListRules(table: Table): string {
  const chains = orderedChains(table);
  const out = chains.map((c) => (isBuiltinChain(c.name) ? `-P ${c.name} ${c.policy ?? "ACCEPT"}` : `-N ${c.name}`));
  for (const c of chains) for (const r of c.rules) out.push(writeRule(c.name, r));
  return out.join("\n") + "\n";
}
