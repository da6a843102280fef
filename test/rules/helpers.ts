// Structural views of a parsed RuleSet for comparisons: drops Rule.line,
// which only says where a rule came from.
import type { Rule, RuleSet } from "../../src/rules/types.js";

export function withoutLines(rs: RuleSet): RuleSet {
  return {
    tables: rs.tables.map((t) => ({
      name: t.name,
      chains: t.chains.map((c) => ({ ...c, rules: c.rules.map(({ parts, target }): Rule => ({ parts, target })) })),
    })),
  };
}

/** The rules of one chain without line numbers. */
export function rulesOf(rs: RuleSet, table: string, chain: string): Rule[] {
  const c = rs.tables.find((t) => t.name === table)?.chains.find((x) => x.name === chain);
  return (c?.rules ?? []).map(({ parts, target }) => ({ parts, target }));
}
