// Random policy scenarios for the kernel harness. The harness's topology is
// fixed (test/kernel/cluster.yaml: namespaces x/y/z, pods a/b/c, 3 nodes,
// agents serving 80/81 TCP+UDP), so only the POLICIES are random: drawn by the
// property-test generator over the shape read back from that snapshot, with
// numeric ports around what the agents serve. Expectations come from the
// evaluator, as for the hand-written scenarios.
import fc from "fast-check";
import type { Pod } from "../../src/ir/cluster.js";
import type { Flow, FlowEndpoint } from "../../src/semantics/index.js";
import { checkerFor } from "../../src/verify/index.js";
import { policyArbs, shapeFromModel, yamlFile } from "../property/arbitraries.js";
import { compileOk, verifyCompiled, type Verified } from "../property/check-case.js";
import type { ScenarioFile } from "./compile.js";
import type { Observation } from "./harness.js";

/** 79 and 82 sit just outside the served ports, so ranges and single ports land on both sides of 80/81. */
const KERNEL_PORTS = [79, 80, 81, 82];

function intFromEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, not ${JSON.stringify(v)}`);
  return n;
}

/** How many cases and from which seed: a fixed small sample by default, more on demand. */
export function randomSettings(): { count: number; seed: number } {
  return { count: intFromEnv("NETPOLC_KERNEL_RANDOM_CASES", 5), seed: intFromEnv("NETPOLC_KERNEL_RANDOM_SEED", 424_242) };
}

/** `count` scenarios of 1–4 random valid policies each, reproducible from `seed`. */
export function randomScenarios(cluster: { path: string; text: string }, count: number, seed: number): ScenarioFile[] {
  const shape = shapeFromModel(compileOk([cluster]).model);
  const arb = policyArbs(shape, { ports: KERNEL_PORTS }).policies(1, 4);
  return fc.sample(arb, { numRuns: count, seed }).map((docs, i) => {
    const title = `random policies #${i} of seed ${seed} (test/kernel/random-cases.ts)`;
    return { name: `random-${i}`, title, path: `random-${i}.yaml`, text: yamlFile(title, docs) };
  });
}

/**
 * The simulator's side (verify's library): the whole verify report for the
 * scenario, plus a per-flow answer for probed pod → pod flows. Node
 * endpoints are left out: verify models pods and external addresses only, not
 * a node's own INPUT/OUTPUT paths, so it has no answer to compare there.
 */
export interface SimulatorSide {
  readonly verified: Verified;
  /** true/false = the rules accept/drop it; null = unknown or not a pod → pod flow. */
  readonly accepts: (o: Observation) => boolean | null;
}

export function simulatorSide(cluster: { path: string; text: string }, scenario: ScenarioFile): SimulatorSide {
  const verified = verifyCompiled(compileOk([cluster, { path: scenario.path, text: scenario.text }]));
  const checker = checkerFor(verified.ctx, verified.rules);
  const pods = new Map<string, Pod>(verified.ctx.model.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const endpoint = (e: Observation["src"]): FlowEndpoint | null => {
    const pod = e.kind === "pod" ? pods.get(`${e.pod.namespace}/${e.pod.name}`) : undefined;
    return pod ? { kind: "pod", pod } : null;
  };
  const accepts = (o: Observation): boolean | null => {
    const src = endpoint(o.src);
    const dst = endpoint(o.dst);
    if (!src || !dst) return null;
    const flow: Flow = { src, dst, protocol: o.protocol, port: o.port };
    // A probe succeeds only if the reply comes back too (SYN-ACK, UDP echo), so the reply's walk counts.
    const c = checker.check(flow);
    if (c.actual === null || c.reply?.actual === null) return null;
    return c.actual && (c.reply === null || c.reply.actual === true);
  };
  return { verified, accepts };
}
