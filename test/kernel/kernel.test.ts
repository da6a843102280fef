// Kernel tests: compiled rules loaded into real network namespaces, probed,
// and compared with the reference evaluator. See test/kernel/README.md.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { variantFromEnv } from "./dataplane.js";
import { HANDWRITTEN } from "./handwritten.js";
import { KernelCluster, allFlows, flowName } from "./harness.js";
import { readTopology } from "./snapshot.js";
import { missingPrerequisites } from "./sys.js";

const CLUSTER_PATH = fileURLToPath(new URL("./cluster.yaml", import.meta.url));
const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();

if (missing.length && !required) {
  console.warn(
    `\n!!!!!!!! KERNEL TESTS SKIPPED: missing ${missing.join(", ")}.\n` +
      `!!!!!!!! They need root, iproute2, iptables, ipset and network namespaces; set NETPOLC_KERNEL_TESTS=required to make this a failure.\n`,
  );
}

describe.skipIf(missing.length > 0 && !required)("kernel", () => {
  let cluster: KernelCluster | null = null;

  beforeAll(async () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    const spec = readTopology(readFileSync(CLUSTER_PATH, "utf8"));
    cluster = await KernelCluster.create(spec, { prefix: `np${process.pid}-`, variant: variantFromEnv() });
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  describe("harness self-test (hand-written rules)", () => {
    for (const c of HANDWRITTEN) {
      it(c.name, async () => {
        const k = cluster!;
        await k.load(new Map(k.spec.nodes.map((n) => [n.name, c.rules(k.spec, n.name)])));
        const obs = await k.probe(allFlows(k.spec));
        const wrong = obs.filter((o) => o.allowed !== c.expect(o)).map((o) => `${flowName(o)}: observed ${o.allowed}`);
        expect(wrong).toEqual([]);
      }, 60_000);
    }
  });
});
