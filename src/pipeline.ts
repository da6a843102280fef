// The compile pipeline as one pure function: load → validate → lower →
// render per node → write text. Only src/cli touches the filesystem.
import { DiagnosticSink } from "./diagnostics/diagnostic.js";
import { SourceMap } from "./diagnostics/sources.js";
import { loadModel, type FrontendThreads, type InputFile } from "./frontend/index.js";
import type { Model } from "./ir/policy.js";
import { renderCalicoNode, renderCalicoRoutes, DEFAULT_CALICO_OPTIONS, type CalicoOptions } from "./backends/calico/index.js";
import type { NodeOutput } from "./backends/types.js";
import { DEFAULT_KUBE_PROXY_OPTIONS, renderKubeProxyNode, type KubeProxyOptions } from "./backends/kubeproxy/index.js";
import { mergeNodeRuleSets } from "./backends/kubeproxy/merge.js";
import { optimizeNode, type OptimizeOptions } from "./optimize/index.js";
import type { Rule, TableName } from "./rules/types.js";
import { SAVE_STYLE, writeListRules, writeRuleSet, writeRuleSetTo, type ByteSink, type WriteStyle } from "./rules/writer.js";
import { writeIpSets, writeIpSetsTo } from "./rules/ipset.js";
import { writeFdb, writeRoutes } from "./rules/routes.js";
import { NodeFiles } from "./pipeline-files.js";
import { Compilation } from "./compilation.js";

export type EmitKind = "iptables" | "ipsets" | "routes" | "fdb";
export const EMIT_KINDS: readonly EmitKind[] = ["iptables", "ipsets", "routes", "fdb"];
/** Every file name netpolc writes ends so (`<node>.<kind>`): what -o replaces, check --expected and diff read. */
export const OUTPUT_FILE = new RegExp(`\\.(${EMIT_KINDS.join("|")})$`);

/** Which agents program the node: Calico's Felix, kube-proxy, or both (one iptables-restore input for the whole node). */
export type BackendChoice = "both" | "calico" | "kube-proxy";

export interface CompileOptions {
  /** Only these nodes (empty = every node in the snapshot). */
  readonly nodes: readonly string[];
  readonly calico: CalicoOptions;
  /**
   * Default "both": Calico, plus kube-proxy when the snapshot declares Services,
   * EndpointSlices, Endpoints or a KubeProxyConfiguration (a snapshot without
   * any is taken to model policy only).
   */
  readonly backend?: BackendChoice;
  readonly kubeProxy?: KubeProxyOptions;
  /** With backend "kube-proxy": iptables-save form of the node (§4.3) instead of kube-proxy's test-sorted payload (§4.2). */
  readonly asSaved?: boolean;
  /** Print `iptables -t <table> -S` lines instead of iptables-save text (implies asSaved). */
  readonly listRules?: TableName;
  /** Called as each node starts rendering (the CLI's progress line on a terminal, src/cli/progress.ts); never changes the output. */
  readonly onNode?: (model: Model, node: string) => void;
  /** -O level and -O2 passes (src/optimize); absent = -O1, Felix's own layout. */
  readonly optimize?: OptimizeOptions;
  /** Threads for parsing and decoding the input (src/frontend/parallel.ts); absent = "auto". Never changes the output. */
  readonly jobs?: FrontendThreads;
}

export const DEFAULT_COMPILE_OPTIONS: CompileOptions = { nodes: [], calico: DEFAULT_CALICO_OPTIONS };

/** kube-proxy's restore payload keeps its own layout and comment quoting (writer.ts WriteStyle); everything else is iptables-save text. */
export function iptablesStyle(opts: CompileOptions): WriteStyle {
  return kubeProxyTestSorted(opts) ? { layout: "given", quoting: "kube-proxy" } : SAVE_STYLE;
}

/** Whether `<node>.iptables` is iptables-save text (parser round trips apply), not kube-proxy's payload or `iptables -S` lines. */
export function emitsSaveText(opts: CompileOptions): boolean {
  return !kubeProxyTestSorted(opts) && !opts.listRules;
}

function kubeProxyTestSorted(opts: CompileOptions): boolean {
  return opts.backend === "kube-proxy" && !opts.asSaved && !opts.listRules;
}

/** Felix inserts its hooks (`-j cali-*`) at the top of built-in chains and keeps them there; the rest it appends (felix-format §2.2). */
function isFelixHook(r: Rule): boolean {
  return r.target?.kind === "jump" && r.target.name.startsWith("cali-");
}

function renderNode(comp: Compilation, node: string, opts: CompileOptions): NodeOutput {
  const { model } = comp;
  opts.onNode?.(model, node);
  const kp = opts.kubeProxy ?? DEFAULT_KUBE_PROXY_OPTIONS;
  if (opts.backend === "kube-proxy") {
    const ruleset = renderKubeProxyNode(comp, node, kp, kubeProxyTestSorted(opts) ? "test-sorted" : "saved");
    return { node, ruleset, ipsets: [], routes: [], fdb: [] };
  }
  const calico = optimizeNode(model, renderCalicoNode(model, node, opts.calico), opts.calico, opts.optimize);
  if (opts.backend === "calico" || model.cluster.services === undefined) return calico;
  const kube = renderKubeProxyNode(comp, node, kp, "saved");
  return { ...calico, ruleset: mergeNodeRuleSets(calico.ruleset, kube, isFelixHook) };
}

