// The optimizer's public face: optimisation levels, pass selection, the
// per-node driver and the --stats figures. -O0 and -O1 run no pass (-O1 is
// the Felix-faithful layout, byte for byte; -O0 exists for the usual
// symmetry and is the same today); -O2 runs the passes of passes.ts.
import type { NodeOutput } from "../backends/types.js";
import type { CalicoOptions } from "../backends/calico/options.js";
import type { Model } from "../ir/policy.js";
import { optimizeCalicoNode } from "./node.js";
import { PASSES, selectPasses, type Pass } from "./passes.js";

export { PASSES, PASS_NAMES, selectPasses } from "./passes.js";
export type { Pass } from "./passes.js";
export { mergeCidrs, subtractCidrs } from "./cidr.js";

export type OptLevel = 0 | 1 | 2;

export interface OptimizeOptions {
  readonly level: OptLevel;
  /** Pass names to run at -O2, in any order (run in PASSES order). */
  readonly passes: readonly string[];
}

export const DEFAULT_OPTIMIZE: OptimizeOptions = { level: 1, passes: [] };

export function passesOf(opts: OptimizeOptions | undefined): Pass[] {
  if (!opts || opts.level < 2) return [];
  return PASSES.filter((p) => opts.passes.includes(p.name));
}

export function optimizeNode(model: Model, out: NodeOutput, calico: CalicoOptions, opts: OptimizeOptions | undefined): NodeOutput {
  return optimizeCalicoNode(model, out, calico, passesOf(opts));
}

export interface NodeStats {
  readonly rules: number;
  readonly chains: number;
  readonly sets: number;
  readonly members: number;
}

export function statsOf(out: NodeOutput): NodeStats {
  const chains = out.ruleset.tables.flatMap((t) => t.chains);
  return {
    rules: chains.reduce((n, c) => n + c.rules.length, 0),
    chains: chains.length,
    sets: out.ipsets.length,
    members: out.ipsets.reduce((n, s) => n + s.members.length, 0),
  };
}

/** Figures after each prefix of the pass list: [before any pass, after pass 1, after passes 1–2, …]. */
export function statsTrail(model: Model, out: NodeOutput, calico: CalicoOptions, passes: readonly Pass[]): { pass: string; stats: NodeStats }[] {
  const trail = [{ pass: "-O1", stats: statsOf(out) }];
  for (let i = 1; i <= passes.length; i++) {
    trail.push({ pass: passes[i - 1]!.name, stats: statsOf(optimizeCalicoNode(model, out, calico, passes.slice(0, i))) });
  }
  return trail;
}

/** The stats table of one node, one line per step: `node step rules chains sets members`. */
export function statsText(node: string, trail: readonly { pass: string; stats: NodeStats }[]): string {
  const rows = trail.map(({ pass, stats }) => `${node}\t${pass}\t${stats.rules}\t${stats.chains}\t${stats.sets}\t${stats.members}`);
  return rows.join("\n") + "\n";
}

