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

/**
 * A built-in chain both agents write: the base's inserted hooks, then the
 * other's rules, then the base's appended ones. A Felix chain says which are
 * which by its hash runs (the inserted hooks are its first run, hashed under
 * the chain's own name, §2.2); the other agent's rules join as a run under no
 * name, so they get no hash.
 */
function mergeBuiltin(mine: Chain, kube: Chain, staysOnTop: (r: Rule) => boolean): Chain {
  const runs = mine.hashRuns;
  if (!runs) return { ...mine, rules: [...mine.rules.filter(staysOnTop), ...kube.rules, ...mine.rules.filter((r) => !staysOnTop(r))] };
  const [first, ...rest] = runs;
  const top = first?.chain === mine.name ? first.rules : 0;
  return {
    ...mine,
    rules: [...mine.rules.slice(0, top), ...kube.rules, ...mine.rules.slice(top)],
    hashRuns: [...(top ? [first!] : []), { chain: null, rules: kube.rules.length }, ...(top ? rest : runs)],
  };
}

function mergeChains(a: readonly Chain[], b: readonly Chain[], staysOnTop: (r: Rule) => boolean): Chain[] {
  const out = new Map<string, Chain>(a.map((c) => [c.name, c]));
  for (const c of b) {
    const mine = out.get(c.name);
    if (!mine) out.set(c.name, c);
    else if (isBuiltinChain(c.name)) out.set(c.name, mergeBuiltin(mine, c, staysOnTop));
    else {
      // Chain names never collide (cali-* and KUBE-*); if they did, both rule lists are kept.
      out.set(c.name, { ...mine, rules: [...mine.rules, ...c.rules], ...(mine.hashRuns ? { hashRuns: [...mine.hashRuns, { chain: null, rules: c.rules.length }] } : {}) });
    }
  }
  return [...out.values()];
}
