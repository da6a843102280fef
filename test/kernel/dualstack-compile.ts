// The pipeline for the dual-stack kernel tests: a snapshot (+ policies) →
// per-node `.iptables`, `.ip6tables`, `.ipsets` and `.routes` text (src/pipeline.ts, the
// CLI's path, `--ipv6 auto`) and the reference evaluator's verdict for a probed
// pod → pod flow in the flow's own family (`Flow.family`: 6 makes each pod end
// speak with its IPv6 address, so ipBlocks see those).
import { compile, emitKinds, emitText } from "../../src/pipeline.js";
import { renderAll } from "../../src/diagnostics/render.js";
import type { Pod } from "../../src/ir/cluster.js";
import type { Model } from "../../src/ir/policy.js";
import { createEvaluator } from "../../src/semantics/evaluate.js";
import type { Verdict } from "../../src/semantics/types.js";
import { compileOptionsAt, type KernelOptLevel, type SnapshotFile } from "./compile.js";
import type { Dataplane } from "../../src/pipeline.js";
import type { CalicoVersion } from "../../src/backends/index.js";
import type { NodeRules } from "./dataplane.js";
import type { ProbeFlow } from "./flows.js";

export interface DualStackCompiled {
  readonly model: Model;
  /** node name → `.iptables`, `.ip6tables`, `.ipsets` */
  readonly rules: ReadonlyMap<string, NodeRules & { readonly ip6tables: string }>;
  /** node name → `.routes` (`ip -batch` input, both families; the suite loads only its IPv6 lines) */
  readonly routes: ReadonlyMap<string, string>;
  /** The evaluator's verdict for a pod → pod flow, in `f.family` (default 4). */
  readonly verdict: (f: ProbeFlow) => Verdict;
}

const memo = new Map<string, DualStackCompiled>();

/** Compile `files` (snapshot and policies) at -O`level` for Calico `version`; every node must get an `.ip6tables`. */
export function compileDualStack(files: readonly SnapshotFile[], level: KernelOptLevel, version: CalicoVersion, flowLogs = false, dataplane: Dataplane = "iptables"): DualStackCompiled {
  const key = JSON.stringify([files, level, version, flowLogs, dataplane]);
  const known = memo.get(key);
  if (known) return known;
  const opts = compileOptionsAt(level, { calicoVersion: version, flowLogs }, dataplane);
  const res = compile(
    files.map((f) => ({ path: f.path, text: f.text })),
    opts,
  );
  const where = `${files.map((f) => f.path).join(" + ")} at -O${level} (Calico ${version})`;
  if (!res.model || res.diag.hasErrors()) throw new Error(`${where} does not compile:\n${renderAll(res.diag.all, res.sources, "text")}`);
  const model = res.model;
  const nft = dataplane === "nftables";
  if (!nft && !emitKinds(opts, model).includes("ip6tables")) throw new Error(`${where}: --ipv6 auto did not turn IPv6 on (no .ip6tables would be written)`);
  const rules = new Map<string, NodeRules & { ip6tables: string }>();
  const routes = new Map<string, string>();
  for (const o of res.outputs) {
    if (nft) {
      // Felix in nftables mode: both families' tables (`ip calico`, `ip6 calico`) are in `<node>.nft`.
      if (!o.nft?.tables.some((t) => t.family === "ip6")) throw new Error(`${where}: node ${o.node} has no ip6 table in its .nft`);
      rules.set(o.node, { iptables: "", ip6tables: "", ipsets: "", nft: emitText(o, "nft", opts) });
    } else {
      if (!o.ruleset6) throw new Error(`${where}: node ${o.node} has no IPv6 ruleset`);
      rules.set(o.node, { iptables: emitText(o, "iptables", opts), ip6tables: emitText(o, "ip6tables", opts), ipsets: emitText(o, "ipsets", opts) });
    }
    routes.set(o.node, emitText(o, "routes", opts));
  }
  const pods = new Map<string, Pod>(model.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const podOf = (e: ProbeFlow["src"]): Pod => {
    if (e.kind !== "pod") throw new Error("the dual-stack suite probes pod → pod flows only");
    const pod = pods.get(`${e.pod.namespace}/${e.pod.name}`);
    if (!pod) throw new Error(`pod ${e.pod.namespace}/${e.pod.name} is not in the model`);
    return pod;
  };
  const evaluator = createEvaluator(model);
  const verdict = (f: ProbeFlow): Verdict =>
    evaluator.evaluate({ src: { kind: "pod", pod: podOf(f.src) }, dst: { kind: "pod", pod: podOf(f.dst) }, protocol: f.protocol, port: f.port, family: f.family ?? 4 });
  const compiled = { model, rules, routes, verdict };
  memo.set(key, compiled);
  return compiled;
}
