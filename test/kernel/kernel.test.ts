// Kernel tests: compiled rules loaded into real network namespaces, probed,
// and compared with the reference evaluator. See test/kernel/README.md.
//
// Needs root, iproute2, iptables (nft and legacy), ipset and the right to
// create network namespaces. Without them the tests skip loudly, unless
// NETPOLC_KERNEL_TESTS=required (CI), which turns the skip into a failure.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableVariants, variantFromEnv, type IptablesVariant, type NodeRules } from "./dataplane.js";
import { HANDWRITTEN } from "./handwritten.js";
import { podEndpoint } from "./flows.js";
import { KernelCluster, allFlows, flowName, type Observation } from "./harness.js";
import { roundTripAll } from "./roundtrip.js";
import { spoofedProbe } from "./spoof.js";
import { readTopology } from "./snapshot.js";
import { NsGuard, missingPrerequisites } from "./sys.js";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const CLUSTER = { path: "test/kernel/cluster.yaml", text: readFileSync(here("./cluster.yaml"), "utf8") };
const SCENARIO_DIR = here("./scenarios");
const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
const PREFIX = `np${process.pid}-`;

// A probe that should succeed answers in well under a millisecond here; the
// timeout only bounds how long a dropped probe takes. Mismatches are probed
// once more with a long timeout (as the upstream e2e suite probes twice), so
// a slow machine cannot turn an allowed flow into a false failure.
const PROBE_TIMEOUT_MS = 400;
const RETRY_TIMEOUT_MS = 1500;
// Distinct node rulesets restored and saved per shell in the round trip.
const ROUND_TRIP_BATCH = 12;

if (skip) {
  console.warn(
    `\n!!!!!!!! KERNEL TESTS SKIPPED: missing ${missing.join(", ")}.\n` +
      `!!!!!!!! They need root, iproute2, iptables, ipset and network namespaces; ` +
      `NETPOLC_KERNEL_TESTS=required makes this a failure.\n`,
  );
}

// The compiler is imported lazily so the harness self-test still runs (and
// the reason is printed) while src/frontend or src/backends are incomplete.
type Compiler = typeof import("./compile.js");
let compiler: Compiler | null = null;
let compilerError = "";
try {
  compiler = await import("./compile.js");
} catch (e) {
  compilerError = e instanceof Error ? e.message : String(e);
  if (!skip) console.warn(`\n!!!!!!!! KERNEL SCENARIOS NOT RUN: the compiler pipeline does not load: ${compilerError}\n`);
}

