// The real pipeline for the kernel tests: cluster snapshot + one scenario's
// policies → per-node iptables/ipset text (src/pipeline.ts, the same path the
// CLI takes) and the reference evaluator's verdict for every probed flow.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { workloadInterfaceName, type CalicoOptions } from "../../src/backends/calico/index.js";
import type { CalicoVersion } from "../../src/backends/index.js";
import { renderAll } from "../../src/diagnostics/render.js";
import type { Pod } from "../../src/ir/cluster.js";
import type { Model } from "../../src/ir/policy.js";
import { PASS_NAMES } from "../../src/backends/index.js";
import { DEFAULT_COMPILE_OPTIONS, compile, emitText, type CompileOptions, type Dataplane } from "../../src/pipeline.js";
import { createEvaluator } from "../../src/semantics/evaluate.js";
import type { FlowEndpoint, Verdict } from "../../src/semantics/types.js";
import type { NodeRules } from "./dataplane.js";
import type { Endpoint, ProbeFlow } from "./flows.js";
import type { NodeRoutes } from "./routes.js";
import type { TopologySpec } from "./snapshot.js";

export interface ScenarioFile {
  readonly name: string;
  /** The first-line `# ` comment: what the scenario tests. */
  readonly title: string;
  readonly path: string;
  readonly text: string;
}

/** The optimisation levels every scenario runs at: -O1 (Felix's own layout) and -O2 with every pass. */
export type KernelOptLevel = 1 | 2;
export const OPT_LEVELS: readonly KernelOptLevel[] = [1, 2];

/**
 * What every scenario is loaded and probed at: -O1 and -O2 as Calico 3.27 lays rules out, and as 3.32 does; and
 * 3.32 with flow logs on (NFLOG rules after every verdict; -O1 only, as -O2 refuses them).
 */
export const KERNEL_VARIANTS: ReadonlyArray<{ readonly level: KernelOptLevel; readonly version: CalicoVersion; readonly flowLogs?: boolean; readonly dataplane?: Dataplane }> = [
  { level: 1, version: "3.27" },
  { level: 2, version: "3.27" },
  { level: 1, version: "3.32" },
  { level: 2, version: "3.32" },
  { level: 1, version: "3.32", flowLogs: true },
  // Felix's nftables dataplane (`<node>.nft` loaded with `nft -f`): 3.30's names and 3.32's, -O1 and -O2, and with
  // flow logs (`log … group` statements after the verdicts).
  { level: 1, version: "3.30", dataplane: "nftables" },
  { level: 1, version: "3.32", dataplane: "nftables" },
  { level: 2, version: "3.32", dataplane: "nftables" },
  { level: 1, version: "3.32", flowLogs: true, dataplane: "nftables" },
];

/** The CLI's options at `-O<level>`; -O2 selects all passes, as `netpolc compile -O2` does. */
export function compileOptionsAt(level: KernelOptLevel, calico: Partial<CalicoOptions> = {}, dataplane: Dataplane = "iptables"): CompileOptions {
  const base = { ...DEFAULT_COMPILE_OPTIONS, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, ...calico }, dataplane: { calico: dataplane, kubeProxy: dataplane } };
  return level === 1 ? base : { ...base, optimize: { level: 2, passes: PASS_NAMES } };
}

/** A snapshot file as the pipeline reads it. */
export interface SnapshotFile {
  readonly path: string;
  readonly text: string;
}

export interface CompiledScenario {
  readonly scenario: ScenarioFile;
  readonly level: KernelOptLevel;
  readonly model: Model;
  /** node name → its rules */
  readonly rules: ReadonlyMap<string, NodeRules>;
  /** node name → its `.routes` and `.fdb` text */
  readonly routes: ReadonlyMap<string, NodeRoutes>;
  /** The evaluator's verdict for a probed flow. */
  readonly verdict: (f: ProbeFlow) => Verdict;
}

/** Every `*.yaml` in `dir`, sorted by name for determinism. */
export function readScenarios(dir: string): ScenarioFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const text = readFileSync(path, "utf8");
      const first = text.split("\n")[0] ?? "";
      if (!first.startsWith("# ")) throw new Error(`${f}: first line must be a "# " comment saying what it tests`);
      return { name: basename(f, ".yaml"), title: first.slice(2), path, text };
    });
}

