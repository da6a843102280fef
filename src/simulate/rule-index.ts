// A RuleSet precompiled for the simulator: per table, chain name → chain with
// each rule's tests (match.ts) and effect (target.ts). Nothing here depends on
// the packet or the host, so a simulator (index.ts createSimulator) compiles
// each RuleSet it meets once: verify walks the same RuleSet 10^4–10^5 times.
import type { Rule, RuleSet, TableName } from "../rules/types.js";
import type { Test } from "./state.js";
import { compileTests } from "./match.js";
import { compileTarget } from "./target.js";
import type { Effect } from "./target.js";

export interface CompiledRule {
  readonly rule: Rule;
  /** 0-based position in its chain (TraceStep.index). */
  readonly index: number;
  readonly tests: readonly Test[];
  readonly effect: Effect;
}

export interface CompiledChain {
  readonly table: TableName;
  readonly name: string;
  /** ACCEPT/DROP for built-in chains, null for user chains. */
  readonly policy: string | null;
  readonly rules: readonly CompiledRule[];
  /** Where a lowered chain came from (Chain.origin): a policy step names it. */
  readonly origin?: { readonly table: string; readonly chain: string };
}

export type CompiledTable = ReadonlyMap<string, CompiledChain>;

export interface SimIndex {
  readonly tables: ReadonlyMap<TableName, CompiledTable>;
}

function compileTable(name: TableName, chains: RuleSet["tables"][number]["chains"]): CompiledTable {
  const names = new Set(chains.map((c) => c.name));
  const out = new Map<string, CompiledChain>();
  for (const c of chains) {
    const rules = c.rules.map((rule, index): CompiledRule => ({
      rule,
      index,
      tests: compileTests(rule),
      effect: compileTarget(rule.target, name, names),
    }));
    out.set(c.name, { table: name, name: c.name, policy: c.policy, rules, ...(c.origin ? { origin: c.origin } : {}) });
  }
  return out;
}

export function compileIndex(rs: RuleSet): SimIndex {
  return { tables: new Map(rs.tables.map((t) => [t.name, compileTable(t.name, t.chains)])) };
}