describe.skipIf(skip)("kernel", () => {
  let cluster: KernelCluster | null = null;
  const spec = readTopology(CLUSTER.text);

  beforeAll(async () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    cluster = await KernelCluster.create(spec, { prefix: PREFIX, variant: variantFromEnv() });
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  describe("harness self-test (hand-written rules)", () => {
    for (const c of HANDWRITTEN) {
      it(c.name, async () => {
        const k = cluster!;
        await k.load(new Map(k.spec.nodes.map((n) => [n.name, c.rules(k.spec, n.name)])));
        const obs = await k.probe(allFlows(k.spec, { nodes: false }), PROBE_TIMEOUT_MS);
        const wrong = obs.filter((o) => o.allowed !== c.expect(o)).map((o) => `${flowName(o)}: observed ${o.allowed}`);
        expect(wrong).toEqual([]);
      }, 60_000);
    }
  });

  describe("compiled scenarios vs the reference evaluator", () => {
    it("the compiler pipeline loads", () => {
      if (!compiler && !required) return; // already warned loudly above
      expect(compilerError).toBe("");
    });

    if (!compiler) return;
    const c = compiler;

    it("has at least 30 scenarios, each with a `# ` first line", () => {
      expect(c.readScenarios(SCENARIO_DIR).length).toBeGreaterThanOrEqual(30);
    });

    it("harness veth names equal the backend's workloadInterfaceName", () => {
      expect(c.interfaceNameMismatches(spec)).toEqual([]);
    });

    it("Felix's rpfilter rule drops a pod's spoofed source address", async () => {
      const k = cluster!;
      // Scenario 01 isolates only x for ingress, so x/a → y/a is allowed by policy.
      const first = c.readScenarios(SCENARIO_DIR).find((s) => s.name.startsWith("01-"))!;
      await k.load(c.compileScenario(CLUSTER, first).rules);
      const pod = (key: string) => podEndpoint(k.spec.pods.find((p) => `${p.namespace}/${p.name}` === key)!);
      const f = { src: pod("x/a"), dst: pod("y/a"), port: 80, protocol: "UDP" as const };
      expect((await k.probe([f], RETRY_TIMEOUT_MS))[0]?.allowed).toBe(true);
      // An unused address of the source node's own block: routed to the
      // block's blackhole, never to the pod's veth, so the reverse path is invalid.
      const spoofIp = k.spec.pods.find((p) => p.name === "a" && p.namespace === "x")!.ip.replace(/\.\d+$/, ".50");
      const r = await spoofedProbe(k, f, spoofIp);
      expect(r).toEqual({ delivered: false, drops: 1 });
    }, 60_000);

    // Every scenario at -O1 and at -O2 (all passes), as Calico 3.27 and as
    // 3.32 lay it out (P32 names, P30 marks, policy groups), one test each,
    // on the same topology and agents: only the rules are reloaded.
    for (const scenario of c.readScenarios(SCENARIO_DIR)) {
      for (const { level, version, flowLogs = false, dataplane = "iptables" } of c.KERNEL_VARIANTS) {
        const tag = `${scenario.name} -O${level}${version === "3.27" ? "" : ` --calico-version ${version}`}${flowLogs ? " --flow-logs" : ""}${dataplane === "nftables" ? " --dataplane nftables" : ""}`;
        it(`${tag}: ${scenario.title}`, async () => {
          const k = cluster!;
          const compiled = c.compileScenario(CLUSTER, scenario, level, { calicoVersion: version, flowLogs }, dataplane);
          await k.load(compiled.rules);
          const expected = (o: Observation): boolean => compiled.verdict(o).allowed;
          const first = await k.probe(allFlows(k.spec), PROBE_TIMEOUT_MS);
          const suspects = first.filter((o) => o.allowed !== expected(o));
          const confirmed = suspects.length ? await k.probe(suspects, RETRY_TIMEOUT_MS) : [];
          const mismatches = confirmed
            .filter((o) => o.allowed !== expected(o))
            .map(
              (o) =>
                `${flowName(o)}: expected ${expected(o) ? "allowed" : "denied"}, observed ${o.allowed ? "allowed" : "denied"}` +
                ` [${c.explain(compiled.verdict(o))}]`,
            );
          const healed = suspects.length - mismatches.length;
          // Visible, so a slow or flaky machine shows up before it causes failures.
          if (healed > 0) console.warn(`${tag}: ${healed} probe(s) agreed only on the ${RETRY_TIMEOUT_MS} ms retry`);
          if (mismatches.length) console.error(`${tag} (rules compiled at -O${level}):\n  ${mismatches.join("\n  ")}`);
          expect(mismatches, `${tag}: kernel vs evaluator with the rules compiled at -O${level}`).toEqual([]);
        }, 60_000);
      }
    }
  });

  describe("IPIP .routes files in the kernel (stand-in tunl0: this kernel has no ipip module)", () => {
    it("ip -batch accepts every line of every node's .routes (every scenario at -O1/-O2, --route-programmer felix, CrossSubnet), and the kernel then holds exactly what each declares", async () => {
      if (!compiler) return;
      const { acceptRoutes, ipipRouteFiles } = await import("./routes-accept.js");
      const files = ipipRouteFiles(CLUSTER, SCENARIO_DIR);
      // 3 nodes × (BIRD, Felix, CrossSubnet BIRD, CrossSubnet Felix): the policies never change a node's routes.
      expect(files.length).toBe(12);
      const guard = new NsGuard(PREFIX);
      const problems: string[] = [];
      for (const [i, f] of files.entries()) {
        for (const p of await acceptRoutes(guard, `${PREFIX}rr${i}`, f)) problems.push(`${f.names[0]} (and ${f.names.length - 1} more): ${p}`);
      }
      expect(problems).toEqual([]);
    }, 60_000);
  });

  describe("iptables-restore → iptables-save round trip", () => {
    const variants = availableVariants();
    for (const variant of ["nft", "legacy"] as const satisfies readonly IptablesVariant[]) {
      it(`iptables-${variant}: every scenario's node rulesets (-O1 and -O2, at Calico 3.27 and 3.32, and 3.32 with flow logs) save back byte-identical`, async () => {
        if (!variants.includes(variant)) {
          if (required) throw new Error(`iptables-${variant}-restore is not installed`);
          console.warn(`!!!!!!!! round trip with iptables-${variant} skipped: iptables-${variant}-restore not installed`);
          return;
        }
        if (!compiler) return;
        const guard = new NsGuard(PREFIX);
        const ns = `${PREFIX}rt-${variant}`;
        await guard.add(ns);
        try {
          // Every node ruleset of every scenario at -O1 and -O2; identical
          // texts (same node rules in several scenarios) are restored once.
          const byText = new Map<string, { rules: NodeRules; names: string[] }>();
          for (const scenario of compiler.readScenarios(SCENARIO_DIR)) {
            for (const { level, version, flowLogs = false, dataplane } of compiler.KERNEL_VARIANTS) {
              // The nftables outputs round-trip through nft in test/kernel/nft-roundtrip.test.ts.
              if (dataplane === "nftables") continue;
              for (const [node, rules] of compiler.compileScenario(CLUSTER, scenario, level, { calicoVersion: version, flowLogs }).rules) {
                const key = `${rules.ipsets}\0${rules.iptables}`;
                const entry = byText.get(key) ?? { rules, names: [] };
                entry.names.push(`${scenario.name} -O${level} ${version}${flowLogs ? " flow-logs" : ""} ${node}`);
                byText.set(key, entry);
              }
            }
          }
          const unique = [...byText.values()];
          const problems: string[] = [];
          // One shell per batch (spawning dominates); batches stay small enough to report which one broke.
          for (let at = 0; at < unique.length; at += ROUND_TRIP_BATCH) {
            const batch = unique.slice(at, at + ROUND_TRIP_BATCH);
            const results = await roundTripAll(guard, ns, variant, batch.map((u) => u.rules));
            results.forEach((ps, i) => ps.forEach((p) => problems.push(`${batch[i]!.names.join(", ")}: ${p}`)));
          }
          expect(problems.slice(0, 10)).toEqual([]);
        } finally {
          guard.delete(ns);
        }
      }, 180_000);
    }
  });
});
