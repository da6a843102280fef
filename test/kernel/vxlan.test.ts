// Kernel tests where netpolc's ROUTES carry the packets: a VXLAN cluster
// (vxlan-cluster.yaml, with and without the IPAM objects of vxlan-ipam.yaml)
// whose node namespaces get no route from the harness at all. Each node loads
// its `<node>.routes` (`ip -batch`), `<node>.fdb` (`bridge -batch`),
// `.ipsets` and `.iptables`; then every pod probes every pod over TCP and
// UDP. Felix's cali-INPUT accepts VXLAN only from cali40all-vxlan-net, so the
// rules decide the encapsulated packets too. Finally one route line at a time
// is taken away, and exactly the flows that needed it must fail, in the
// kernel and in `netpolc verify --rules` over the same files.
//
// Same safety rules as kernel.test.ts: only namespaces this file creates
// (prefix np<pid>v-), removed in afterAll, on failure and at exit; a loud skip
// unless NETPOLC_KERNEL_TESTS=required.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../src/ir/policy.js";
import { compileScenario, explain, NO_POLICIES, type CompiledScenario, type ScenarioFile, type SnapshotFile } from "./compile.js";
import { packetsMatching, variantFromEnv } from "./dataplane.js";
import { endpointKey, type Observation, type ProbeFlow } from "./flows.js";
import { KernelCluster, allFlows, flowName } from "./harness.js";
import { pairKey, tampered, verifyRoutes, type Tamper } from "./route-tamper.js";
import { declared, differences, installed, type NodeRoutes } from "./routes.js";
import { readTopology, type TopologySpec } from "./snapshot.js";
import { missingPrerequisites } from "./sys.js";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const snapshot = (name: string): SnapshotFile & { abs: string } => ({ path: `test/kernel/${name}`, abs: here(`./${name}`), text: readFileSync(here(`./${name}`), "utf8") });
const CLUSTER = snapshot("vxlan-cluster.yaml");
const IPAM = snapshot("vxlan-ipam.yaml");
const POLICY_FILE = snapshot("vxlan-policy.yaml");
const POLICIES: ScenarioFile = { name: "vxlan-policy", title: POLICY_FILE.text.split("\n")[0]!.slice(2), path: POLICY_FILE.path, text: POLICY_FILE.text };

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
// "v" cannot follow the pid's digits in kernel.test.ts's `np<pid>-`: neither file's cleanup touches the other's namespaces.
const PREFIX = `np${process.pid}v-`;
const PROBE_TIMEOUT_MS = 400;
const RETRY_TIMEOUT_MS = 1500;

