// An accumulator for the tables kube-proxy writes: chains are declared once,
// in the order first named, and rules appended in the order written (spec
// §4.1). A chain may also be put in whole, as a Chain object built once per
// compilation and shared by every node that has it; the accumulator keeps
// that object (so the writer renders its text once) unless rules are added
// to it, and then copies it first — a shared chain is never changed.
import type { Chain, Rule, Table, TableName } from "../../rules/types.js";

/** What the accumulator ends with for one chain: rules added here, or a shared chain put in whole. */
type Entry = Rule[] | Chain;

/** How the chains of a finished accumulator are turned into the chains of the result. */
export interface ChainView {
  /** A chain put in whole (shared between nodes). */
  shared(chain: Chain): Chain;
  /** A chain whose rules were added here. */
  assembled(name: string, rules: readonly Rule[]): Chain;
}

/** A chain and the table it belongs to. */
export interface TableChain {
  readonly table: TableName;
  readonly chain: Chain;
}

const AS_IS: ChainView = { shared: (c) => c, assembled: (name, rules) => ({ name, policy: null, rules }) };

const rulesOf = (e: Entry): readonly Rule[] => (Array.isArray(e) ? e : e.rules);

export class Tables {
  private readonly chains = new Map<TableName, Map<string, Entry>>();

  private table(name: TableName): Map<string, Entry> {
    let t = this.chains.get(name);
    if (!t) this.chains.set(name, (t = new Map()));
    return t;
  }

  /** Declare a chain (idempotent). */
  declare(table: TableName, name: string): void {
    const t = this.table(table);
    if (!t.has(name)) t.set(name, []);
  }

  add(table: TableName, name: string, ...rules: Rule[]): void {
    const t = this.table(table);
    const cur = t.get(name);
    if (Array.isArray(cur)) cur.push(...rules);
    else t.set(name, [...(cur ? cur.rules : []), ...rules]);
  }

  /** Put a whole chain: it takes the place of a chain declared and still empty, else its rules are added. */
  put(table: TableName, chain: Chain): void {
    const t = this.table(table);
    const cur = t.get(chain.name);
    if (cur === undefined || rulesOf(cur).length === 0) t.set(chain.name, chain);
    else this.add(table, chain.name, ...chain.rules);
  }

  has(table: TableName, name: string): boolean {
    return this.chains.get(table)?.has(name) ?? false;
  }

  /** Every chain as a Chain, per table in the order first named, tables likewise. */
  entries(): TableChain[] {
    return [...this.chains].flatMap(([table, t]) => [...t].map(([name, e]) => ({ table, chain: Array.isArray(e) ? AS_IS.assembled(name, e) : e })));
  }

  /** Tables in the given order, chains in declaration order (payload order, §4.1). */
  toTables(order: readonly TableName[], view: ChainView = AS_IS): Table[] {
    return order.flatMap((name): Table[] => {
      const t = this.chains.get(name);
      if (!t) return [];
      const chains = [...t].map(([n, e]) => (Array.isArray(e) ? view.assembled(n, e) : view.shared(e)));
      return [{ name, chains }];
    });
  }
}
