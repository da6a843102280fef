// An accumulator for the two tables kube-proxy writes (plus mangle for the
// canaries of the as-saved layout): chains are declared once, in the order
// first named, and rules appended in the order written (spec §4.1).
import type { Chain, Rule, Table, TableName } from "../../rules/types.js";

export class Tables {
  private readonly chains = new Map<TableName, Map<string, Rule[]>>();

  /** Declare a chain (idempotent); returns its rule list. */
  declare(table: TableName, name: string): Rule[] {
    let t = this.chains.get(table);
    if (!t) {
      t = new Map();
      this.chains.set(table, t);
    }
    let rules = t.get(name);
    if (!rules) {
      rules = [];
      t.set(name, rules);
    }
    return rules;
  }

  add(table: TableName, name: string, ...rules: Rule[]): void {
    this.declare(table, name).push(...rules);
  }

  has(table: TableName, name: string): boolean {
    return this.chains.get(table)?.has(name) ?? false;
  }

  /** Tables in the given order, chains in declaration order (payload order, §4.1). */
  toTables(order: readonly TableName[]): Table[] {
    return order.flatMap((name): Table[] => {
      const t = this.chains.get(name);
      if (!t) return [];
      const chains: Chain[] = [...t].map(([n, rules]) => ({ name: n, policy: null, rules }));
      return [{ name, chains }];
    });
  }
}
