// The Calico backend's optimizer: optimisation levels, pass selection and the
// per-node driver. -O0 and -O1 run no pass (-O1 is the Felix-faithful layout,
// byte for byte; -O0 exists for the usual symmetry and is the same today);
// -O2 runs the passes of passes.ts over the rule model, before rendering.
import { PASSES, type Pass } from "./passes.js";

export { PASSES, PASS_NAMES, selectPasses } from "./passes.js";
export type { Pass } from "./passes.js";
export { optimizeCalicoNode } from "./node.js";

export type OptLevel = 0 | 1 | 2;

export interface OptimizeOptions {
  readonly level: OptLevel;
  /** Pass names to run at -O2, in any order (run in PASSES order). */
  readonly passes: readonly string[];
}

export const DEFAULT_OPTIMIZE: OptimizeOptions = { level: 1, passes: [] };

/** The passes `opts` selects, in PASSES order (none below -O2). */
export function passesOf(opts: OptimizeOptions | undefined): Pass[] {
  if (!opts || opts.level < 2) return [];
  return PASSES.filter((p) => opts.passes.includes(p.name));
}