/** No policy at all: every flow is allowed (netpol-semantics: a pod no policy selects is not isolated). */
export const NO_POLICIES: ScenarioFile = { name: "no-policies", title: "no NetworkPolicy: everything allowed", path: "", text: "" };

/**
 * Compile the cluster snapshot (one file, or several: e.g. nodes and pods plus
 * IPAM objects) with one scenario's policies, as `netpolc compile` would with
 * the same options (`calico`: `--route-programmer`, `--uplink`).
 */
export function compileScenario(
  cluster: SnapshotFile | readonly SnapshotFile[],
  scenario: ScenarioFile,
  level: KernelOptLevel = 1,
  calico: Partial<CalicoOptions> = {},
  dataplane: Dataplane = "iptables",
): CompiledScenario {
  const files = [...(Array.isArray(cluster) ? cluster : [cluster]), ...(scenario.text ? [scenario] : [])].map((f) => ({ path: f.path, text: f.text }));
  // The same compile is asked for by several tests of a file (scenario probes, round trips, route
  // acceptance); the pipeline is pure, so one result per input serves them all.
  const key = createHash("sha256").update(JSON.stringify([files, scenario.name, level, calico, dataplane])).digest("hex");
  const known = memo.get(key);
  if (known) return known;
  const compiled = compileFresh(files, scenario, level, calico, dataplane);
  memo.set(key, compiled);
  return compiled;
}

const memo = new Map<string, CompiledScenario>();

function compileFresh(files: readonly SnapshotFile[], scenario: ScenarioFile, level: KernelOptLevel, calico: Partial<CalicoOptions>, dataplane: Dataplane): CompiledScenario {
  const opts = compileOptionsAt(level, calico, dataplane);
  const res = compile(files, opts);
  if (!res.model || res.diag.hasErrors()) {
    throw new Error(`${scenario.name} does not compile at -O${level}:\n${renderAll(res.diag.all, res.sources, "text")}`);
  }
  const model = res.model;
  const rules = new Map<string, NodeRules>(
    res.outputs.map((o) => [
      o.node,
      dataplane === "nftables"
        ? { iptables: emitText(o, "iptables", opts), ipsets: "", nft: emitText(o, "nft", opts) }
        : { iptables: emitText(o, "iptables", opts), ipsets: emitText(o, "ipsets", opts) },
    ]),
  );
  const routes = new Map<string, NodeRoutes>(res.outputs.map((o) => [o.node, { routes: emitText(o, "routes", opts), fdb: emitText(o, "fdb", opts) }]));
  const pods = new Map<string, Pod>(model.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  // A node speaks with its own address: to the evaluator it is a plain IP
  // (which it recognises as the pod's own node where that applies).
  const endpointOf = (e: Endpoint): FlowEndpoint => {
    if (e.kind === "node") return { kind: "ip", ip: e.node.ip };
    const pod = pods.get(`${e.pod.namespace}/${e.pod.name}`);
    if (!pod) throw new Error(`pod ${e.pod.namespace}/${e.pod.name} is not in the model`);
    return { kind: "pod", pod };
  };
  const evaluator = createEvaluator(model);
  const verdict = (f: ProbeFlow): Verdict =>
    evaluator.evaluate({
      src: endpointOf(f.src),
      dst: endpointOf(f.dst),
      protocol: f.protocol,
      port: f.port,
    });
  return { scenario, level, model, rules, routes, verdict };
}

/** The harness wires veths by its own copy of Calico's naming; it must agree with the backend's. */
export function interfaceNameMismatches(spec: TopologySpec): string[] {
  return spec.pods
    .filter((p) => workloadInterfaceName(p.namespace, p.name) !== p.iface)
    .map((p) => `${p.namespace}/${p.name}: harness ${p.iface}, backend ${workloadInterfaceName(p.namespace, p.name)}`);
}

/** One line per direction: why the evaluator decided as it did. */
export function explain(v: Verdict): string {
  const side = (d: Verdict["egress"]): string => {
    const by = d.isolatedBy.map((p) => `${p.namespace}/${p.name}`).join(",");
    return `${d.allowed ? "allow" : "deny"} (${d.reason}${by ? `; isolated by ${by}` : ""})`;
  };
  return `egress ${side(v.egress)}, ingress ${side(v.ingress)}`;
}
