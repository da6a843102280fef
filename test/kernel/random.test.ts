// Kernel tests on RANDOM policies: the harness's fixed cluster with policies
// from the property-test generator (random-cases.ts), compiled, loaded into
// the namespaces, probed (504 flows: pods and nodes, 80/81 × TCP/UDP) and
// compared three ways:
//   kernel == evaluator on every probed flow;
//   kernel == simulator (verify's per-flow answer) on every pod → pod flow;
//   verify's own report for the scenario has 0 mismatches and 0 unknowns.
// A failing scenario is saved as golden/regression-<hash>/.
//
// Same prerequisites and skip rules as kernel.test.ts; NETPOLC_KERNEL_TESTS=required
// turns a skip into a failure. NETPOLC_KERNEL_RANDOM_CASES / _SEED choose the sample.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyText } from "../../src/verify/index.js";
import { writeRegressionFiles } from "../property/regression.js";
import { compileScenario, explain } from "./compile.js";
import { variantFromEnv } from "./dataplane.js";
import { KernelCluster, allFlows, flowName, type Observation } from "./harness.js";
import { randomScenarios, randomSettings, simulatorSide } from "./random-cases.js";
import { readTopology } from "./snapshot.js";
import { missingPrerequisites } from "./sys.js";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const CLUSTER = { path: "test/kernel/cluster.yaml", text: readFileSync(here("./cluster.yaml"), "utf8") };
const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
// Its own prefix ("r" cannot follow the pid's digits in kernel.test.ts's
// `np<pid>-`), so neither file's cleanup can delete the other's namespaces.
const PREFIX = `np${process.pid}r-`;

// As kernel.test.ts: a short timeout for the first pass, one long retry for suspects.
const PROBE_TIMEOUT_MS = 400;
const RETRY_TIMEOUT_MS = 1500;

if (skip) {
  console.warn(
    `\n!!!!!!!! KERNEL TESTS (random policies) SKIPPED: missing ${missing.join(", ")}.\n` +
      `!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`,
  );
}

describe.skipIf(skip)("kernel: random policies", () => {
  let cluster: KernelCluster | null = null;
  const { count, seed } = randomSettings();

  beforeAll(async () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    cluster = await KernelCluster.create(readTopology(CLUSTER.text), { prefix: PREFIX, variant: variantFromEnv() });
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  for (const scenario of randomScenarios(CLUSTER, count, seed)) {
    it(`${scenario.name}: kernel == evaluator == simulator`, async () => {
      const k = cluster!;
      const compiled = compileScenario(CLUSTER, scenario);
      const sim = simulatorSide(CLUSTER, scenario);
      await k.load(compiled.rules);
      const expected = (o: Observation): boolean => compiled.verdict(o).allowed;
      const first = await k.probe(allFlows(k.spec), PROBE_TIMEOUT_MS);
      const suspects = first.filter((o) => o.allowed !== expected(o) || (sim.accepts(o) ?? o.allowed) !== o.allowed);
      const confirmed = suspects.length ? await k.probe(suspects, RETRY_TIMEOUT_MS) : [];
      const problems: string[] = [];
      for (const o of confirmed) {
        const simSays = sim.accepts(o);
        const said = (b: boolean | null): string => (b === null ? "n/a" : b ? "allowed" : "denied");
        if (o.allowed !== expected(o) || (simSays !== null && simSays !== o.allowed)) {
          problems.push(
            `${flowName(o)}: kernel ${said(o.allowed)}, evaluator ${said(expected(o))}, simulator ${said(simSays)} [${explain(compiled.verdict(o))}]`,
          );
        }
      }
      const report = sim.verified.report;
      if (report.mismatches || report.unknown) problems.push(`verify: ${verifyText(report).trim()}`);
      const healed = suspects.length - confirmed.filter((o) => o.allowed !== expected(o)).length;
      if (healed > 0 && !problems.length) console.warn(`${scenario.name}: ${healed} probe(s) agreed only on the ${RETRY_TIMEOUT_MS} ms retry`);
      if (problems.length) {
        const saved = writeRegressionFiles(
          [CLUSTER, { path: "policy.yaml", text: scenario.text }],
          `Kernel random-policy counterexample (${scenario.title}): ${problems[0]!.split(" [")[0]}`,
        );
        console.error(`${scenario.name} (saved as ${saved}):\n  ${problems.join("\n  ")}\n--- policies ---\n${scenario.text}`);
      }
      expect(problems).toEqual([]);
    }, 60_000);
  }
});
