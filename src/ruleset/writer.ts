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

function writeOption(o: RuleOption): string {
  const args = o.args.map((a) => (o.quoted ? saveString(a) : a));
  return [o.negated ? "!" : null, `--${o.name}`, ...args].filter((x) => x !== null).join(" ");
}

function writePart(p: RulePart): string {
  if (p.kind === "match") {
    return [`-m ${p.module}`, ...p.options.map(writeOption)].join(" ");
  }
  return `${p.negated ? "! " : ""}${HEAD_FLAG[p.kind]} ${p.value}`;
}

function writeTarget(tg: Target): string {
  if (tg.kind === "goto") return `-g ${tg.name}`;
  return [`-j ${tg.name}`, ...tg.options.map(writeOption)].join(" ");
}

/** One rule's text after `-A <chain>`. */
export function writeRuleBody(r: Rule): string {
  const pieces = r.parts.map(writePart);
  if (r.target) pieces.push(writeTarget(r.target));
  return pieces.join(" ");
}

export function writeRule(chain: string, r: Rule): string {
  const body = writeRuleBody(r);
  return body ? `-A ${chain} ${body}` : `-A ${chain}`;
}

/** strcmp order, as iptables-save sorts user chains (spec felix-format §2.5). Never localeCompare. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Chains in the order iptables-save prints them: built-ins in hook order, then user chains by strcmp. */
export function orderedChains(table: Table): Chain[] {
  const hooks = BUILTIN_CHAINS[table.name];
  const builtins = hooks
    .map((h) => table.chains.find((c) => c.name === h) ?? { name: h, policy: "ACCEPT", rules: [] })
    .filter((c): c is Chain => c !== undefined);
  const extraBuiltins = table.chains.filter((c) => isBuiltinChain(c.name) && !hooks.includes(c.name));
  // Sorted for determinism (and because iptables-save does).
  const user = table.chains.filter((c) => !isBuiltinChain(c.name)).sort((a, b) => byteCompare(a.name, b.name));
  return [...builtins, ...extraBuiltins, ...user];
}

export function writeTable(table: Table): string {
  const chains = orderedChains(table);
  const out: string[] = [`*${table.name}`];
  for (const c of chains) out.push(`:${c.name} ${isBuiltinChain(c.name) ? (c.policy ?? "ACCEPT") : "-"} [0:0]`);
  for (const c of chains) for (const r of c.rules) out.push(writeRule(c.name, r));
  out.push("COMMIT");
  return out.join("\n") + "\n";
}

/** The whole ruleset as iptables-restore input (tables in TABLE_ORDER; no timestamps). */
export function writeRuleSet(rs: RuleSet): string {
  const tables = [...rs.tables].sort((a, b) => TABLE_ORDER.indexOf(a.name) - TABLE_ORDER.indexOf(b.name));
  return tables.map(writeTable).join("");
}
