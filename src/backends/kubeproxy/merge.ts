// One node file from two backends: the union of their chains, and in each
// built-in chain the rules in the order a node ends up with. Another agent
// that inserts its hooks at the top and re-asserts them there (Felix's
// ChainInsertMode=insert, felix-format §2.2) keeps them above kube-proxy's
// jumps, which kube-proxy prepends once and never moves (EnsureRule, §1.2);
// that agent's appended rules stay at the bottom.
import type { Chain, Rule, RuleSet, Table } from "../../rules/types.js";
import { isBuiltinChain } from "../../rules/types.js";

/** `staysOnTop` tells the base backend's inserted hook rules from its appended ones. */
export function mergeNodeRuleSets(base: RuleSet, kube: RuleSet, staysOnTop: (r: Rule) => boolean): RuleSet {
  const names = [...new Set([...base.tables, ...kube.tables].map((t) => t.name))];
  const tables = names.map((name): Table => {
    const a = base.tables.find((t) => t.name === name)?.chains ?? [];
    const b = kube.tables.find((t) => t.name === name)?.chains ?? [];
    return { name, chains: mergeChains(a, b, staysOnTop) };
  });
  return { tables };
}

function mergeChains(a: readonly Chain[], b: readonly Chain[], staysOnTop: (r: Rule) => boolean): Chain[] {
  const out = new Map<string, Chain>(a.map((c) => [c.name, c]));
  for (const c of b) {
    const mine = out.get(c.name);
    if (!mine) out.set(c.name, c);
    else if (isBuiltinChain(c.name)) {
      const rules = [...mine.rules.filter(staysOnTop), ...c.rules, ...mine.rules.filter((r) => !staysOnTop(r))];
      out.set(c.name, { ...mine, rules });
    } else {
      // Chain names never collide (cali-* and KUBE-*); if they did, both rule lists are kept.
      out.set(c.name, { ...mine, rules: [...mine.rules, ...c.rules] });
    }
  }
  return [...out.values()];
}