export interface CompileResult {
  readonly diag: DiagnosticSink;
  readonly sources: SourceMap;
  /** Null when the input had errors: nothing may be written then. */
  readonly model: Model | null;
  /** Every wanted node's output, rendered on first access (use `nodeFiles` to hold one node at a time). */
  readonly outputs: readonly NodeOutput[];
  /** The wanted nodes, sorted by name; empty after errors. */
  readonly nodes: readonly string[];
  render(node: string): NodeOutput;
  /** Only a node's routes and FDB entries (empty with the kube-proxy backend alone). */
  routes(node: string): Pick<NodeOutput, "routes" | "fdb">;
}

function failed(diag: DiagnosticSink, sources: SourceMap): CompileResult {
  const none = (n: string): never => {
    throw new Error(`no output for ${n}: the compile failed`);
  };
  return { diag, sources, model: null, outputs: [], nodes: [], render: none, routes: none };
}

/** Known nodes shown when a --node name is not in the snapshot; a 500-node cluster would otherwise fill the screen. */
const KNOWN_NODES_SHOWN = 8;

/** `node "x" is not in the snapshot (known: a, b, … and 492 more)`. */
export function unknownNodeMessage(name: string, known: Iterable<string>): string {
  const all = [...known];
  const shown = all.slice(0, KNOWN_NODES_SHOWN).join(", ");
  const more = all.length > KNOWN_NODES_SHOWN ? ` … and ${all.length - KNOWN_NODES_SHOWN} more` : "";
  return `node "${name}" is not in the snapshot (known: ${shown || "none"}${more})`;
}

export function compile(files: readonly InputFile[], opts: CompileOptions): CompileResult {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources, { threads: opts.jobs ?? "auto" });
  if (diag.hasErrors()) return failed(diag, sources);
  const known = new Set(model.cluster.nodes.map((n) => n.name));
  for (const n of opts.nodes) {
    if (!known.has(n)) diag.error("input/unknown-node", null, unknownNodeMessage(n, known));
  }
  if (diag.hasErrors()) return failed(diag, sources);
  const wanted = opts.nodes.length ? new Set(opts.nodes) : known;
  // model.cluster.nodes is sorted by name, so outputs are too.
  const nodes = model.cluster.nodes.filter((n) => wanted.has(n.name)).map((n) => n.name);
  // One compilation for every node of this compile: what is the same on many nodes is built once (src/compilation.ts).
  const comp = new Compilation(model);
  const render = (node: string): NodeOutput => renderNode(comp, node, opts);
  let outputs: readonly NodeOutput[] | null = null;
  const routes = (node: string): Pick<NodeOutput, "routes" | "fdb"> =>
    opts.backend === "kube-proxy" ? { routes: [], fdb: [] } : renderCalicoRoutes(model, node, opts.calico);
  return {
    diag,
    sources,
    model,
    nodes,
    render,
    routes,
    get outputs() {
      return (outputs ??= nodes.map(render));
    },
  };
}

/**
 * The output kinds a compile produces: kube-proxy alone writes no ipsets and
 * no routes; `<node>.fdb` (bridge -batch) exists only where Felix runs VXLAN.
 */
export function emitKinds(opts: CompileOptions, model: Model | null): readonly EmitKind[] {
  if (opts.backend === "kube-proxy") return ["iptables"];
  const vxlan = model !== null && model.cluster.pools.some((p) => !p.cidr.includes(":") && p.vxlanMode !== "Never");
  return vxlan ? EMIT_KINDS : EMIT_KINDS.filter((k) => k !== "fdb");
}

/** The text of one output file of a node. */
export function emitText(out: NodeOutput, kind: EmitKind, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): string {
  switch (kind) {
    case "iptables":
      return iptablesText(out, opts);
    case "ipsets":
      return writeIpSets(out.ipsets);
    case "routes":
      return writeRoutes(out.routes);
    case "fdb":
      return writeFdb(out.fdb);
  }
}

/** emitText's bytes (UTF-8), appended to `sink`: the `-o` path, which never joins a whole file into one string. */
export function emitBytes(out: NodeOutput, kind: EmitKind, sink: ByteSink, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): void {
  if (kind === "iptables" && !opts.listRules) writeRuleSetTo(out.ruleset, sink, iptablesStyle(opts));
  else if (kind === "ipsets") writeIpSetsTo(out.ipsets, sink);
  else sink.write(emitText(out, kind, opts));
}

function iptablesText(out: NodeOutput, opts: CompileOptions): string {
  if (!opts.listRules) return writeRuleSet(out.ruleset, iptablesStyle(opts));
  const table = out.ruleset.tables.find((t) => t.name === opts.listRules) ?? { name: opts.listRules, chains: [] };
  return writeListRules(table);
}

/** Every output file, like `outputFiles`, but each node rendered only while its files are read. */
export function nodeFiles(res: CompileResult, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): ReadonlyMap<string, string> {
  return new NodeFiles({
    nodes: res.nodes,
    kinds: emitKinds(opts, res.model),
    render: res.render,
    text: (out, kind) => emitText(out, kind as EmitKind, opts),
    bytes: (out, kind, sink) => emitBytes(out, kind as EmitKind, sink, opts),
  });
}

/** Every output file, keyed by file name (`<node>.iptables`, …), in a stable order. */
export function outputFiles(outputs: readonly NodeOutput[], opts: CompileOptions = DEFAULT_COMPILE_OPTIONS, model: Model | null = null): Map<string, string> {
  const files = new Map<string, string>();
  for (const out of outputs) for (const k of emitKinds(opts, model)) files.set(`${out.node}.${k}`, emitText(out, k, opts));
  return files;
}
