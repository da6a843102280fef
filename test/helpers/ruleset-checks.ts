// Structural checks on a RuleSet shared by the golden runner and other tests.
import type { RuleSet } from "../../src/rules/types.js";

const STANDARD_TARGETS = new Set([
  "ACCEPT", "DROP", "RETURN", "REJECT", "MARK", "MASQUERADE", "SNAT", "DNAT", "LOG", "NFLOG", "NOTRACK", "CT", "CONNMARK",
]);

/** Every -j/-g names a standard target or a chain declared in the same table; returns the problems. */
export function checkJumpTargets(rs: RuleSet): string[] {
  const problems: string[] = [];
  for (const table of rs.tables) {
    const declared = new Set(table.chains.map((c) => c.name));
    for (const chain of table.chains) {
      for (const r of chain.rules) {
        if (!r.target) continue;
        const name = r.target.name;
        if (r.target.kind === "jump" && STANDARD_TARGETS.has(name)) continue;
        if (!declared.has(name)) problems.push(`${table.name}/${chain.name}: target ${name} is not declared`);
      }
    }
  }
  return problems;
}

/** Chains that nothing jumps to (user chains only). Felix never programs them (spec felix-format §2.1). */
export function unreferencedChains(rs: RuleSet): string[] {
  const out: string[] = [];
  for (const table of rs.tables) {
    const referenced = new Set<string>();
    for (const c of table.chains) for (const r of c.rules) if (r.target) referenced.add(r.target.name);
    for (const c of table.chains) {
      if (c.policy === null && !referenced.has(c.name)) out.push(`${table.name}/${c.name}`);
    }
  }
  return out;
}
