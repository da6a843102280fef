// The compile pipeline as one pure function: load → validate → lower →
// render per node → write text. Only src/cli touches the filesystem.
import { DiagnosticSink } from "./diagnostics/diagnostic.js";
import { SourceMap } from "./diagnostics/sources.js";
import { loadModel, type FrontendThreads, type InputFile } from "./frontend/index.js";
import type { Model } from "./ir/policy.js";
import {
  CALICO_VERSIONS, calicoHasNftables, nftNamePanics, DEFAULT_CALICO_OPTIONS, IPTABLES_DATAPLANES, type Dataplanes, DEFAULT_KUBE_PROXY_OPTIONS, DEFAULT_OPTIMIZE, NEWEST_CALICO_VERSION, NodePrograms, profileHasFlowLogs, versionOfRelease,
  renderOptionsOf, type BackendChoice, type CalicoOptions, type KubeProxyOptions, type NodeOutput, type NodeRoutes, type OptimizeOptions,
} from "./backends/index.js";
import type { RuleSet, TableName } from "./rules/types.js";
import type { Span } from "./diagnostics/diagnostic.js";
import { Renderer, SAVE_STYLE, writeListRules, writeRuleSet, writeRuleSetTo, type ByteSink, type WriteStyle } from "./rules/writer.js";
import { writeIpSets, writeIpSetsTo } from "./rules/ipset.js";
import { writeFdb, writeRoutes } from "./rules/routes.js";
import { NodeFiles } from "./pipeline-files.js";
import type { NftRuleset } from "./rules/nft/model.js";
import { printListing, printNodeFile, printTransaction } from "./rules/nft/print.js";
import { Compilation } from "./compilation.js";

export type EmitKind = "iptables" | "ip6tables" | "ipsets" | "nft" | "routes" | "fdb";
export const EMIT_KINDS: readonly EmitKind[] = ["iptables", "ip6tables", "ipsets", "nft", "routes", "fdb"];
/** Every file name netpolc writes ends so (`<node>.<kind>`): what -o replaces, check --expected and diff read. */
export const OUTPUT_FILE = new RegExp(`\\.(${EMIT_KINDS.join("|")})$`);

export type { BackendChoice, Dataplane, Dataplanes } from "./backends/index.js";

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
  /** -O level and -O2 passes (the Calico backend's optimizer); absent = -O1, Felix's own layout. */
  readonly optimize?: OptimizeOptions;
  /** Threads for parsing and decoding the input (src/frontend/parallel.ts); absent = "auto". Never changes the output. */
  readonly jobs?: FrontendThreads;
  /**
   * Whether `calico.calicoVersion` was asked for (--calico-version). When not,
   * a ClusterInformation in the inputs decides the version (with a note).
   */
  readonly calicoVersionGiven?: boolean;
  /**
   * IPv6 (`--ipv6`): "auto" (the default) turns it on as Felix's IPv6 support follows the cluster — an IPv6 pool
   * or an IPv6 pod address (ipv6-and-policy A1); then every node also gets `<node>.ip6tables`, `cali60` sets and
   * IPv6 routes.
   */
  readonly ipv6?: IPv6Switch;
  /** Which agents run in nftables mode (--dataplane, --kube-proxy-mode, --calico-dataplane); absent: both iptables. */
  readonly dataplane?: Dataplanes;
  /**
   * Whether kube-proxy's mode was asked for (--kube-proxy-mode or --dataplane). When not, a KubeProxyConfiguration
   * in the inputs that names a mode decides it (with a note).
   */
  readonly kubeProxyModeGiven?: boolean;
  /** `--nft-replace`: `<node>.nft` starts with `add table` + `delete table` per table (printNodeFile), so loading it replaces them. */
  readonly nftReplace?: boolean;
}

export type IPv6Switch = "auto" | "on" | "off";