if (skip) {
  console.warn(`\n!!!!!!!! KERNEL VXLAN ROUTE TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

/** Pods of the snapshot by key, and who lives where. */
const podsOn = (spec: TopologySpec, node: string): string[] => spec.pods.filter((p) => p.node === node).map((p) => `${p.namespace}/${p.name}`);
/** Every ordered pair with one end in `a` and the other in `b`. */
const between = (a: readonly string[], b: readonly string[]): Set<string> =>
  new Set(a.flatMap((x) => b.flatMap((y) => (x === y ? [] : [pairKey(x, y), pairKey(y, x)]))));

interface Plan {
  readonly name: string;
  readonly files: readonly (SnapshotFile & { abs: string })[];
  /** The route line taken away, and the pod pairs (original direction) that need it, stated from the layout. */
  readonly tampers: readonly (Tamper & { readonly needs: (spec: TopologySpec) => Set<string> })[];
}

// node-1 owns 192.168.1.0/26 and blackholes it; y/c (192.168.1.3) lives on node-3. Without node-1's /32 to it, the
// blackhole eats node-1's packets to y/c and its pods' replies to y/c (calico#3246); node-2 has its own /32.
const OWNER_LOSES_BORROWED: Plan["tampers"][number] = {
  what: "node-1's /32 to y/c, borrowed from node-1's block by node-3",
  node: "node-1",
  file: "routes",
  line: /^route replace 192\.168\.1\.3\/32 via /,
  needs: (spec) => between(podsOn(spec, "node-1"), ["y/c"]),
};

const PLANS: readonly Plan[] = [
  {
    name: "exact plan (IPAMBlock + BlockAffinity)",
    files: [CLUSTER, IPAM],
    tampers: [
      OWNER_LOSES_BORROWED,
      {
        // node-3's VTEP (192.168.1.60, borrowed from node-1's block): node-2 reaches every node-3 pod through it.
        what: "node-2's neighbour entry for node-3's VTEP",
        node: "node-2",
        file: "routes",
        line: /^neigh replace 192\.168\.1\.60 /,
        needs: (spec) => between(podsOn(spec, "node-2"), podsOn(spec, "node-3")),
      },
    ],
  },
  {
    name: "inferred plan (no IPAM objects)",
    files: [CLUSTER],
    tampers: [
      OWNER_LOSES_BORROWED,
      {
        what: "node-1's FDB entry for node-2's VTEP MAC",
        node: "node-1",
        file: "fdb",
        line: /dst 10\.77\.0\.12 /,
        needs: (spec) => between(podsOn(spec, "node-1"), podsOn(spec, "node-2")),
      },
    ],
  },
];

/** What the brief asks of the layout, checked on the plan netpolc resolved. */
function layoutFacts(model: Model): { borrowed: string[]; blocksOnThreeNodes: string[]; affinityless: string[] } {
  const blocks = model.cluster.addressing.blocks;
  return {
    borrowed: blocks.flatMap((b) => b.addresses.filter((a) => a.use === "pod" && b.owner !== null && a.node !== b.owner).map((a) => `${a.owner} in ${b.cidr}`)),
    blocksOnThreeNodes: blocks.filter((b) => new Set(b.addresses.filter((a) => a.use === "pod").map((a) => a.node)).size >= 3).map((b) => b.cidr),
    affinityless: blocks.filter((b) => b.owner === null && b.addresses.some((a) => a.use === "pod")).map((b) => b.cidr),
  };
}

describe.skipIf(skip)("kernel: VXLAN, pods reach each other only through netpolc's routes", () => {
  const spec = readTopology(CLUSTER.text, IPAM.text);
  let cluster: KernelCluster | null = null;

  beforeAll(async () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    cluster = await KernelCluster.create(spec, { prefix: PREFIX, variant: variantFromEnv(), routing: "emitted" });
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  /** Routes first (each node wiped of the last load), then sets and rules (which also flush conntrack). */
  async function load(compiled: CompiledScenario, routes: ReadonlyMap<string, NodeRoutes> = compiled.routes): Promise<void> {
    await cluster!.loadRoutes(routes);
    await cluster!.load(compiled.rules);
  }

  /** Probe pod → pod; a flow that disagrees with `expected` is probed once more with a long timeout. */
  async function probe(expected: (f: ProbeFlow) => boolean): Promise<Observation[]> {
    const flows = allFlows(spec, { nodes: false });
    const first = await cluster!.probe(flows, PROBE_TIMEOUT_MS);
    const suspects = first.filter((o) => o.allowed !== expected(o));
    const again = new Map((suspects.length ? await cluster!.probe(suspects, RETRY_TIMEOUT_MS) : []).map((o) => [flowName(o), o]));
    return first.map((o) => again.get(flowName(o)) ?? o);
  }

  it("the harness adds no route on the node side: before any load a node's main table holds only its uplink's subnet", async () => {
    for (const n of spec.nodes) {
      const routes = await cluster!.guard.ip(cluster!.nodeNs(n.name), ["route", "show", "table", "main"]);
      expect(routes.trim()).toMatch(/^10\.77\.0\.0\/24 dev eth0 proto kernel scope link src 10\.77\.0\.\d+\s*$/);
    }
  });

  it("both plans share the topology (same nodes and pods), and each holds what the test needs", () => {
    expect(readTopology(CLUSTER.text)).toEqual(spec);
    const exact = layoutFacts(compileScenario(PLANS[0]!.files, NO_POLICIES).model);
    const inferred = layoutFacts(compileScenario(PLANS[1]!.files, NO_POLICIES).model);
    expect(exact).toEqual({ borrowed: ["x/b in 192.168.1.0/26", "y/c in 192.168.1.0/26"], blocksOnThreeNodes: ["192.168.1.0/26"], affinityless: ["192.168.4.0/26"] });
    expect(inferred).toEqual({ borrowed: ["x/b in 192.168.1.0/26", "y/c in 192.168.1.0/26"], blocksOnThreeNodes: ["192.168.1.0/26"], affinityless: [] });
  });

  for (const plan of PLANS) {
    describe(plan.name, () => {
      const open = (): CompiledScenario => compileScenario(plan.files, NO_POLICIES);

      it("every node's .routes and .fdb load (ip -batch, bridge -batch) and the kernel holds exactly what they declare", async () => {
        const compiled = open();
        await load(compiled);
        const problems: string[] = [];
        for (const n of spec.nodes) {
          const want = declared(compiled.routes.get(n.name)!, n.name);
          const got = await installed(cluster!.guard, cluster!.nodeNs(n.name), want);
          problems.push(...differences(want, got).map((d) => `${n.name}: ${d}`));
        }
        expect(problems).toEqual([]);
      }, 30_000);

      it("no NetworkPolicy: every pod reaches every pod, TCP and UDP on 80 and 81", async () => {
        const compiled = open();
        await load(compiled);
        const obs = await probe(() => true);
        expect(obs.length).toBe(spec.pods.length * (spec.pods.length - 1) * 4);
        expect(obs.filter((o) => !compiled.verdict(o).allowed)).toEqual([]);
        expect(obs.filter((o) => !o.allowed).map(flowName)).toEqual([]);
        // The encapsulated packets met Felix's cali-INPUT VXLAN rules on every node: accepted from cali40all-vxlan-net, none dropped.
        for (const n of spec.nodes) {
          const count = (comment: string): Promise<number | null> => packetsMatching(cluster!.guard, cluster!.nodeNs(n.name), cluster!.variant, "filter", `"${comment}"`);
          expect({ node: n.name, accepted: ((await count("Allow IPv4 VXLAN packets from allowed hosts")) ?? 0) > 0, dropped: await count("Drop IPv4 VXLAN packets from non-allowed hosts") })
            .toEqual({ node: n.name, accepted: true, dropped: 0 });
        }
      }, 30_000);

      it(`policies (${POLICIES.path}) vs the reference evaluator`, async () => {
        const compiled = compileScenario(plan.files, POLICIES);
        await load(compiled);
        const expected = (f: ProbeFlow): boolean => compiled.verdict(f).allowed;
        const obs = await probe(expected);
        // The policies must deny something and allow something, or the comparison proves little.
        expect(obs.some((o) => expected(o)) && obs.some((o) => !expected(o))).toBe(true);
        const mismatches = obs
          .filter((o) => o.allowed !== expected(o))
          .map((o) => `${flowName(o)}: expected ${expected(o) ? "allowed" : "denied"}, observed ${o.allowed ? "allowed" : "denied"} [${explain(compiled.verdict(o))}]`);
        expect(mismatches).toEqual([]);
      }, 30_000);

      for (const t of plan.tampers) {
        it(`without ${t.what}: exactly the flows that need it fail, in the kernel and in verify --rules`, async () => {
          const compiled = open();
          const { routes } = tampered(compiled.routes, t);
          const needs = t.needs(spec);
          expect(needs.size).toBeGreaterThan(0);
          await load(compiled, routes);
          const obs = await probe((f) => !needs.has(pairKey(endpointKey(f.src), endpointKey(f.dst))));
          const failed = new Set(obs.filter((o) => !o.allowed).map((o) => pairKey(endpointKey(o.src), endpointKey(o.dst))));
          // Every port and protocol of a failing pair fails: routing knows no ports.
          const partly = obs.filter((o) => o.allowed && failed.has(pairKey(endpointKey(o.src), endpointKey(o.dst)))).map(flowName);
          expect(partly).toEqual([]);
          expect([...failed].sort()).toEqual([...needs].sort());
          const v = await verifyRoutes(plan.files.map((f) => f.abs), compiled.rules, routes);
          expect(v.other).toEqual([]);
          expect([...v.routingDrops].sort()).toEqual([...needs].sort());
          expect(v.exitCode).toBe(1);
          expect(v.classExitCode).toBe(1);
        }, 30_000);
      }
    });
  }
});
