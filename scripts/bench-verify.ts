// Verify-time benchmark on examples/bookinfo (or the inputs given): compile,
// enumerate probe flows, simulate them (and the replies of allowed ones, and
// the Felix invariant probes) on every node, compare with the evaluator.
// Prints walks/s; not a test (test/verify/golden.test.ts asserts the
// under-a-second budget).
//
//   TS_NODE_TRANSPILE_ONLY=1 node --loader ts-node/esm scripts/bench-verify.ts [inputs...]
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gatherInputs } from "../src/cli/inputs.js";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../src/pipeline.js";
import { createSimulator } from "../src/simulate/index.js";
import { contextOf, plannedFlows, rulesFromOutput, verifyReport, type NodeRules } from "../src/verify/index.js";

const REPS = 5;
const paths = process.argv.slice(2);
const files = gatherInputs(paths.length ? paths : [join(import.meta.dirname, "..", "examples", "bookinfo")], () => "");

interface Run {
  flows: number;
  replies: number;
  invariants: number;
  nodes: number;
  mismatches: number;
  compileMs: number;
  verifyMs: number;
}

function once(): Run {
  const t0 = performance.now();
  const res = compile(files, DEFAULT_COMPILE_OPTIONS);
  if (!res.model) throw new Error("inputs do not compile");
  const rules = new Map<string, NodeRules>();
  for (const out of res.outputs) rules.set(out.node, rulesFromOutput(out).rules!);
  const t1 = performance.now();
  const ctx = contextOf({ ...res, model: res.model }, createSimulator().simulatePath);
  const report = verifyReport(ctx, rules, plannedFlows(ctx, [], rules).flows);
  const t2 = performance.now();
  const { flows, replies, invariants } = report;
  return { flows, replies, invariants, nodes: report.nodes.length, mismatches: report.failures.length, compileMs: t1 - t0, verifyMs: t2 - t1 };
}

once(); // warm up the JIT and the parser's lookahead caches
const runs = Array.from({ length: REPS }, once);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r = runs[0]!;
const v = median(runs.map((x) => x.verifyMs));
const c = median(runs.map((x) => x.compileMs));
const walks = r.flows + r.replies + r.invariants;
console.log(`${r.flows} flows, ${r.replies} replies, ${r.invariants} invariant probes on ${r.nodes} nodes, ${r.mismatches} mismatches; median of ${REPS} runs:`);
console.log(`  compile + write + re-parse: ${c.toFixed(1)} ms`);
console.log(`  verify: ${v.toFixed(1)} ms = ${Math.round((r.flows / v) * 1000)} flows/s (${Math.round((walks / v) * 1000)} walks/s)`);
console.log(`  total: ${(c + v).toFixed(1)} ms`);
