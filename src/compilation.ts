// One compilation: created per compile (or per verify, which compiles), passed
// explicitly to every stage that computes something once and reuses it, and
// dropped when the run ends. It owns every memo and interning table — selector
// members, workloads, rendered rules and chains, sets, route plans, kube-proxy
// plans — so nothing is remembered in module state: a signature that takes a
// Compilation is one that may reuse work, and two compilations never share any.
//
// Tables are declared where they are used, as constant keys (`memoTable`),
// and filled through the compilation: `comp.memo(TABLE, key, () => build())`.
// A key is any value: an IR object (policy, profile, pool list), a string, a
// number. Keys are held strongly for the life of the compilation, which is the
// point — the IR is immutable and lives exactly as long.
import type { Model } from "./ir/policy.js";

/** A named memo table: `K` → `V`, one per compilation. The object itself is the table's identity. */
export interface MemoTable<K, V> {
  readonly name: string;
  /** Phantom fields: they carry the types, never a value. */
  readonly key?: K;
  readonly value?: V;
}

/** Declares a memo table; call at module level, once per table (the result is a constant). */
export function memoTable<K, V>(name: string): MemoTable<K, V> {
  return Object.freeze({ name });
}

/**
 * A compilation serves one compile of one model under one set of options, so
 * a memoised value may depend on those options (the interface prefix, the
 * route programmer, -O2's passes) without keying on them; a run that needs
 * other options (`--stats` compiling at -O1 beside -O2) makes another one.
 */
export class Compilation {
  private readonly tables = new Map<MemoTable<unknown, unknown>, Map<unknown, unknown>>();

  constructor(readonly model: Model) {}

  /** The value for `key` in `table`, made by `make` the first time it is asked for. */
  memo<K, V>(table: MemoTable<K, V>, key: K, make: () => NoInfer<V>): V {
    let t = this.tables.get(table as MemoTable<unknown, unknown>);
    if (!t) this.tables.set(table as MemoTable<unknown, unknown>, (t = new Map()));
    if (t.has(key)) return t.get(key) as V;
    const v = make();
    t.set(key, v);
    return v;
  }

  /** Whether `table` already holds `key` (for code that must not build on a miss). */
  has<K, V>(table: MemoTable<K, V>, key: K): boolean {
    return this.tables.get(table as MemoTable<unknown, unknown>)?.has(key) ?? false;
  }

  /** How many entries each table holds (tests and --stats-like diagnostics; never used to decide output). */
  sizes(): ReadonlyMap<string, number> {
    return new Map([...this.tables].map(([t, m]) => [t.name, m.size]));
  }
}
