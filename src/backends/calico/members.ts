// Which workloads a Calico selector matches, answered from a label index.
//
// Every IP set's members come from the whole cluster (§7.3), and a node's
// policies are judged against its local endpoints: evaluating each selector
// against every workload made set building O(sets × pods) per node. The index
// maps label → value → workloads (in cluster order), so an `==` or `in` term
// narrows the candidates to a few pods, which the full evaluator then checks:
// the index only ever prunes, it never decides a match.
import { memoTable, type Compilation } from "../../compilation.js";
import type { CalicoSelector } from "./selector.js";
import { evaluate } from "./selector.js";
import type { Workload } from "./workloads.js";

export class WorkloadIndex {
  private readonly byLabel = new Map<string, Map<string, Workload[]>>();
  private readonly order = new Map<Workload, number>();

  constructor(readonly all: readonly Workload[]) {
    all.forEach((w, i) => {
      this.order.set(w, i);
      for (const [k, v] of w.labels) {
        let values = this.byLabel.get(k);
        if (!values) this.byLabel.set(k, (values = new Map()));
        let ws = values.get(v);
        if (!ws) values.set(v, (ws = []));
        ws.push(w);
      }
    });
  }

  /** Workloads matching `sel`, in the order of `all`. */
  matching(sel: CalicoSelector): readonly Workload[] {
    const pool = this.candidates(sel);
    return pool.filter((w) => evaluate(sel, w.labels));
  }

  /**
   * A superset of the matches, in `all` order: the smallest candidate list of
   * any positive term of a conjunction, or everything when no term narrows.
   */
  private candidates(sel: CalicoSelector): readonly Workload[] {
    const lists = this.termCandidates(sel);
    if (lists === null) return this.all;
    return lists.reduce((a, b) => (b.length < a.length ? b : a));
  }

  private termCandidates(sel: CalicoSelector): (readonly Workload[])[] | null {
    switch (sel.kind) {
      case "eq":
        return [this.byLabel.get(sel.label)?.get(sel.value) ?? []];
      case "in": {
        if (sel.negated) return null;
        const values = this.byLabel.get(sel.label);
        const found = [...new Set(sel.values)].flatMap((v) => values?.get(v) ?? []);
        // Several values: merge back into cluster order.
        return [sel.values.length > 1 ? found.sort((a, b) => this.order.get(a)! - this.order.get(b)!) : found];
      }
      case "and": {
        const lists = sel.operands.flatMap((o) => this.termCandidates(o) ?? []);
        return lists.length ? lists : null;
      }
      default:
        return null;
    }
  }
}

const INDEX = memoTable<readonly Workload[], WorkloadIndex>("calico/workload-index");

/** The index of a workload list, built on first use in a compilation. */
export function workloadIndex(comp: Compilation, all: readonly Workload[]): WorkloadIndex {
  return comp.memo(INDEX, all, () => new WorkloadIndex(all));
}