/** Where the snapshot shows IPv6 (the first IPv6 pool, else the first pod with an IPv6 address), or null. */
function ipv6Evidence(model: Model): { what: string; span: Span | null } | null {
  const pool = model.cluster.pools.find((p) => p.cidr.includes(":"));
  if (pool) return { what: `IPv6 pool ${pool.cidr} (IPPool "${pool.name}")`, span: pool.span };
  const pod = model.cluster.pods.find((p) => p.ips.some((ip) => ip.includes(":")));
  return pod ? { what: `IPv6 address on pod ${pod.namespace}/${pod.name}`, span: pod.span } : null;
}

/** Whether the compile renders IPv6: --ipv6 on/off, or (auto) whether the snapshot has IPv6 pools or pod addresses. */
export function ipv6Enabled(opts: CompileOptions, model: Model): boolean {
  const sw = opts.ipv6 ?? "auto";
  return sw === "auto" ? ipv6Evidence(model) !== null : sw === "on";
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

/** The backends of one compile, over its one Compilation (src/backends/index.ts). */
function programsOf(comp: Compilation, opts: CompileOptions): NodePrograms {
  return new NodePrograms(comp, {
    backend: opts.backend ?? "both",
    calico: opts.calico,
    kubeProxy: opts.kubeProxy ?? DEFAULT_KUBE_PROXY_OPTIONS,
    optimize: opts.optimize ?? DEFAULT_OPTIMIZE,
    kubeProxyForm: kubeProxyTestSorted(opts) ? "test-sorted" : "saved",
    dataplane: opts.dataplane ?? IPTABLES_DATAPLANES,
  });
}

/** The iptables renderer a compile under `opts` prints with (protocol names per --protocol-numbers). */
export function rendererFor(opts: CompileOptions): Renderer {
  return new Renderer(renderOptionsOf(opts.calico));
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
  routes(node: string): NodeRoutes;
  /** The backends of this compile (null after errors): workloads, names, --stats. */
  readonly programs: NodePrograms | null;
  /** The renderer this compile's text is printed with: what a rule, chain or set derives is derived once per compile. */
  readonly renderer: Renderer;
  /**
   * The options the compile ran with: the given ones, with what the snapshot decided where they left it open
   * (Calico release, kube-proxy mode, IPv6). What is written follows these.
   */
  readonly options: CompileOptions;
}

function failed(diag: DiagnosticSink, sources: SourceMap, options: CompileOptions): CompileResult {
  const none = (n: string): never => {
    throw new Error(`no output for ${n}: the compile failed`);
  };
  return { diag, sources, model: null, outputs: [], nodes: [], render: none, routes: none, programs: null, renderer: new Renderer(), options };
}

/**
 * The Felix version to compile for: --calico-version when given (a
 * ClusterInformation that says otherwise is a warning), else the release the
 * snapshot's ClusterInformation names (a note; a release outside 3.27-3.32 is
 * compiled as the nearest covered one, with a warning), else the default.
 */
function withCalicoRelease(model: Model, opts: CompileOptions, diag: DiagnosticSink): CompileOptions {
  const r = model.cluster.calicoRelease;
  if (!r || opts.backend === "kube-proxy") return opts;
  const { version, exact } = versionOfRelease(r.major, r.minor);
  if (opts.calicoVersionGiven) {
    if (version !== opts.calico.calicoVersion) {
      diag.warning("input/calico-version", r.span, `ClusterInformation says Calico ${r.text}; compiling for ${opts.calico.calicoVersion}, as --calico-version says`);
    }
    return opts;
  }
  if (exact) diag.note("input/calico-version", r.span, `compiling for Calico ${version}, the release ClusterInformation names (spec.calicoVersion ${r.text})`);
  else diag.warning("input/calico-version", r.span, `ClusterInformation says Calico ${r.text}, outside the releases netpolc reproduces (${CALICO_VERSIONS[0]} to ${NEWEST_CALICO_VERSION}); compiling for ${version}, the nearest`);
  return { ...opts, calico: { ...opts.calico, calicoVersion: version } };
}

/**
 * Felix turns IPv6 on when the cluster has IPv6 pools or pod addresses
 * (spec ipv6-and-policy A1) and then programs ip6tables, IPv6 sets and routes
 * too. With --ipv6 auto that is inferred from the snapshot, and said (a note);
 * with --ipv6 off on a dual-stack snapshot, that its IPv6 side is not written
 * (a warning), so that nobody takes the output for the whole node.
 */
function withIPv6(model: Model, opts: CompileOptions, diag: DiagnosticSink): CompileOptions {
  const evidence = ipv6Evidence(model);
  const sw = opts.ipv6 ?? "auto";
  const on = ipv6Enabled(opts, model);
  if (!on && evidence && opts.backend !== "kube-proxy") {
    diag.warning(
      "input/ipv6-not-rendered",
      evidence.span,
      `the snapshot is dual-stack (${evidence.what}) but --ipv6 is off: Felix would program ip6tables, IPv6 sets and routes as well; netpolc writes the IPv4 side only, so IPv6 traffic is not covered by this output`,
    );
  }
  if (on && sw === "auto" && evidence) {
    diag.note("input/ipv6", evidence.span, `IPv6 is on, as Felix's IPv6 support follows the cluster (it has an ${evidence.what}): each node also gets <node>.ip6tables, IPv6 sets and IPv6 routes (--ipv6 off to leave them out)`);
  }
  return on === opts.calico.ipv6 ? opts : { ...opts, calico: { ...opts.calico, ipv6: on } };
}

/** Flow logs: NFLOG rules exist from Calico 3.30 (App. B); the optimizer would merge or drop them, so not with -O2. */
function checkFlowLogs(opts: CompileOptions, diag: DiagnosticSink): void {
  if (!opts.calico.flowLogs || opts.backend === "kube-proxy") return;
  if ((opts.optimize?.level ?? 1) >= 2) diag.error("input/flow-logs", null, "flow logs cannot be combined with -O2: the optimizer would merge or drop NFLOG rules, and flow logs would change");
  else if (!profileHasFlowLogs(opts.calico.calicoVersion)) diag.warning("input/flow-logs", null, `Calico ${opts.calico.calicoVersion} programs no flow-log NFLOG rules (they came with 3.30): --flow-logs changes nothing`);
}

/**
 * kube-proxy's mode: --kube-proxy-mode (or --dataplane) when given (a KubeProxyConfiguration that names another
 * mode is a warning), else the mode the snapshot's KubeProxyConfiguration names (a note), else iptables.
 */
function withKubeProxyMode(model: Model, opts: CompileOptions, diag: DiagnosticSink): CompileOptions {
  const cfg = model.cluster.services?.kubeProxy;
  const mode = cfg?.mode ?? null;
  if (!cfg || mode === null || opts.backend === "calico") return opts;
  const dp = opts.dataplane ?? IPTABLES_DATAPLANES;
  if (opts.kubeProxyModeGiven) {
    if (mode !== dp.kubeProxy) diag.warning("input/kube-proxy-mode", cfg.span, `KubeProxyConfiguration says mode ${mode}; compiling kube-proxy's ${dp.kubeProxy} rules, as --kube-proxy-mode or --dataplane says`);
    return opts;
  }
  if (mode === dp.kubeProxy) return opts;
  diag.note("input/kube-proxy-mode", cfg.span, `compiling kube-proxy in ${mode} mode, as its KubeProxyConfiguration says (--kube-proxy-mode overrides)`);
  return { ...opts, dataplane: { ...dp, kubeProxy: mode } };
}

/**
 * Felix's nftables dataplane exists from Calico 3.29 (nftables.md §B.1); the version may come from a
 * ClusterInformation, so this is checked after it is known. Calico documents nftables mode for clusters whose
 * kube-proxy runs in nftables mode too: a mix is compiled as asked, with a warning.
 */
function checkDataplanes(comp: Compilation, opts: CompileOptions, diag: DiagnosticSink): void {
  const dp = opts.dataplane ?? IPTABLES_DATAPLANES;
  if (opts.backend === "kube-proxy" || dp.calico === "iptables") return;
  const version = opts.calico.calicoVersion;
  if (!calicoHasNftables(version)) {
    diag.error("input/calico-dataplane", null, `Calico ${version} has no nftables dataplane (it came with 3.29): compile with --calico-version 3.29 or later, or --calico-dataplane iptables`);
    return;
  }
  if (opts.backend !== "calico" && comp.model.cluster.services !== undefined && dp.kubeProxy === "iptables") {
    diag.warning("input/calico-dataplane", null, "Felix in nftables mode beside kube-proxy in iptables mode: Calico supports its nftables dataplane only with kube-proxy in nftables mode (--kube-proxy-mode nftables)");
  }
  // Valid Kubernetes that Felix's nftables dataplane cannot program (it panics on the chain name): refused, at the policy.
  for (const p of nftNamePanics(comp, version, opts.calico.interfacePrefix)) {
    diag.error("input/calico-dataplane", p.policy?.span ?? null, `${p.message}; compile with --calico-dataplane iptables (whose names are hashed to 28 characters) or shorten the name`);
  }
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

export function compile(files: readonly InputFile[], given: CompileOptions): CompileResult {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources, { threads: given.jobs ?? "auto" });
  if (diag.hasErrors()) return failed(diag, sources, given);
  const released = withCalicoRelease(model, given, diag);
  if (diag.hasErrors()) return failed(diag, sources, given);
  const opts = withIPv6(model, withKubeProxyMode(model, released, diag), diag);
  checkFlowLogs(opts, diag);
  // One compilation for every node of this compile: what is the same on many nodes is built once (src/compilation.ts).
  const comp = new Compilation(model);
  checkDataplanes(comp, opts, diag);
  if (diag.hasErrors()) return failed(diag, sources, given);
  const known = new Set(model.cluster.nodes.map((n) => n.name));
  for (const n of opts.nodes) {
    if (!known.has(n)) diag.error("input/unknown-node", null, unknownNodeMessage(n, known));
  }
  if (diag.hasErrors()) return failed(diag, sources, given);
  const wanted = opts.nodes.length ? new Set(opts.nodes) : known;
  // model.cluster.nodes is sorted by name, so outputs are too.
  const nodes = model.cluster.nodes.filter((n) => wanted.has(n.name)).map((n) => n.name);
  const programs = programsOf(comp, opts);
  const render = (node: string): NodeOutput => {
    opts.onNode?.(model, node);
    return programs.render(node);
  };
  let outputs: readonly NodeOutput[] | null = null;
  return {
    diag,
    sources,
    model,
    nodes,
    render,
    routes: (node) => programs.routes(node),
    programs,
    renderer: rendererFor(opts),
    options: opts,
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
  const dp = opts.dataplane ?? IPTABLES_DATAPLANES;
  // `--ip-family 6` with kube-proxy alone: the node file is already the IPv6 proxier's.
  const ip6 = model !== null && ipv6Enabled(opts, model) && !(opts.backend === "kube-proxy" && opts.kubeProxy?.family === 6);
  if (opts.backend === "kube-proxy") {
    if (dp.kubeProxy === "nftables") return ["nft"];
    return ip6 ? ["iptables", "ip6tables"] : ["iptables"];
  }
  const vxlan = model !== null && model.cluster.pools.some((p) => !p.cidr.includes(":") && p.vxlanMode !== "Never");
  // kube-proxy takes part when the backend is "both" and the snapshot models Services (backends/index.ts).
  const kube = opts.backend !== "calico" && model !== null && model.cluster.services !== undefined;
  const calicoNft = dp.calico === "nftables";
  const nft = calicoNft || (kube && dp.kubeProxy === "nftables");
  const iptables = !calicoNft || (kube && dp.kubeProxy === "iptables");
  return EMIT_KINDS.filter((k) => {
    if (k === "iptables") return iptables;
    if (k === "ip6tables") return iptables && ip6;
    if (k === "ipsets") return !calicoNft;
    if (k === "nft") return nft;
    return k !== "fdb" || vxlan;
  });
}

/** The text of one output file of a node. */
export function emitText(out: NodeOutput, kind: EmitKind, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS, renderer: Renderer = rendererFor(opts)): string {
  switch (kind) {
    case "iptables":
      return iptablesText(out.ruleset, opts, renderer);
    case "ip6tables":
      return iptablesText(out.ruleset6 ?? EMPTY_RULESET, opts, renderer);
    case "ipsets":
      return writeIpSets(out.ipsets, renderer);
    case "nft":
      return nftText(out.nft ?? EMPTY_NFT, opts);
    case "routes":
      return writeRoutes(out.routes);
    case "fdb":
      return writeFdb(out.fdb);
  }
}

/** emitText's bytes (UTF-8), appended to `sink`: the `-o` path, which never joins a whole file into one string. */
export function emitBytes(out: NodeOutput, kind: EmitKind, sink: ByteSink, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS, renderer: Renderer = rendererFor(opts)): void {
  if (kind === "iptables" && !opts.listRules) writeRuleSetTo(out.ruleset, sink, iptablesStyle(opts), renderer);
  else if (kind === "ip6tables" && !opts.listRules) writeRuleSetTo(out.ruleset6 ?? EMPTY_RULESET, sink, iptablesStyle(opts), renderer);
  else if (kind === "ipsets") writeIpSetsTo(out.ipsets, sink, renderer);
  else sink.write(emitText(out, kind, opts, renderer));
}

const EMPTY_RULESET: RuleSet = { tables: [] };
const EMPTY_NFT: NftRuleset = { tables: [] };

/**
 * `<node>.nft`: what `nft list ruleset` shows on the node, loadable with `nft -f` (a fixed point); with kube-proxy
 * alone and without --as-saved, knftables' `add` transaction in its Dump order, the form kube-proxy's unit tests
 * compare (as its iptables restore payload is the default there).
 */
function nftText(ruleset: NftRuleset, opts: CompileOptions): string {
  if (kubeProxyTestSorted(opts)) return printTransaction(ruleset);
  return opts.nftReplace ? printNodeFile(ruleset) : printListing(ruleset);
}

function iptablesText(ruleset: RuleSet, opts: CompileOptions, renderer: Renderer): string {
  if (!opts.listRules) return writeRuleSet(ruleset, iptablesStyle(opts), renderer);
  const table = ruleset.tables.find((t) => t.name === opts.listRules) ?? { name: opts.listRules, chains: [] };
  return writeListRules(table, renderer);
}

/** Every output file, like `outputFiles`, but each node rendered only while its files are read. */
export function nodeFiles(res: CompileResult, given: CompileOptions = DEFAULT_COMPILE_OPTIONS): ReadonlyMap<string, string> {
  // What the snapshot decided (kube-proxy's mode from its KubeProxyConfiguration) shapes the files too.
  const opts: CompileOptions = res.model ? { ...given, dataplane: res.options.dataplane ?? given.dataplane ?? IPTABLES_DATAPLANES } : given;
  return new NodeFiles({
    nodes: res.nodes,
    kinds: emitKinds(opts, res.model),
    render: res.render,
    text: (out, kind) => emitText(out, kind as EmitKind, opts, res.renderer),
    bytes: (out, kind, sink) => emitBytes(out, kind as EmitKind, sink, opts, res.renderer),
  });
}

/** Every output file, keyed by file name (`<node>.iptables`, …), in a stable order. */
export function outputFiles(
  outputs: readonly NodeOutput[], opts: CompileOptions = DEFAULT_COMPILE_OPTIONS, model: Model | null = null, renderer: Renderer = rendererFor(opts),
): Map<string, string> {
  const files = new Map<string, string>();
  for (const out of outputs) for (const k of emitKinds(opts, model)) files.set(`${out.node}.${k}`, emitText(out, k, opts, renderer));
  return files;
}
